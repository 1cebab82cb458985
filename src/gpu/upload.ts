// A new tensor's values written straight into a pooled GPU buffer (queue.writeBuffer). tfjs's
// webgpu backend uploads through a staging buffer it creates and destroys each time, and ends its
// compute pass to copy: at batch 128 a training loop that uploads each batch ran at half the
// samples/s of the same loop on a kept batch (H100, Node). A buffer in tfjs's free pool is used by
// no unsubmitted command, and writeBuffer is ordered after all submitted work, so this is safe.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';

interface TensorData {
  values: Float32Array | Int32Array | Uint8Array | null;
  resource?: { size: number } | null;
  dtype: string;
  shape: number[];
}
interface UploadBackend {
  tensorMap: { get(dataId: object): TensorData };
  bufferManager: { acquireBuffer(size: number, usage: number): { size: number } };
  queue: { writeBuffer(b: { size: number }, offset: number, data: ArrayBufferView): void };
}
// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, as tfjs's uploads use.
const USAGE = 0x0080 | 0x0004 | 0x0008;

/** Puts a freshly made tensor's values on the GPU now (webgpu only; elsewhere nothing). Returns it. */
export function uploadNow<T extends tfjs.Tensor>(tf: Tf, t: T): T {
  if (tf.getBackend() !== 'webgpu') return t;
  const b = tf.backend() as unknown as UploadBackend;
  const data = b.tensorMap.get(t.dataId);
  if (!data || data.resource || !data.values || (data.dtype !== 'float32' && data.dtype !== 'int32')) return t;
  const values = data.dtype === 'int32' && !(data.values instanceof Int32Array) ? Int32Array.from(data.values) : data.values;
  const buffer = b.bufferManager.acquireBuffer(values.byteLength, USAGE);
  b.queue.writeBuffer(buffer, 0, values);
  data.resource = buffer;
  data.values = null;
  return t;
}
