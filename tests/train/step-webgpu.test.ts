// The fast step on WebGPU in Node (Dawn, through the optional `webgpu` package) on SwiftShader, a
// CPU Vulkan driver, so it runs without a GPU: it equals tfjs's reference step on the same backend,
// and its kernel count is the cpu backend's. Skipped, with the reason, where no adapter is found.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile';
import { registerFastConvGradients } from '../../src/compile/conv-gradient';
import { useNodeWebGpu } from '../../src/compile/webgpu-node';
import { toFloats, type Dataset } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { countKernels } from '../../src/train/kernel-count';
import { createTrainingStep } from '../../src/train/step';
import { compareSteps } from '../../src/train/step-equality';
import { preset, tf } from '../helpers';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
let data: Dataset;
let noAdapter: string | null = null;

beforeAll(async () => {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  try {
    await useNodeWebGpu(tf);
    registerFastConvGradients(tf);
  } catch (e) {
    noAdapter = (e as Error).message;
  }
  data = await loadDatasetFromDisk('fashion-mnist');
}, 900_000);

const batches = (count: number, size: number) =>
  Array.from({ length: count }, (_, b) => toFloats(data.train, Array.from({ length: size }, (_, i) => b * size + i)));

describe('fast training step (WebGPU in Node, SwiftShader)', () => {
  for (const optimizer of ['rmsprop', 'adam', 'sgd'] as const) {
    it(`${optimizer}: the weights after 10 steps equal the reference step's within 1e-5 relative`, async (ctx) => {
      if (noAdapter) {
        console.warn(`skipped: ${noAdapter}`);
        return ctx.skip();
      }
      const r = await compareSteps(tf, preset('beta-vae'), batches(10, 2), [28, 28, 1], optimizer);
      expect(r.worstRelative, `worst: ${r.worstVariable} (element by element: ${r.worstElementwise})`).toBeLessThan(1e-5);
    }, 1_200_000);
  }

  // The classifier (a metric, Dropout, MaxPooling2D, softmax cross-entropy). The BatchNormalization VAE
  // is checked on cpu and in Chromium's WebGL: here it takes over 5 minutes (batch 8 on SwiftShader).
  it('serves the classifier (Accuracy, Dropout): 10 Adam steps equal the reference within 1e-5 relative', async (ctx) => {
    if (noAdapter) {
      console.warn(`skipped: ${noAdapter}`);
      return ctx.skip();
    }
    const labels = Array.from({ length: 10 }, (_, b) => [0, 1].map((i) => data.train.labels[b * 2 + i]));
    const r = await compareSteps(tf, preset('cnn-classifier'), batches(10, 2), [28, 28, 1], 'adam', 0.001, labels);
    console.log(`webgpu cnn-classifier: worst relative ${r.worstRelative.toExponential(2)} (${r.worstVariable})`);
    expect(r.worstRelative, `${r.worstVariable} (element by element: ${r.worstElementwise})`).toBeLessThan(1e-5);
  }, 1_200_000);

  it('dispatches at most 120 kernels per step of the β-VAE preset', async (ctx) => {
    if (noAdapter) {
      console.warn(`skipped: ${noAdapter}`);
      return ctx.skip();
    }
    const program = compile(preset('beta-vae'), tf);
    const image = tf.tensor4d(batches(1, 2)[0], [2, 28, 28, 1]);
    const step = createTrainingStep(tf, program, 'rmsprop', 0.001, 'fast');
    step.run(image).dispose();
    const c = await countKernels(tf, () => step.run(image).dispose());
    console.log(`webgpu kernels per step: ${c.total} (${c.dispatching} doing work)`, JSON.stringify(c.byName));
    expect(c.total).toBeLessThanOrEqual(120);
    step.dispose();
    image.dispose();
    program.dispose();
  }, 1_200_000);
});
