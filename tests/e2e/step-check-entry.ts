// Bundled for the browser by step-equality.spec.ts (and bench/browser.ts): tfjs with its webgpu and
// webgl backends, the core's step comparison (window.stepCheck) and a step timer (window.stepTimes).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { compile } from '../../src/compile/compile';
import { registerFastConvGradients } from '../../src/compile/conv-gradient';
import type { GraphDocument, OptimizerName } from '../../src/graph/document';
import { countKernels } from '../../src/train/kernel-count';
import { compareSteps } from '../../src/train/step-equality';
import { createTrainingStep, defaultStepKind } from '../../src/train/step';

type Backend = 'webgpu' | 'webgl';

async function use(backend: Backend) {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tfjs could not start its ${backend} backend`);
  await tf.ready();
  // As the app's worker does on every backend.
  registerFastConvGradients(tf);
}

async function stepCheck(doc: GraphDocument, batches: number[][], optimizer: OptimizerName, backend: Backend = 'webgpu', labels?: number[][]) {
  await use(backend);
  const r = await compareSteps(tf, doc, batches.map((b) => Float32Array.from(b)), [28, 28, 1], optimizer, 0.001, labels);
  return { ...r, backend: tf.getBackend() };
}

/**
 * ms per step of the fast and the reference step at this batch, measured in turns (reference window,
 * fast window, ...) so that a machine's changing load weighs on both alike: each window runs `steps`
 * steps and ends with the losses read, as training reads them. Also the kernels one step dispatches,
 * and where the time goes by kernel (where the backend times kernels).
 */
async function stepTimes(doc: GraphDocument, batch: number[], batchSize: number, backend: Backend, runs = 5, steps = 4) {
  await use(backend);
  const image = tf.tensor4d(Float32Array.from(batch), [batchSize, 28, 28, 1]);
  const kinds = ['reference', 'fast'] as const;
  const made = kinds.map((kind) => {
    const program = compile(doc, tf);
    return { kind, program, step: createTrainingStep(tf, program, 'rmsprop', 0.001, kind), times: [] as number[] };
  });
  const window = async (step: { run(image: tf.Tensor4D): tf.Tensor }, n: number) => {
    const t0 = performance.now();
    const losses = Array.from({ length: n }, () => step.run(image));
    await losses.at(-1)!.data();
    losses.forEach((l) => l.dispose());
    return (performance.now() - t0) / n;
  };
  // Warm-up: shaders compiled, the optimizer's slots made.
  for (const m of made) await window(m.step, 2);
  for (let r = 0; r < runs; r++) for (const m of made) m.times.push(await window(m.step, steps));
  const out = [];
  for (const m of made) {
    const kernels = await countKernels(tf, () => m.step.run(image).dispose());
    const profile = await tf.profile(() => m.step.run(image).dispose());
    const timeByKernel: Record<string, number> = {};
    for (const k of profile.kernels) if (typeof k.kernelTimeMs === 'number') timeByKernel[k.name] = (timeByKernel[k.name] ?? 0) + k.kernelTimeMs;
    out.push({
      kind: m.kind,
      msPerStep: [...m.times].sort((a, b) => a - b)[Math.floor(m.times.length / 2)],
      times: m.times,
      kernels: kernels.total,
      dispatching: kernels.dispatching,
      byName: kernels.byName,
      timeByKernel: Object.fromEntries(Object.entries(timeByKernel).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)])),
    });
    m.step.dispose();
    m.program.dispose();
  }
  image.dispose();
  return { backend: tf.getBackend(), defaultKind: defaultStepKind(tf), kinds: out };
}

Object.assign(globalThis, { stepCheck, stepTimes });
