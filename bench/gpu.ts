// `npm run bench -- --only gpu`: the β-VAE preset on tfjs's webgpu backend in Node (Dawn, through
// the optional `webgpu` package) — kernels per step, the step's CPU-side time, the phases (forward,
// backward, update), samples/s at batch 128 and 1024 — and PyTorch on CUDA on the same machine when
// it has one. Runs from the repo (via bench/run.ts) or bundled on a GPU machine without Node
// (bench/gpu-device/: prepare.sh here, run.sh there).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type * as tfjs from '@tensorflow/tfjs';
import { compile } from '../src/compile/compile';
import { registerFastConvGradients } from '../src/compile/conv-gradient';
import { describeNodeAdapter, useNodeWebGpu, type NodeAdapter } from '../src/compile/webgpu-node';
import type { GraphDocument } from '../src/graph/document';
import { toFloats, type ImageSet } from '../src/train/data';
import { countKernels } from '../src/train/kernel-count';
import { uploadNow } from '../src/gpu/upload';
import { createTrainingStep, type StepKind } from '../src/train/step';
import type { CompileOptions } from '../src/compile/compile';

/** The steps compared: the fast one with each conv filter gradient, and tfjs's reference. */
const CONFIGS: { label: string; kind: StepKind; options: CompileOptions }[] = [
  { label: 'fast step, split-sum conv weight gradients (default)', kind: 'fast', options: { filterGradient: 'split' } },
  { label: "fast step, tfjs's convs", kind: 'fast', options: { convKernel: 'tfjs' } },
  { label: "fast step, tfjs's convs, dilated-conv filter gradient (the last session's)", kind: 'fast', options: { filterGradient: 'dilated', convKernel: 'tfjs' } },
  { label: 'reference step (tfjs tape and optimizer)', kind: 'reference', options: {} },
];

export type { Figure as GpuFigure } from './figures';
import type { Summarise } from './figures';

export interface Skipped {
  section: string;
  name: string;
  note: string;
}

export interface GpuOptions {
  doc: GraphDocument;
  images: ImageSet;
  summarise: Summarise;
  skipped: Skipped[];
  runs: number;
  /** Where bench/torch_vae.py is (the repo's bench/, or the bundle's). */
  torchScript: string;
  /** Throughput rows on a fallback (software) adapter too: minutes a row. */
  forceThroughput?: boolean;
  /** Batch sizes of the throughput rows (default 128 and 1024). */
  batches?: number[];
}

const S = 'gpu';

export async function gpuFigures(o: GpuOptions): Promise<void> {
  let adapter: NodeAdapter;
  try {
    adapter = await useNodeWebGpu(tf);
  } catch (e) {
    const note = (e as Error).message;
    console.error(`  skipped: ${note}`);
    for (const name of ['kernels per step', 'step CPU-side time', 'phases', 'samples/s at batch 128', 'samples/s at batch 1024']) o.skipped.push({ section: S, name, note });
    torchCuda(o, null);
    return;
  }
  registerFastConvGradients(tf);
  const name = describeNodeAdapter(adapter);
  const software = /swiftshader|llvmpipe|lavapipe/i.test(name);
  console.error(`  adapter: ${name}${software ? ' (a software Vulkan driver: throughput rows need a real GPU)' : ''}`);
  const floats = (batch: number) => toFloats(o.images, Array.from({ length: batch }, (_, i) => i % o.images.count));

  // Kernels per step and the CPU-side time of dispatching one (the JavaScript work, not waiting for the GPU).
  for (const { label, kind, options } of CONFIGS) {
    const batch = software ? 4 : 128;
    const program = compile(o.doc, tf, options);
    const step = createTrainingStep(tf, program, 'rmsprop', 0.001, kind);
    const image = tf.tensor4d(floats(batch), [batch, 28, 28, 1]);
    await (async () => {
      const v = step.run(image);
      await v.data();
      v.dispose();
    })();
    const c = await countKernels(tf, () => step.run(image).dispose());
    const f = o.summarise(S, `kernels per step, ${label}`, 'kernels', [c.total], `${c.dispatching} doing work (without Identity/Reshape); target ≤ 120`);
    console.error(`    ${JSON.stringify(c.byName)} (${f.median})`);
    const cpu: number[] = [];
    for (let r = 0; r < Math.max(o.runs, 5); r++) {
      const t0 = performance.now();
      const v = step.run(image);
      cpu.push(performance.now() - t0);
      await v.data();
      v.dispose();
    }
    o.summarise(S, `step CPU-side time, ${label}`, 'ms', cpu, `batch ${batch}: the JavaScript time to dispatch a step (the GPU's work not awaited), ${name}`);
    image.dispose();
    step.dispose();
    program.dispose();
  }

  const ours = new Map<number, number>();
  if (software && !o.forceThroughput) {
    const note = `adapter ${name} is a software driver; samples/s needs a real GPU (set WIRELAB_GPU_BENCH_FORCE=1 to run anyway)`;
    for (const b of o.batches ?? [128, 1024]) o.skipped.push({ section: S, name: `samples/s at batch ${b}`, note });
    o.skipped.push({ section: S, name: 'phases', note });
  } else {
    for (const batch of o.batches ?? [128, 1024]) {
      for (const [i, { label, kind, options }] of CONFIGS.entries()) {
        // The batch kept on the GPU, as PyTorch's row keeps it; the default also with a new batch uploaded each step, as training does.
        for (const upload of i === 0 ? [false, true] : [false]) {
          const r = await throughput(o, batch, kind, options, floats(batch), upload);
          const f = o.summarise(S, `webgpu samples/s, ${label}, batch ${batch}${upload ? ', a new batch uploaded each step' : ''}`, 'samples/s', r.rates, name);
          if (upload) continue;
          if (i === 0) ours.set(batch, f.median);
          // The fast step's forward is part of its backward (no separate forward pass to time).
          if (kind === 'reference') {
            o.summarise(S, `phases, ${label}, batch ${batch}: forward`, 'ms', r.forward);
            o.summarise(S, `phases, ${label}, batch ${batch}: backward`, 'ms', r.backward);
          } else o.summarise(S, `phases, ${label}, batch ${batch}: forward and backward`, 'ms', r.withGrads);
          o.summarise(S, `phases, ${label}, batch ${batch}: update`, 'ms', r.update);
        }
      }
    }
  }
  torchCuda(o, ours);
}

