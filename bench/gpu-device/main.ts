// The gpu bench on its own (bundled by prepare.sh, run by run.sh on a GPU machine without Node):
//   node gpu-bench.mjs --data DIR --preset FILE --torch FILE --out DIR [--runs N]
// Writes DIR/gpu-results.json and DIR/gpu-table.md, and prints the table.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parse } from '../../src/graph/parse';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { gpuFigures, type GpuFigure, type Skipped } from '../gpu';
import { fmt, summariseInto } from '../figures';

const arg = (name: string, fallback?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
};
const figures: GpuFigure[] = [];
const skipped: Skipped[] = [];
const summarise = summariseInto(figures);

const out = arg('out');
mkdirSync(out, { recursive: true });
const r = parse(JSON.parse(readFileSync(arg('preset'), 'utf8')));
if (!r.ok) throw new Error('the preset does not parse');
const data = await loadDatasetFromDisk('fashion-mnist', arg('data'));
console.error(`gpu bench: ${data.train.count} images, Node ${process.version}, tfjs ${tf.version.tfjs}`);
await gpuFigures({ doc: r.doc, images: data.train, summarise, skipped, runs: Number(arg('runs', '5')), torchScript: arg('torch'), forceThroughput: process.env.WIRELAB_GPU_BENCH_FORCE === '1', batches: process.env.WIRELAB_GPU_BENCH_BATCHES?.split(',').map(Number) });
const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}` };
const lines = [`Machine: ${JSON.stringify(machine)}`, `Node ${process.version}, tfjs ${tf.version.tfjs}`, '', '| section | figure | median | min | max | unit | note |', '|---|---|---|---|---|---|---|'];
for (const f of figures) lines.push(`| ${f.section} | ${f.name} | ${fmt(f.median)} | ${fmt(f.min)} | ${fmt(f.max)} | ${f.unit} | ${f.note ?? ''} |`);
for (const s of skipped) lines.push(`| ${s.section} | ${s.name} | skipped | | | | ${s.note} |`);
writeFileSync(path.join(out, 'gpu-results.json'), JSON.stringify({ date: new Date().toISOString(), machine, node: process.version, figures, skipped }, null, 2) + '\n');
writeFileSync(path.join(out, 'gpu-table.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
// Dawn keeps the process alive otherwise.
process.exit(0);
