// How many kernels a piece of tfjs work dispatches, counted by tfjs's own kernel profiler
// (tf.profile): every kernel the engine runs, on whatever backend is active. Scopes that only
// group kernels (a customGrad's op name) are not kernels and are left out.
import type { Tf } from '../../nodes/define';

export interface KernelCount {
  /** Every kernel run, Identity and Reshape included (what tfjs's profiler lists). */
  total: number;
  /**
   * Kernels that do work: without Identity and Reshape, which only relabel a buffer and
   * dispatch nothing on webgpu, webgl or cpu.
   */
  dispatching: number;
  byName: Record<string, number>;
}

const RELABEL = new Set(['Identity', 'Reshape']);

export async function countKernels(tf: Tf, work: () => unknown): Promise<KernelCount> {
  const backend = tf.getBackend();
  const profile = await tf.profile(() => {
    work();
  });
  const byName: Record<string, number> = {};
  let dispatching = 0;
  let total = 0;
  for (const k of profile.kernels) {
    if (!tf.getKernel(k.name, backend)) continue;
    total++;
    byName[k.name] = (byName[k.name] ?? 0) + 1;
    if (!RELABEL.has(k.name)) dispatching++;
  }
  return { total, dispatching, byName: Object.fromEntries(Object.entries(byName).sort((a, b) => b[1] - a[1])) };
}
