// The fast training step on wasm (the default there: tfjs's kernels in place of the fused ones,
// the faster wasm kernels of compile/wasm-kernels.ts) equals tfjs's reference step.
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/compile/backend-node';
import { toFloats, type Dataset } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { defaultStepKind } from '../../src/train/step';
import { compareSteps } from '../../src/train/step-equality';
import { preset, tf } from '../helpers';

let data: Dataset;
beforeAll(async () => {
  await useNodeBackend(tf, 'wasm');
  data = await loadDatasetFromDisk('fashion-mnist');
});

const batches = (count: number, size: number) =>
  Array.from({ length: count }, (_, b) => toFloats(data.train, Array.from({ length: size }, (_, i) => b * size + i)));

describe('fast training step (wasm)', () => {
  it('is the default on wasm', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(defaultStepKind(tf)).toBe('fast');
  });

  for (const optimizer of ['rmsprop', 'adam', 'sgd'] as const) {
    it(`${optimizer}: the weights after 10 steps equal the reference step's within 1e-5 relative`, async () => {
      const r = await compareSteps(tf, preset('beta-vae'), batches(10, 8), [28, 28, 1], optimizer);
      expect(r.worstRelative, `worst: ${r.worstVariable} (element by element: ${r.worstElementwise})`).toBeLessThan(1e-5);
      expect(r.lastLoss.fast).toBeCloseTo(r.lastLoss.reference, 2);
    }, 900_000);
  }
});
