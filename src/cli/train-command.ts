// `cli train`: compile the graph, train it on the real data in Node, write metrics (with the latent
// metrics each epoch), the latent means of the test images, the plots as PNG and the weights.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { compile, tooBigToTrain } from '../compile/compile';
import { oneLine, quoted, safeText } from '../graph/describe';
import { backendMemoryLimit } from '../graph/memory';
import { fastestNodeBackend, useNodeBackend } from '../compile/backend-node';
import { loadWeights, savedOptimizerState, saveWeights, type SavedModel } from '../compile/weights';
import { registerFastConvGradients } from '../compile/conv-gradient';
import { describeNodeAdapter, useNodeWebGpu } from '../compile/webgpu-node';
import { TRAINING_LIMITS, type GraphDocument } from '../graph/document';
import { imageTensor, take, type Dataset } from '../train/data';
import { loadDatasetFromDisk } from '../train/data-node';
import type { LatentMetrics } from '../train/plot-types';
import { evaluate } from '../train/evaluate';
import { computePlots } from '../train/plots';
import { createStepOptimizer, train, type EpochReport, type StepReport } from '../train/train';
import type { StepOptimizer } from '../train/fast-optimizer';
import { startDataParallel } from '../train/parallel';
import { CliError, intFlag } from './args';
import { plotPng } from './plot-canvas';

