// How much memory training a graph takes, per node, and whether a backend can hold it: said before
// training starts, naming the nodes, instead of an engine's "Invalid typed array length" minutes in.
import { nodeType } from '../../nodes';
import type { Analysis } from './analyze';
import type { GraphDocument, OptimizerName } from './document';
import { quoted } from './describe';

const FLOAT = 4;

/** Tensors per weight that each optimizer keeps (tfjs): RMSprop its mean squares and moments, Adam m and v. */
export const OPTIMIZER_SLOTS: Record<OptimizerName, number> = { rmsprop: 2, adam: 2, sgd: 0 };

/**
 * One node's share of a training step, in bytes (float32):
 *   weights      4·P                    (P trainable parameters)
 *   optimizer    4·P·(1 + slots)        (the weights' gradients, and the optimizer's state per weight)
 *   activations  4·B·N·2                (B batch size, N output values per sample: the output, kept
 *                                        for the backward pass, and its gradient)
 * An estimate: tfjs also holds short-lived temporaries (an activation before and after its bias), so
 * the real peak is somewhat higher; the point is the order of magnitude, before anything is allocated.
 */
export interface NodeMemory {
  weights: number;
  optimizer: number;
  activations: number;
  total: number;
  /** The biggest single tensor it holds (a kernel or a batch of outputs): what a GPU buffer limit is about. */
  largestTensor: number;
}

export function nodeMemory(params: number, outputValues: number, batchSize: number, optimizer: OptimizerName, nonTrainable = 0): NodeMemory {
  const optimizerBytesFor = FLOAT * params;
  // Kept state that is not trained (moving statistics) takes room but no gradient or optimizer slot.
  const weights = optimizerBytesFor + FLOAT * nonTrainable;
  const optimizerBytes = optimizerBytesFor * (1 + OPTIMIZER_SLOTS[optimizer]);
  const batchOutput = FLOAT * batchSize * outputValues;
  const activations = 2 * batchOutput;
  return { weights, optimizer: optimizerBytes, activations, total: weights + optimizerBytes + activations, largestTensor: Math.max(weights, batchOutput) };
}

/** 1536 → "1.5 KiB"; binary units, as memory limits are. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v >= 100 ? Math.round(v) : v.toPrecision(3).replace(/\.?0+$/, '')} ${units[i]}`;
}

/** What a backend can hold: in all, and in one tensor (a GPU buffer). */
export interface MemoryLimit {
  backend: string;
  totalBytes: number;
  tensorBytes?: number;
  /** Where the limit comes from, for the message. */
  source: string;
}

const GiB = 2 ** 30;

/**
 * The limit for a tfjs backend. wasm: 4 GiB, all a 32-bit WebAssembly memory can address.
 * cpu: half the machine's memory where it is known (Node), else 4 GiB; one tensor at most
 * 4 GiB (a JavaScript typed array). WebGPU: the adapter's maxBufferSize and
 * maxStorageBufferBindingSize per tensor, and 4 GiB in all (a browser gives no total; a tab
 * rarely gets more). WebGL: 4 GiB in all.
 */
export function backendMemoryLimit(backend: string, info: { machineBytes?: number; gpu?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number } } = {}): MemoryLimit {
  if (backend === 'wasm') return { backend, totalBytes: 4 * GiB, tensorBytes: 4 * GiB, source: 'a 32-bit WebAssembly memory' };
  if (backend === 'webgpu') {
    const sizes = [info.gpu?.maxBufferSize, info.gpu?.maxStorageBufferBindingSize].filter((x): x is number => typeof x === 'number' && x > 0);
    return { backend, totalBytes: 4 * GiB, ...(sizes.length ? { tensorBytes: Math.min(...sizes) } : {}), source: "the GPU adapter's buffer limits" };
  }
  if (backend === 'webgl') return { backend, totalBytes: 4 * GiB, source: 'a browser tab' };
  const machine = info.machineBytes && info.machineBytes > 0 ? info.machineBytes / 2 : 4 * GiB;
  return { backend, totalBytes: machine, tensorBytes: 4 * GiB, source: info.machineBytes ? "half this machine's memory" : 'a browser tab' };
}

/** Why this graph cannot train on this backend (the estimate against the limit, naming the biggest nodes), or null. */
export function memoryProblem(doc: GraphDocument, analysis: Analysis, limit: MemoryLimit): string | null {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const nameOf = (id: string) => {
    const n = byId.get(id);
    const type = n ? nodeType(n.type)?.label : undefined;
    return `${quoted(n?.label ?? id)}${type ? ` (${type})` : ''}`;
  };
  const biggest = analysis.order.flatMap((id) => {
    const m = analysis.nodes[id].memory;
    return m ? [[id, m] as const] : [];
  });
  const total = analysis.memory.total;
  const batch = analysis.memory.batchSize;
  const describe = ([id, m]: readonly [string, NodeMemory]) =>
    `${nameOf(id)} ${formatBytes(m.total)} (weights ${formatBytes(m.weights)}, gradients and optimizer state ${formatBytes(m.optimizer)}, activations ${formatBytes(m.activations)})`;
  if (total > limit.totalBytes)
    return (
      `Too big to train on ${limit.backend}: about ${formatBytes(total)} at batch ${batch}, ` +
      `more than the ${formatBytes(limit.totalBytes)} it can hold (${limit.source}). ` +
      `Biggest: ${[...biggest].sort((a, b) => b[1].total - a[1].total).slice(0, 3).map(describe).join('; ')}. Make these layers smaller or lower the batch size.`
    );
  if (limit.tensorBytes !== undefined) {
    const over = biggest.filter(([, m]) => m.largestTensor > limit.tensorBytes!).sort((a, b) => b[1].largestTensor - a[1].largestTensor);
    if (over.length)
      return (
        `Too big to train on ${limit.backend}: ${nameOf(over[0][0])} needs one tensor of ${formatBytes(over[0][1].largestTensor)} at batch ${batch}, ` +
        `more than the ${formatBytes(limit.tensorBytes)} one tensor may take (${limit.source}). Make this layer smaller or lower the batch size.`
      );
  }
  return null;
}
