// `cli train`: compile the graph, train it on the real data in Node, write metrics (with the latent
// metrics each epoch), the latent means of the test images, the plots as PNG and the weights.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../compile/compile';
import { fastestNodeBackend, useNodeBackend } from '../compile/backend-node';
import { saveWeights } from '../compile/weights';
import { registerFastConvGradients } from '../compile/conv-gradient';
import { describeNodeAdapter, useNodeWebGpu } from '../compile/webgpu-node';
import type { GraphDocument } from '../graph/document';
import { take, toFloats, type Dataset } from '../train/data';
import { loadDatasetFromDisk } from '../train/data-node';
import type { LatentMetrics } from '../train/plot-types';
import { computePlots } from '../train/plots';
import { renderPlot } from '../train/render';
import { train, type EpochReport, type StepReport } from '../train/train';
import { CliError, intFlag } from './args';
import { encodePng } from './png';

export async function trainCommand(doc: GraphDocument, flags: Map<string, string | true>): Promise<void> {
  const settings = {
    ...doc.training,
    epochs: intFlag(flags, 'epochs', 1) ?? doc.training.epochs,
    batchSize: intFlag(flags, 'batch-size', 1) ?? doc.training.batchSize,
    seed: intFlag(flags, 'seed', 0) ?? doc.training.seed,
    limit: intFlag(flags, 'limit', 1) ?? doc.training.limit,
  };
  const backendFlag = flags.get('backend');
  if (backendFlag !== undefined && backendFlag !== 'cpu' && backendFlag !== 'wasm' && backendFlag !== 'webgpu')
    throw new CliError(`--backend must be cpu, wasm or webgpu, got ${String(backendFlag)}.`, 2);
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

  const program = compile(doc, tf);
  let data: Dataset;
  try {
    data = await loadDatasetFromDisk(settings.dataset);
  } catch (e) {
    throw new CliError((e as Error).message, 1);
  }
  const images = take(data.train, settings.limit);
  await mkdir(out, { recursive: true });
  const metricsFile = path.join(out, 'metrics.jsonl');
  await writeFile(metricsFile, '');
  console.error(
    `Training "${doc.name}" on ${images.count.toLocaleString('en-US')} ${settings.dataset} images, ${settings.epochs} epoch(s), batch ${settings.batchSize}, ${settings.optimizer} lr ${settings.learningRate}, backend ${backend}.`,
  );

  const progress = progressPrinter();
  const epochs: EpochReport[] = [];
  const run = train({
    tf,
    program,
    data: images,
    settings,
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
  const result = await run.done;
  progress.end();
  if (result.status === 'failed') throw new CliError(result.message ?? 'Training failed.', 1);

  await writeLatent(program, data, path.join(out, 'latent.csv'));
  const pngs = await writePlots(program, doc, data, out);
  const saved = await saveWeights(tf, program);
  await mkdir(path.join(out, 'model'), { recursive: true });
  await writeFile(path.join(out, 'model', 'model.json'), JSON.stringify(saved.json));
  await writeFile(path.join(out, 'model', 'weights.bin'), new Uint8Array(saved.weights));
  const first = progress.firstLoss();
  console.error(
    `Done: ${result.steps} steps, loss ${first?.toFixed(2) ?? '?'} → ${result.last?.total.toFixed(2) ?? '?'}. Wrote ${out}/metrics.jsonl, latent.csv, ${pngs.map((f) => f + ', ').join('')}model/.`,
  );
  program.dispose();
}

/** μ of every test image with its label and class name. */
async function writeLatent(program: ReturnType<typeof compile>, data: Dataset, file: string): Promise<void> {
  if (!program.latent.mean) return;
  const rows: string[] = [];
  const chunk = 500;
  let dims = 0;
  for (let start = 0; start < data.test.count; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, data.test.count - start) }, (_, i) => start + i);
    const mu = tf.tidy(() => program.encode(tf.tensor4d(toFloats(data.test, idx), [idx.length, 28, 28, 1])));
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
}

/** Each output node's plot as PNG: latent-grid.png, latent-scatter.png, reconstructions.png (suffixed with the node id when a kind repeats). */
async function writePlots(program: ReturnType<typeof compile>, doc: GraphDocument, data: Dataset, out: string): Promise<string[]> {
  const { plots, skipped } = await computePlots(tf, program, doc, data, { metrics: false });
  for (const s of skipped) console.error(`No plot for node ${s.nodeId}: ${s.reason}`);
  const files: string[] = [];
  for (const plot of plots) {
    const file = plots.filter((p) => p.kind === plot.kind).length > 1 ? `${plot.kind}-${plot.nodeId}.png` : `${plot.kind}.png`;
    const img = renderPlot(plot);
    await writeFile(path.join(out, file), encodePng(img.width, img.height, img.rgba));
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
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ');
      process.stderr.write(`${tty ? '\n' : ''}epoch ${e.epoch}/${e.epochs}: ${terms} (${(e.elapsedMs / 1000).toFixed(1)} s)${latent ? describeLatent(latent) : ''}\n`);
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}