/** `own`: the user's images from --data (the document then says dataset 'custom'). */
export async function trainCommand(doc: GraphDocument, flags: Map<string, string | true>, own: Dataset | null = null): Promise<void> {
  const settings = {
    ...doc.training,
    epochs: intFlag(flags, 'epochs', 1, TRAINING_LIMITS.epochs.max) ?? doc.training.epochs,
    batchSize: intFlag(flags, 'batch-size', 1, TRAINING_LIMITS.batchSize.max) ?? doc.training.batchSize,
    seed: intFlag(flags, 'seed', 0, TRAINING_LIMITS.seed.max) ?? doc.training.seed,
    limit: intFlag(flags, 'limit', 1, TRAINING_LIMITS.limit.max) ?? doc.training.limit,
  };
  const backendFlag = flags.get('backend');
  if (backendFlag !== undefined && backendFlag !== 'cpu' && backendFlag !== 'wasm' && backendFlag !== 'webgpu')
    throw new CliError(`--backend must be cpu, wasm or webgpu, got ${String(backendFlag)}.`, 2);
  // Worker threads share the CPU's cores; on a GPU one thread feeds the device.
  const threads = backendFlag === 'webgpu' ? 1 : (intFlag(flags, 'threads', 1, 256) ?? os.availableParallelism());
  const out = typeof flags.get('out') === 'string' ? (flags.get('out') as string) : path.join('runs', new Date().toISOString().replace(/[:.]/g, '-'));

  let backend: string;
  if (backendFlag === 'webgpu') {
    try {
      backend = `webgpu (${describeNodeAdapter(await useNodeWebGpu(tf))})`;
    } catch (e) {
      throw new CliError((e as Error).message, 1);
    }
    registerFastConvGradients(tf);
  } else if (backendFlag) backend = await useNodeBackend(tf, backendFlag);
  else {
    const fastest = await fastestNodeBackend(tf);
    backend = fastest.backend;
    if (fastest.fallbackReason) console.error(`wasm unavailable (${fastest.fallbackReason}); using cpu.`);
  }

  // Too big to train is said now, naming the nodes, before compile allocates a single weight.
  const tooBig = tooBigToTrain(doc, settings, backendMemoryLimit(tf.getBackend(), { machineBytes: os.totalmem() }));
  if (tooBig) throw new CliError(tooBig, 1);

  const program = compile(doc, tf, { seed: settings.seed });
  // The optimizer is ours, so its state (RMSprop's and Adam's accumulators) is saved with the weights.
  // On webgpu the fast step's optimizer (fused kernels); elsewhere tfjs's own.
  const optimizer = createStepOptimizer(tf, program, settings.optimizer, settings.learningRate, threads > 1 ? 'reference' : undefined);
  const from = flags.get('from');
  if (typeof from === 'string') await continueFrom(from, program, optimizer, settings.optimizer);
  let data: Dataset;
  try {
    if (settings.dataset === 'custom' && !own) throw new Error('This graph trains on your own images; give them with --data PATH.');
    data = own ?? (await loadDatasetFromDisk(settings.dataset));
  } catch (e) {
    throw new CliError((e as Error).message, 1);
  }
  const images = take(data.train, settings.limit);
  await mkdir(out, { recursive: true });
  const metricsFile = path.join(out, 'metrics.jsonl');
  await writeFile(metricsFile, '');
  console.error(
    `Training ${quoted(doc.name)} on ${images.count.toLocaleString('en-US')} ${safeText(data.name)} images (${data.train.shape.join('×')}), ${settings.epochs} epoch(s), batch ${settings.batchSize}, ${settings.optimizer} lr ${settings.learningRate}, backend ${backend}, ${threads} thread(s).`,
  );
  // One tfjs per core: the batch split over worker threads, one optimizer step on the averaged gradient.
  const parallel = threads > 1 ? await startDataParallel({ tf, program, threads }) : null;

  const progress = progressPrinter();
  const epochs: EpochReport[] = [];
  const run = train({
    tf,
    program,
    data: images,
    settings,
    step: parallel?.step,
    optimizer,
    onStep: progress.step,
    // On a GPU, reading the losses waits for the device: read every 4 steps, as the app does.
    readEvery: backendFlag === 'webgpu' ? 4 : 1,
    onEpoch: async (e) => {
      epochs.push(e);
      // The latent metrics on a subset (5,000 training and 1,000 test images' μ): about a second.
      const latent = (await computePlots(tf, program, doc, data, { nodes: [] })).metrics;
      progress.epoch(e, latent);
      await writeFile(metricsFile, JSON.stringify({ epoch: e.epoch, ...e.losses, elapsedSeconds: e.elapsedMs / 1000, ...latent }) + '\n', { flag: 'a' });
    },
  });
  process.once('SIGINT', () => run.stop());
  const result = await run.done.finally(() => parallel?.close());
  progress.end();
  if (result.status === 'failed') throw new CliError(result.message ?? 'Training failed.', 1);

  // The Done line names only what was written: a graph without a latent mean has no latent.csv.
  const written = ['metrics.jsonl'];
  // Metrics (accuracy) on the test images, in inference mode: a classifier's test accuracy.
  if (program.metrics.length) {
    const test = await evaluate(tf, program, data.test);
    const line = Object.entries(test)
      .map(([k, v]) => `${k} ${program.metrics.some((m) => m.label === k && m.format === 'percent') ? `${(v * 100).toFixed(2)}%` : v.toFixed(4)}`)
      .join(', ');
    console.error(`Test (${data.test.count.toLocaleString('en-US')} images, inference mode): ${line}`);
    await writeFile(path.join(out, 'test.json'), JSON.stringify({ images: data.test.count, ...test }) + '\n');
    written.push('test.json');
  }
  if (await writeLatent(program, data, path.join(out, 'latent.csv'))) written.push('latent.csv');
  written.push(...(await writePlots(program, doc, data, out)));
  const saved = await saveWeights(tf, program, { name: settings.optimizer, state: optimizer });
  optimizer.dispose();
  await mkdir(path.join(out, 'model'), { recursive: true });
  await writeFile(path.join(out, 'model', 'model.json'), JSON.stringify(saved.json));
  await writeFile(path.join(out, 'model', 'weights.bin'), new Uint8Array(saved.weights));
  const first = progress.firstLoss();
  console.error(
    `Done: ${result.steps} steps, loss ${first?.toFixed(2) ?? '?'} → ${result.last?.total.toFixed(2) ?? '?'}. Wrote ${out}/: ${[...written, 'model/'].join(', ')}.`,
  );
  program.dispose();
}

/** `--from DIR`: a model/ folder (this CLI's, or the app's download): its weights, and the optimizer's state when it has it. */
async function continueFrom(dir: string, program: ReturnType<typeof compile>, optimizer: StepOptimizer, optimizerName: string): Promise<void> {
  let saved: SavedModel;
  try {
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as SavedModel['json'];
    const bin = await readFile(path.join(dir, 'weights.bin'));
    saved = { json, weights: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer };
    if (!Array.isArray(json.weightsManifest)) throw new Error('model.json has no weightsManifest');
    loadWeights(tf, program, saved);
  } catch (e) {
    throw new CliError(`--from ${dir}: ${(e as Error).message}`, 1);
  }
  const { state, reason } = savedOptimizerState(tf, program, saved, optimizerName);
  if (state) {
    await optimizer.setWeights(state);
    state.forEach((s) => s.tensor.dispose());
  }
  console.error(`Continuing from ${dir}${state ? ', with the optimizer’s state' : ` (the optimizer starts afresh: ${reason})`}.`);
}