/** Samples/s over runs of 20 steps (losses read every 4, as training does), and the phases in ms. */
async function throughput(o: GpuOptions, batch: number, kind: StepKind, options: CompileOptions, floats: Float32Array, upload: boolean) {
  const program = compile(o.doc, tf, options);
  const step = createTrainingStep(tf, program, 'rmsprop', 0.001, kind);
  const steps = 20;
  const once = async () => {
    const t0 = performance.now();
    const kept = upload ? null : tf.tensor4d(floats, [batch, 28, 28, 1]);
    for (let i = 0; i < steps; i++) {
      // A new batch each step goes up as training uploads it.
      const image = kept ?? uploadNow(tf, tf.tensor4d(floats, [batch, 28, 28, 1]));
      const v = step.run(image);
      if (!kept) image.dispose();
      if (i % 4 === 3) await v.data();
      v.dispose();
    }
    const rate = (batch * steps) / ((performance.now() - t0) / 1000);
    kept?.dispose();
    return rate;
  };
  await once();
  const rates: number[] = [];
  for (let r = 0; r < o.runs; r++) rates.push(await once());
  // Phases: forward alone, forward + gradients, the whole step; each synchronised by a read.
  const image = tf.tensor4d(floats, [batch, 28, 28, 1]);
  const timed = async (work: () => tfjs.Tensor) => {
    const xs: number[] = [];
    for (let r = 0; r < o.runs + 1; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) {
        const t = work();
        if (i === 4) await t.data();
        t.dispose();
      }
      xs.push((performance.now() - t0) / 5);
    }
    return xs.slice(1);
  };
  const forward = await timed(() => tf.tidy(() => program.losses({ image }).total));
  const withGrads = await timed(() => step.gradients(image));
  const whole = await timed(() => step.run(image));
  image.dispose();
  step.dispose();
  program.dispose();
  const backward = withGrads.map((x, i) => Math.max(0, x - forward[i]));
  const update = whole.map((x, i) => Math.max(0, x - withGrads[i]));
  return { rates, forward, backward, withGrads, update };
}

/** PyTorch on CUDA at batch 128 and 1024, with our figures ÷ PyTorch's. */
function torchCuda(o: GpuOptions, ours: Map<number, number> | null): void {
  // The first Python whose torch sees CUDA: $PYTHON, the one on PATH (a GPU machine's), then Debian's.
  const candidates = [process.env.PYTHON, 'python3', existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined].filter((p): p is string => !!p);
  const python = candidates.find((p) => spawnSync(p, ['-c', 'import torch; assert torch.cuda.is_available()'], { encoding: 'utf8' }).status === 0);
  if (!python) {
    o.skipped.push({ section: S, name: 'PyTorch CUDA', note: `no Python here whose torch sees CUDA (tried ${candidates.join(', ')})` });
    console.error('  PyTorch CUDA: skipped (no CUDA torch)');
    return;
  }
  for (const batch of o.batches ?? [128, 1024]) {
    const out = execFileSync(python, [o.torchScript, String(batch), String(o.runs), '20', 'cuda'], { encoding: 'utf8' });
    const r = JSON.parse(out) as { samplesPerSecond: number[]; torch: string; device: string };
    const f = o.summarise(S, `PyTorch ${r.torch} CUDA eager, batch ${batch}`, 'samples/s', r.samplesPerSecond, r.device);
    const mine = ours?.get(batch);
    if (mine !== undefined) {
      const target = batch === 128 ? 'target ≥ 0.5 (17,700 on an H100)' : 'target ≥ 0.5 (136,000 on an H100)';
      o.summarise(S, `webgpu fast step (the default, batch kept on the GPU as PyTorch's) ÷ PyTorch CUDA, batch ${batch}`, '×', [mine / f.median], target);
    }
  }
}
