// Our own WGSL compute kernels on tfjs's webgpu backend, recorded into the backend's own command
// encoder and compute pass so they interleave with tfjs's kernels in order. tfjs's program API
// (runWebGPUProgram) binds exactly one writable output; a fused optimizer step writes the new
// weight and its accumulators, so these kernels bind their buffers themselves. They follow the
// backend's bookkeeping: inputs and outputs are marked as owned by the queue until it is submitted,
// uniforms go through its buffer manager, and its batch-size rule decides when to submit.
import type { Tf } from '../../nodes/define';
import type * as tfjs from '@tensorflow/tfjs';

// The parts of tfjs-backend-webgpu's WebGPUBackend used here (private in its typings).
interface GpuBufferLike {
  readonly size: number;
}
interface PassLike {
  setPipeline(p: unknown): void;
  setBindGroup(i: number, g: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
}
interface DeviceLike {
  createShaderModule(d: { code: string; label?: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string }; label?: string }): { getBindGroupLayout(i: number): unknown };
  createBindGroup(d: { layout: unknown; entries: { binding: number; resource: { buffer: GpuBufferLike } }[] }): unknown;
  createBuffer(d: { size: number; usage: number }): GpuBufferLike;
  readonly limits: { maxComputeWorkgroupsPerDimension: number };
}
export interface WebGpuBackendLike {
  device: DeviceLike;
  queue: { writeBuffer(b: GpuBufferLike, offset: number, data: ArrayBuffer): void };
  tensorMap: { get(dataId: object): { resource?: GpuBufferLike; shape: number[]; dtype: string } };
  bufferManager: { acquireBuffer(size: number, usage: number): GpuBufferLike };
  uniformPendingDisposal: GpuBufferLike[];
  commandQueueOwnedIds: WeakSet<object>;
  computePassEncoder: PassLike | null;
  commandEncoder: { beginComputePass(d: object): PassLike } | null;
  dispatchCountInPass: number;
  makeTensorInfo(shape: number[], dtype: 'float32'): tfjs.TensorInfo;
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export const WORKGROUP = 64;
const pipelines = new WeakMap<DeviceLike, Map<string, ReturnType<DeviceLike['createComputePipeline']>>>();
// GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM, spelled out: Node has no GPUBufferUsage global until webgpu is loaded.
const UNIFORM_USAGE = 0x0008 | 0x0040;

/** Where each invocation's flat element index comes from (a 2-D grid once one dimension is full). */
export const INDEX_WGSL = `fn flatIndex(id: vec3<u32>, n: vec3<u32>) -> u32 { return id.x + id.y * n.x * ${WORKGROUP}u; }`;

export interface DirectKernel {
  /** Cache key of the shader. */
  key: string;
  /** A complete WGSL module with entry point `main` and @workgroup_size(WORKGROUP). */
  code: string;
  /** Bound at 0, 1, ...: outputs first (read_write), then inputs (read), then the uniform block. */
  outputs: number[][];
  inputs: tfjs.TensorInfo[];
  /** The uniform block's bytes (16-byte multiple). */
  uniforms: ArrayBuffer;
  /** Invocations wanted (one per element). */
  size: number;
  /** Workgroups to dispatch instead (reductions: one per output value). */
  workgroups?: number;
  /** A 3-D grid of workgroups instead (tiled kernels); wins over size and workgroups. */
  grid?: [number, number, number];
}

// Uniform blocks by content, written once and kept: a step's kernels pass the same shapes and
// constants step after step, so no upload per dispatch, and the bind group (keyed by its buffers)
// is found again. Bounded: a new content past the limit starts the map again (Adam's per-step
// bias corrections make new content every step).
const uniformsByContent = new WeakMap<object, Map<string, GpuBufferLike>>();
const UNIFORM_LIMIT = 1024;
function uniformBuffer(backend: WebGpuBackendLike, bytes: ArrayBuffer): GpuBufferLike {
  let byContent = uniformsByContent.get(backend.device);
  if (!byContent) uniformsByContent.set(backend.device, (byContent = new Map()));
  const key = String.fromCharCode(...new Uint16Array(bytes));
  let buffer = byContent.get(key);
  if (!buffer) {
    if (byContent.size >= UNIFORM_LIMIT) byContent.clear();
    buffer = backend.device.createBuffer({ size: bytes.byteLength, usage: UNIFORM_USAGE });
    backend.queue.writeBuffer(buffer, 0, bytes);
    byContent.set(key, buffer);
  }
  return buffer;
}

/** Records one compute dispatch into tfjs's webgpu queue; returns the freshly allocated outputs. */
export function dispatchDirect(backend: WebGpuBackendLike, k: DirectKernel): tfjs.TensorInfo[] {
  let cache = pipelines.get(backend.device);
  if (!cache) pipelines.set(backend.device, (cache = new Map()));
  let pipeline = cache.get(k.key);
  if (!pipeline) {
    const module = backend.device.createShaderModule({ code: k.code, label: k.key });
    pipeline = backend.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: k.key });
    cache.set(k.key, pipeline);
  }
  const outputs = k.outputs.map((shape) => backend.makeTensorInfo(shape, 'float32'));
  const all = [...outputs, ...k.inputs];
  for (const t of all) {
    backend.uploadToGPU(t.dataId);
    backend.commandQueueOwnedIds.add(t.dataId);
  }
  const uniform = uniformBuffer(backend, k.uniforms);
  const buffers = [...all.map((t) => backend.tensorMap.get(t.dataId).resource!), uniform];
  const group = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  backend.ensureCommandEncoderReady();
  if (!backend.computePassEncoder) backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
  const pass = backend.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  const groups = k.workgroups ?? Math.ceil(k.size / WORKGROUP);
  const max = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (k.grid) pass.dispatchWorkgroups(...k.grid);
  else if (groups <= max) pass.dispatchWorkgroups(groups);
  else pass.dispatchWorkgroups(max, Math.ceil(groups / max));
  backend.dispatchCountInPass++;
  return outputs;
}

/** Submits tfjs's pending work when its batch is full, as its own kernels do. */
export function maybeSubmit(tf: Tf, backend: WebGpuBackendLike): void {
  if (backend.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

/** A uniform block of f32/u32 fields, in order, padded to 16 bytes. */
export function uniformBlock(fields: { f32?: number; u32?: number }[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.ceil((fields.length * 4) / 16) * 16);
  const f = new Float32Array(buf);
  const u = new Uint32Array(buf);
  fields.forEach((x, i) => {
    if (x.u32 !== undefined) u[i] = x.u32;
    else f[i] = x.f32 ?? 0;
  });
  return buf;
}
