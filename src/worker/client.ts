// The page's one way to talk to a worker: every request gets a fresh id, and exactly one final
// answer (the worker's, or 'no-answer' when it times out, the worker fails or is replaced), so a
// late or duplicated reply can never be taken for another request's. Messages a request causes on
// the way (a run's steps, phases, plots) go to that request's `onMessage`; every message also goes
// to the client's listeners (the plots store keys plots by graph, not by request).
// Used by the training and plots stores (one client, one worker) and by compare runs (their own).
// No Vue or tfjs here.
import { FINAL, readFromWorker, type Command, type FromWorker, type Reply, type WorkerPort } from './protocol';

/** The worker gave no final answer: it timed out, failed, or was replaced. */
export interface NoAnswer {
  type: 'no-answer';
  re: number;
  message: string;
}

export type Outcome<K extends Command['type']> = Reply<K> | NoAnswer;

export interface RequestOptions {
  /** Give up after this long (ms) with a 'no-answer' outcome; the worker is left as it is. */
  timeoutMs?: number;
  /** Every message that belongs to this request, the final one included. */
  onMessage?: (message: FromWorker) => void;
  transfer?: Transferable[];
}

export interface Request<K extends Command['type']> {
  id: number;
  reply: Promise<Outcome<K>>;
}

interface Pending {
  finish: (outcome: FromWorker | NoAnswer) => void;
  onMessage?: (message: FromWorker) => void;
}

export class WorkerClient {
  private port: WorkerPort | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(message: FromWorker) => void>();

  constructor(
    private readonly create: () => WorkerPort,
    /** Names the worker in messages: "the training worker". */
    private readonly name = 'the worker',
  ) {}

  /** Whether a worker is running now. */
  get started(): boolean {
    return this.port !== null;
  }

  /** Hear every message from the worker (after the request's own handler). */
  listen(listener: (message: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Send a command; the reply resolves once, with the worker's final answer or 'no-answer'. */
  request<K extends Command['type']>(command: Extract<Command, { type: K }>, opts: RequestOptions = {}): Request<K> {
    const id = this.nextId++;
    const reply = new Promise<Outcome<K>>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const finish = (outcome: FromWorker | NoAnswer) => {
        if (!this.pending.delete(id)) return;
        if (timer !== null) clearTimeout(timer);
        resolve(outcome as Outcome<K>);
      };
      this.pending.set(id, { finish, onMessage: opts.onMessage });
      if (opts.timeoutMs !== undefined)
        timer = setTimeout(() => finish({ type: 'no-answer', re: id, message: `${capital(this.name)} did not answer within ${seconds(opts.timeoutMs!)}.` }), opts.timeoutMs);
    });
    try {
      this.ensure().postMessage({ ...command, id }, opts.transfer);
    } catch (e) {
      this.pending.get(id)?.finish({ type: 'no-answer', re: id, message: `${capital(this.name)} could not be reached: ${e instanceof Error ? e.message : String(e)}` });
    }
    return { id, reply };
  }

  /** Whether a request still waits for its final answer. */
  isPending(id: number): boolean {
    return this.pending.has(id);
  }

  /**
   * Terminate the worker (whatever it is doing) and answer every waiting request with 'no-answer';
   * the next request starts a fresh worker. What the worker saved (IndexedDB) stays.
   */
  restart(reason: string): void {
    this.port?.terminate();
    this.port = null;
    for (const [id, p] of [...this.pending]) p.finish({ type: 'no-answer', re: id, message: reason });
  }

  dispose(): void {
    this.restart(`${capital(this.name)} was closed.`);
    this.listeners.clear();
  }

  private ensure(): WorkerPort {
    if (this.port) return this.port;
    const port = this.create();
    port.addEventListener('message', (e: MessageEvent) => {
      const msg = readFromWorker(e.data);
      if (msg && port === this.port) this.receive(msg);
    });
    port.addEventListener('error', (e: ErrorEvent) => {
      if (port !== this.port) return;
      const message = `${capital(this.name)} failed: ${e.message || 'unknown error'}`;
      // An uncaught error may leave the worker in any state: start afresh at the next request.
      this.restart(message);
    });
    this.port = port;
    return port;
  }

  private receive(msg: FromWorker): void {
    const p = this.pending.get(msg.re);
    p?.onMessage?.(msg);
    this.listeners.forEach((l) => l(msg));
    if (p && FINAL.has(msg.type)) p.finish(msg);
  }
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const seconds = (ms: number) => (ms >= 1000 ? `${Number((ms / 1000).toPrecision(3))} s` : `${ms} ms`);