/** μ of every test image with its label and class name; false (nothing written) when the graph has no latent mean. */
async function writeLatent(program: ReturnType<typeof compile>, data: Dataset, file: string): Promise<boolean> {
  if (!program.latent.mean) return false;
  const rows: string[] = [];
  const chunk = 500;
  let dims = 0;
  for (let start = 0; start < data.test.count; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, data.test.count - start) }, (_, i) => start + i);
    const mu = tf.tidy(() => program.encode(imageTensor(tf, data.test, idx)));
    dims = mu.shape[1];
    const values = await mu.data();
    mu.dispose();
    idx.forEach((img, i) => {
      const z = Array.from(values.subarray(i * dims, (i + 1) * dims), (v) => v.toPrecision(6));
      const label = data.test.labels[img];
      rows.push([...z, label, `"${data.classNames[label]}"`].join(','));
    });
  }
  const header = [...Array.from({ length: dims }, (_, i) => `z${i}`), 'label', 'class'].join(',');
  await writeFile(file, header + '\n' + rows.join('\n') + '\n');
  return true;
}

/** Each output node's plot as PNG: latent-grid.png, latent-scatter.png, reconstructions.png (suffixed with the node id when a kind repeats). */
async function writePlots(program: ReturnType<typeof compile>, doc: GraphDocument, data: Dataset, out: string): Promise<string[]> {
  const { plots, skipped } = await computePlots(tf, program, doc, data, { metrics: false });
  for (const s of skipped) console.error(oneLine(`No plot for node ${safeText(s.nodeId)}: ${s.reason}`));
  const files: string[] = [];
  for (const plot of plots) {
    const file = plots.filter((p) => p.kind === plot.kind).length > 1 ? `${plot.kind}-${plot.nodeId}.png` : `${plot.kind}.png`;
    await writeFile(path.join(out, file), await plotPng(plot));
    files.push(file);
  }
  return files;
}

/** The latent metrics in a few words, for the epoch line. */
function describeLatent(m: LatentMetrics): string {
  const list = (xs: number[]) => `[${xs.map((x) => x.toPrecision(3)).join(', ')}]`;
  return ` · ${m.k}-NN ${(m.knnAccuracy * 100).toFixed(1)}%, μ mean ${list(m.meanPerDim)} var ${list(m.variancePerDim)}${m.klPerDim.length ? `, KL/dim ${list(m.klPerDim)}` : ''}`;
}

/** A progress bar on a terminal; a line per epoch otherwise (logs, CI). */
function progressPrinter() {
  const tty = process.stderr.isTTY;
  let first: number | undefined;
  let lastDraw = 0;
  const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  return {
    firstLoss: () => first,
    step(r: StepReport) {
      first ??= r.losses.total;
      const now = performance.now();
      if (!tty || (now - lastDraw < 100 && r.step !== r.totalSteps)) return;
      lastDraw = now;
      const width = 28;
      const done = Math.round((r.step / r.totalSteps) * width);
      const eta = ((r.totalSteps - r.step) * (r.elapsedMs / r.step)) / 1000;
      process.stderr.write(
        `\r[${'█'.repeat(done)}${'░'.repeat(width - done)}] epoch ${r.epoch} step ${r.stepInEpoch}/${r.stepsPerEpoch} loss ${r.losses.total.toFixed(2)} · ${Math.round(r.samplesPerSecond)} samples/s · ${clock(eta)} left `,
      );
    },
    epoch(e: EpochReport, latent?: LatentMetrics) {
      const terms = Object.entries(e.losses)
        // Term names are node labels from the file: escaped, so none can forge a line.
        .map(([k, v]) => `${safeText(k, 40)} ${v.toFixed(3)}`)
        .join(', ');
      process.stderr.write(`${tty ? '\n' : ''}epoch ${e.epoch}/${e.epochs}: ${terms} (${(e.elapsedMs / 1000).toFixed(1)} s)${latent ? describeLatent(latent) : ''}\n`);
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}
