// The bench's data-parallel rows: the β-VAE trained by the real loop (train.ts) on wasm at batch 128
// with 1 thread and with one thread per core (src/train/parallel.ts), and PyTorch on the same CPU,
// measured in interleaved rounds (1 thread, N threads, PyTorch, again) so a machine whose load
// changes during the bench loads each side alike. The ratio is taken per round.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import type * as tfjs from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/compile/backend-node';
import { compile } from '../src/compile/compile';
import type { GraphDocument } from '../src/graph/document';
import type { ImageSet } from '../src/train/data';
import { startDataParallel, type DataParallel } from '../src/train/parallel';
import { train } from '../src/train/train';

type Summarise = (section: string, name: string, unit: string, runs: number[], note?: string) => { median: number };

const BATCH = 128;

/**
 * Samples/s of the training loop over `steps` steps at this batch size, timed from the end of a
 * first (warm-up) step, and the CPU time per sample (all threads of this process).
 */
export async function timedLoop(
  tf: typeof tfjs,
  program: ReturnType<typeof compile>,
  images: ImageSet,
  batch: number,
  steps: number,
  step?: DataParallel['step'],
): Promise<{ samplesPerSecond: number; cpuMsPerSample: number }> {
  const at: number[] = [];
  const cpu: number[] = [];
  await train({
    tf,
    program,
    data: images,
    settings: { optimizer: 'rmsprop', learningRate: 0.001, batchSize: batch, epochs: 1, seed: 1 },
    maxSteps: steps + 1,
    step,
    onStep: () => {
      at.push(performance.now());
      const u = process.cpuUsage();
      cpu.push((u.user + u.system) / 1000);
    },
  }).done;
  return { samplesPerSecond: (batch * steps) / ((at[steps] - at[0]) / 1000), cpuMsPerSample: (cpu[steps] - cpu[0]) / (batch * steps) };
}

/** Samples/s at BATCH; the CPU time per sample goes to cpuOne or cpuMany. */
async function loopRate(tf: typeof tfjs, program: ReturnType<typeof compile>, images: ImageSet, steps: number, step?: DataParallel['step']): Promise<number> {
  const r = await timedLoop(tf, program, images, BATCH, steps, step);
  (step ? cpuMany : cpuOne).push(r.cpuMsPerSample);
  return r.samplesPerSecond;
}
const cpuOne: number[] = [];
const cpuMany: number[] = [];

/** PyTorch's CPU time per sample with one torch thread, one per round. */
const cpuTorch: number[] = [];

/** PyTorch's samples/s over `steps` steps (after its own warm-up), or why it cannot run. */
function torchRate(steps: number): number | string {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return `python3 -c 'import torch' fails`;
  const run = (threads?: string) =>
    JSON.parse(execFileSync(python, ['bench/torch_vae.py', String(BATCH), '1', String(steps)], { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', ...(threads ? { TORCH_THREADS: threads } : {}) }, encoding: 'utf8' })) as { samplesPerSecond: number[]; cpuMsPerSample?: number[] };
  const r = run();
  // Its CPU time per sample from one torch thread: OpenMP threads spin while they wait for each
  // other, so on a busy machine two threads burn many times the CPU of one for the same work.
  const one = run('1');
  if (one.cpuMsPerSample) cpuTorch.push(one.cpuMsPerSample[0]);
  return r.samplesPerSecond[0];
}

/**
 * Rows: wasm through the training loop with 1 thread and with `threads` (default: one per core),
 * PyTorch interleaved with them, and N threads ÷ PyTorch. Returns the N-thread median (samples/s).
 */
export async function nodeParallel(tf: typeof tfjs, doc: GraphDocument, images: ImageSet, summarise: Summarise, runs = 5, threads = os.availableParallelism()): Promise<number> {
  console.error(`2b. Node, data-parallel over worker threads (wasm, batch ${BATCH}, the training loop; rounds interleaved with PyTorch)`);
  await useNodeBackend(tf, 'wasm');
  const loadAtStart = os.loadavg()[0].toFixed(1);
  const program = compile(doc, tf);
  const parallel = threads > 1 ? await startDataParallel({ tf, program, threads, balance: true }) : null;
  const steps = 8;
  const one: number[] = [];
  const many: number[] = [];
  const torch: number[] = [];
  let torchSkipped: string | null = null;
  let split = '';
  try {
    await loopRate(tf, program, images, 2, parallel?.step);
    cpuOne.length = cpuMany.length = cpuTorch.length = 0;
    for (let r = 0; r < runs; r++) {
      one.push(await loopRate(tf, program, images, steps));
      if (parallel) many.push(await loopRate(tf, program, images, steps, parallel.step));
      if (torchSkipped === null) {
        const t = torchRate(steps);
        if (typeof t === 'number') torch.push(t);
        else torchSkipped = t;
      }
    }
    if (parallel) {
      const st = parallel.stats();
      const per = (ms: number) => (ms / st.steps).toFixed(0);
      split = `main thread per step: send ${per(st.sendMs)} ms, own shard ${per(st.computeMs)} ms, waiting ${per(st.waitMs)} ms, update ${per(st.updateMs)} ms; last split ${st.sizes.join('/')}`;
      console.error(`  ${split}`);
    }
  } finally {
    await parallel?.close();
    program.dispose();
  }
  const load = `load average ${loadAtStart} at the start, ${os.loadavg()[0].toFixed(1)} at the end`;
  summarise('node', 'wasm, training loop, 1 thread', 'samples/s', one, `batch ${BATCH}; ${median(cpuOne).toFixed(2)} CPU ms per sample`);
  if (!parallel) return 0;
  const f = summarise('node', `wasm, training loop, ${threads} threads (data-parallel)`, 'samples/s', many, `batch ${BATCH}; ${threads} threads ÷ 1 thread: ${(median(many) / median(one)).toFixed(2)}×; ${median(cpuMany).toFixed(2)} CPU ms per sample (all threads); ${split}`);
  if (torch.length) {
    const torchCpu = cpuTorch.length ? `; ${median(cpuTorch).toFixed(2)} CPU ms per sample with 1 torch thread` : '';
    summarise('node', 'PyTorch, interleaved with the rows above', 'samples/s', torch, `batch ${BATCH}, ${os.availableParallelism()} torch threads${torchCpu}; ${load}`);
    summarise('node', `${threads} threads ÷ PyTorch, per round`, '×', many.map((m, i) => m / torch[i]), 'target ≥ 0.50');
    // Wall-clock ratios follow the machine's load (PyTorch's thread pool suffers most from a busy
    // machine); CPU time per sample hardly does: the work each side needs per sample, per core.
    if (cpuTorch.length === cpuMany.length)
      summarise('node', `CPU time per sample, PyTorch (1 thread) ÷ Node (${threads} threads), per round`, '×', cpuTorch.map((t, i) => t / cpuMany[i]), 'per-core efficiency; Node on N cores ÷ PyTorch scaling perfectly on N cores, on an idle machine');
  } else console.error(`  PyTorch skipped: ${torchSkipped}`);
  return f.median;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
