// Bind groups made once and reused. tfjs's webgpu backend creates a bind group for every dispatch
// (and asks the pipeline for its layout each time); in Dawn that is the dearest call of a dispatch
// (≈ 60 µs of the ≈ 100 µs a dispatch costs the CPU, measured in Node). A training step binds the
// same pooled buffers step after step (tfjs's buffer pool hands them back last-in first-out), so
// a bind group keyed by its layout and buffers is found again at the next step. Installed on the
// device tfjs uses, as own properties of that device and of the pipelines it creates.

interface BufferLike {
  readonly size: number;
}
interface Entry {
  binding: number;
  resource: { buffer: BufferLike; offset?: number; size?: number } | object;
}
interface BindGroupDescriptor {
  layout: object;
  entries: Iterable<Entry>;
  label?: string;
}
interface PipelineLike {
  getBindGroupLayout(index: number): object;
}
export interface CachingDevice {
  createBindGroup(d: BindGroupDescriptor): object;
  createComputePipeline(d: object): PipelineLike;
  createComputePipelineAsync?(d: object): Promise<PipelineLike>;
}

/** Past this many bind groups under one layout the cache starts again (a graph that keeps changing shapes). */
const LIMIT = 2048;
const installed = new WeakMap<object, BindGroupCacheStats>();

export interface BindGroupCacheStats {
  hits: number;
  misses: number;
}

/** Makes `device` reuse bind groups and bind group layouts; returns live counts. Idempotent. */
export function installBindGroupCache(device: CachingDevice): BindGroupCacheStats {
  const known = installed.get(device);
  if (known) return known;
  const stats: BindGroupCacheStats = { hits: 0, misses: 0 };
  installed.set(device, stats);
  const ids = new WeakMap<object, number>();
  let next = 0;
  const id = (o: object) => {
    let i = ids.get(o);
    if (i === undefined) ids.set(o, (i = ++next));
    return i;
  };
  const groups = new WeakMap<object, Map<string, object>>();
  const create = device.createBindGroup.bind(device);
  device.createBindGroup = (d) => {
    const entries = [...d.entries];
    let key = '';
    for (const e of entries) {
      const r = e.resource as { buffer?: BufferLike; offset?: number; size?: number };
      // Textures and samplers (tfjs's pixel ops) are not cached.
      if (!r.buffer) return create(d);
      key += `${e.binding}:${id(r.buffer)}:${r.offset ?? 0}:${r.size ?? ''},`;
    }
    let byKey = groups.get(d.layout);
    if (!byKey) groups.set(d.layout, (byKey = new Map()));
    let group = byKey.get(key);
    if (group) {
      stats.hits++;
      return group;
    }
    stats.misses++;
    if (byKey.size >= LIMIT) byKey.clear();
    group = create({ ...d, entries });
    byKey.set(key, group);
    return group;
  };
  // One layout object per pipeline and index (Dawn returns a new one at each call), so that the
  // layout can key the cache.
  const remember = (p: PipelineLike): PipelineLike => {
    const get = p.getBindGroupLayout.bind(p);
    const layouts = new Map<number, object>();
    p.getBindGroupLayout = (i) => {
      let l = layouts.get(i);
      if (!l) layouts.set(i, (l = get(i)));
      return l;
    };
    return p;
  };
  const createPipeline = device.createComputePipeline.bind(device);
  device.createComputePipeline = (d) => remember(createPipeline(d));
  if (device.createComputePipelineAsync) {
    const createAsync = device.createComputePipelineAsync.bind(device);
    device.createComputePipelineAsync = async (d) => remember(await createAsync(d));
  }
  return stats;
}

/** Installs the cache on the device of tfjs's active webgpu backend (no-op on other backends). */
export function cacheBindGroups(tf: { getBackend(): string; backend(): unknown }): BindGroupCacheStats | null {
  if (tf.getBackend() !== 'webgpu') return null;
  // WIRELAB_BIND_GROUP_CACHE=0 (Node): tfjs's own behaviour, for the bench's comparison.
  if (typeof process !== 'undefined' && process.env?.WIRELAB_BIND_GROUP_CACHE === '0') return null;
  const device = (tf.backend() as { device?: CachingDevice }).device;
  return device ? installBindGroupCache(device) : null;
}
