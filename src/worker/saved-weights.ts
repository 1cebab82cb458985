// Weights kept per graph in IndexedDB, keyed by a hash of the graph's structure (its nodes, their
// non-live params and its wires — not positions, labels, live params like β, or the training
// settings), so a reload, a moved node or a new β still finds them. Used by the worker (to save and
// load) and by the page (to say what is saved). No tfjs here.
import { nodeType } from '../../nodes';
import type { GraphDocument, Params } from '../graph/document';
import type { Marker, ModelFiles, SavedProgress } from './protocol';

/** A canonical JSON of what decides the weights' names and shapes. */
export function structureOf(doc: GraphDocument): string {
  const nodes = [...doc.nodes]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((n) => {
      const def = nodeType(n.type);
      const params: Params = {};
      for (const name of Object.keys(n.params).sort()) if (!def?.params[name]?.live) params[name] = n.params[name];
      return [n.id, n.type, params];
    });
  // A wire's place among the wires into its port is part of the structure (Concatenate's order decides
  // the kernel's rows downstream); the list itself is sorted so listing unrelated wires differently does not matter.
  const seen = new Map<string, number>();
  const edges = doc.edges
    .map((e) => {
      const to = `${e.to.node}.${e.to.port}`;
      const k = seen.get(to) ?? 0;
      seen.set(to, k + 1);
      return `${e.from.node}.${e.from.port}>${to}#${k}`;
    })
    .sort();
  // Your own images' shape decides the first layers' weights; the registered datasets (all 28×28×1) add nothing, so their keys stay as they were.
  const custom = doc.training.dataset === 'custom' && doc.training.custom ? { images: doc.training.custom.shape } : {};
  return JSON.stringify({ nodes, edges, ...custom });
}

/** cyrb53: a fast 53-bit string hash, as hex. */
export function hashString(s: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** The key a graph's weights are saved under. */
export const weightsKey = (doc: GraphDocument): string => `graph-${hashString(structureOf(doc))}`;

export interface SavedRecord {
  progress: SavedProgress;
  files: ModelFiles;
  /** The loss per step up to the save (thinned when long), for the chart after a reload. */
  history?: { step: number; losses: Record<string, number> }[];
  /** The chart's markers (β, learning rate changes) up to the save. */
  markers?: Marker[];
}

/** Where records are kept: IndexedDB in the browser, a Map in tests. */
export interface WeightsStorage {
  get(key: string): Promise<SavedRecord | null>;
  put(record: SavedRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

const DB_NAME = 'wirelab';
const STORE = 'weights';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error ?? new Error('IndexedDB request failed.'));
  });
}

let opening: Promise<IDBDatabase> | null = null;
function open(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((ok, fail) => {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE, { keyPath: 'progress.key' });
    };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error ?? new Error('IndexedDB could not be opened.'));
    r.onblocked = () => fail(new Error('IndexedDB is blocked by another tab.'));
  }).catch((e: unknown) => {
    opening = null;
    throw e;
  });
  return opening;
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  const t = db.transaction(STORE, mode);
  const done = new Promise<void>((ok, fail) => {
    t.oncomplete = () => ok();
    t.onerror = () => fail(t.error ?? new Error('IndexedDB transaction failed.'));
    t.onabort = () => fail(t.error ?? new Error('IndexedDB transaction aborted.'));
  });
  const [result] = await Promise.all([request(run(t.objectStore(STORE))), done]);
  return result;
}

export const indexedDbWeights: WeightsStorage = {
  async get(key) {
    const r = await tx<unknown>('readonly', (s) => s.get(key));
    return (r as SavedRecord | undefined) ?? null;
  },
  async put(record) {
    await tx('readwrite', (s) => s.put(record));
  },
  async delete(key) {
    await tx('readwrite', (s) => s.delete(key));
  },
};

export const hasIndexedDb = (): boolean => typeof indexedDB !== 'undefined';

/** In memory, for tests and where IndexedDB is missing (private windows in some browsers). */
export function memoryWeights(): WeightsStorage {
  const records = new Map<string, SavedRecord>();
  return {
    get: async (key) => records.get(key) ?? null,
    put: async (record) => void records.set(record.progress.key, record),
    delete: async (key) => void records.delete(key),
  };
}
