// npm run bench: every figure as median, min and max over ≥ 5 runs after a warm-up, printed as a
// table and written to bench/results.json. `npm run bench -- --only node,editor` runs some sections
// (`--only threads`: only the data-parallel Node rows, with PyTorch interleaved).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend, type NodeBackendName } from '../src/compile/backend-node';
import { compile, type CompileOptions } from '../src/compile/compile';
import { analyze, reachable } from '../src/graph/analyze';
import type { GraphDocument } from '../src/graph/document';
import { parse } from '../src/graph/parse';
import { toFloats, type ImageSet } from '../src/train/data';
import { loadDatasetFromDisk } from '../src/train/data-node';
import { createOptimizer, train } from '../src/train/train';
import { handWrittenVae } from './hand-written-vae';
import { browserFigures } from './browser';
import { parseBenchArgs, wantsSection } from './args';
import { nodeParallel } from './node-parallel';
import { editorFigures } from './editor';
import { gpuFigures } from './gpu';
import { fmt, summariseInto, type Figure } from './figures';

export type { Figure } from './figures';

const RUNS = 5;
const figures: Figure[] = [];
const skipped: { section: string; name: string; note: string }[] = [];
const args = (() => {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
})();
const wanted = (section: string) => wantsSection(args, section);

export const summarise = summariseInto(figures);

function presetDoc(name: string): GraphDocument {
  const r = parse(JSON.parse(readFileSync(`presets/${name}.json`, 'utf8')));
  if (!r.ok) throw new Error(`preset ${name} does not parse`);
  return r.doc;
}

/** Samples per second of `step`, over RUNS runs of `steps` steps after one warm-up run. */
function throughput(batch: number, steps: number, step: () => void, runs = RUNS): number[] {
  const once = () => {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    return (batch * steps) / ((performance.now() - t0) / 1000);
  };
  once();
  return Array.from({ length: runs }, once);
}

function compiledStep(doc: GraphDocument, images: ImageSet, batch: number, options: CompileOptions = {}) {
  const program = compile(doc, tf, options);
  const optimizer = createOptimizer(tf, 'rmsprop', 0.001);
  const floats = toFloats(images, Array.from({ length: batch }, (_, i) => i));
  return {
    step: () =>
      tf.tidy(() => {
        const image = tf.tensor4d(floats, [batch, 28, 28, 1]);
        // Read the loss, as a training loop must: it syncs, so the timing covers the whole step.
        optimizer.minimize(() => program.losses({ image }).total, true, program.variables)!.dataSync();
      }),
    dispose: () => {
      optimizer.dispose();
      program.dispose();
    },
  };
}

function handStep(images: ImageSet, batch: number) {
  const hand = handWrittenVae(tf);
  const floats = toFloats(images, Array.from({ length: batch }, (_, i) => i));
  return {
    step: () => tf.tidy(() => void hand.trainStep(tf.tensor4d(floats, [batch, 28, 28, 1])).dataSync()),
    dispose: () => hand.dispose(),
  };
}

async function compileOverhead(images: ImageSet) {
  console.error('1. Compile overhead (wasm, batch 128, runs interleaved)');
  await useNodeBackend(tf, 'wasm');
  const doc = presetDoc('beta-vae');
  const ours = compiledStep(doc, images, 128);
  const theirs = handStep(images, 128);
  ours.step();
  theirs.step();
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    a.push(throughput(128, 3, ours.step, 1)[0]);
    b.push(throughput(128, 3, theirs.step, 1)[0]);
  }
  const fa = summarise('compile', 'compiled β-VAE preset', 'samples/s', a);
  const fb = summarise('compile', 'hand-written tfjs port', 'samples/s', b, 'tfjs-layers models and tf.conv2dTranspose, as a port of the Keras code would be');
  summarise('compile', 'compiled ÷ hand-written', '×', a.map((x, i) => x / b[i]), `median ratio ${(fa.median / fb.median).toFixed(2)}`);
  ours.dispose();
  theirs.dispose();
}

async function nodeBackends(images: ImageSet): Promise<number> {
  console.error('2. Node backends (the compiled β-VAE)');
  const doc = presetDoc('beta-vae');
  const configs: [NodeBackendName, string, number, number, CompileOptions][] = [
    ['cpu-stock', 'cpu, stock tfjs', 16, 1, { transposedConv: 'tfjs' }],
    ['cpu', 'cpu + filter-gradient rewrite', 32, 1, { transposedConv: 'tfjs' }],
    ['cpu', 'cpu + filter gradient + phase transposed conv', 128, 1, {}],
    ['wasm', 'wasm + filter-gradient rewrite (1 thread)', 128, 2, { transposedConv: 'tfjs' }],
    ['wasm', 'wasm + filter gradient + phase transposed conv (1 thread)', 128, 3, {}],
  ];
  let best = 0;
  for (const [backend, name, batch, steps, options] of configs) {
    await useNodeBackend(tf, backend);
    const s = compiledStep(doc, images, batch, options);
    const f = summarise('node', name, 'samples/s', throughput(batch, steps, s.step), `batch ${batch}`);
    best = Math.max(best, f.median);
    s.dispose();
  }
  skipped.push({ section: 'node', name: 'wasm with threads', note: 'tfjs-backend-wasm never uses its threaded build in Node (and in the browser the threaded build fails once bundled: see the README).' });
  await useNodeBackend(tf, 'wasm');
  return best;
}

function pytorch(bestNode: number) {
  console.error('3. A native peer: PyTorch on the same CPU');
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    skipped.push({ section: 'pytorch', name: 'PyTorch', note: `python3 -c 'import torch' fails: install Debian's python3-torch (and libopenblas0-pthread).` });
    console.error('  skipped: torch is not installed');
    return;
  }
  const out = execFileSync(python, ['bench/torch_vae.py', '128', String(RUNS), '10'], { env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8' });
  const r = JSON.parse(out) as { samplesPerSecond: number[]; torch: string; threads: number; blas: string };
  const f = summarise('pytorch', `PyTorch ${r.torch}, ${r.blas}, OPENBLAS_NUM_THREADS=1, ${r.threads} torch threads`, 'samples/s', r.samplesPerSecond, 'batch 128');
  figures.push({ section: 'pytorch', name: 'best Node figure ÷ PyTorch', unit: '×', median: bestNode / f.median, min: bestNode / f.max, max: bestNode / f.min, runs: [], note: 'target ≥ 0.40' });
  console.error(`  best Node ÷ PyTorch: ${(bestNode / f.median).toFixed(2)}`);
}

/** A chain of conv/dense layers with losses, n nodes in all. */
export function generatedGraph(n: number): GraphDocument {
  const doc = presetDoc('autoencoder');
  doc.nodes = [{ id: 'data', type: 'dataset', params: {}, position: [0, 0] }];
  doc.edges = [];
  let prev = { node: 'data', port: 'image' };
  doc.nodes.push({ id: 'flat', type: 'flatten', params: {}, position: [1, 0] });
  doc.edges.push({ from: prev, to: { node: 'flat', port: 'input' } });
  prev = { node: 'flat', port: 'output' };
  for (let i = 0; doc.nodes.length < n - 2; i++) {
    const id = `d${i}`;
    doc.nodes.push({ id, type: 'dense', params: { units: 8 + (i % 8), activation: 'relu', useBias: true }, position: [i, 0] });
    doc.edges.push({ from: prev, to: { node: id, port: 'input' } });
    prev = { node: id, port: 'output' };
  }
  doc.nodes.push({ id: 'out', type: 'dense', params: { units: 784, activation: 'sigmoid', useBias: true }, position: [n, 0] });
  doc.edges.push({ from: prev, to: { node: 'out', port: 'input' } });
  doc.nodes.push({ id: 'objective', type: 'objective', params: {}, position: [n + 1, 0] });
  return doc;
}

function editor() {
  console.error('5. Editor');
  for (const n of [10, 100, 1000]) {
    const doc = generatedGraph(n);
    analyze(doc);
    const runs = Array.from({ length: 20 }, () => {
      const t0 = performance.now();
      analyze(doc);
      return performance.now() - t0;
    });
    summarise('editor', `analyze, ${doc.nodes.length} nodes`, 'ms', runs, n === 1000 ? 'target < 10 ms' : undefined);
  }
  const assets = path.resolve('dist/assets');
  if (!existsSync(assets)) {
    skipped.push({ section: 'editor', name: 'bundle sizes', note: 'dist/ is missing: run `npm run build` first.' });
    return;
  }
  // Follow the chunks' imports: static ones load with their importer, `import()` ones on demand.
  const gz = (f: string) => gzipSync(readFileSync(path.join(assets, f))).length / 1024;
  const imports = (f: string, dynamic: boolean) => {
    const text = readFileSync(path.join(assets, f), 'utf8');
    const re = dynamic ? /import\(`\.\/([^`]+\.js)`\)|import\("\.\/([^"]+\.js)"\)/g : /from"\.\/([^"]+\.js)"|import"\.\/([^"]+\.js)"/g;
    return [...text.matchAll(re)].map((m) => m[1] ?? m[2]);
  };
  const closure = (starts: string[], dynamic: boolean) => reachable(starts, (f) => [...imports(f, false), ...(dynamic ? imports(f, true) : [])]);
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(readFileSync('dist/index.html', 'utf8'))?.[1];
  const all = readdirSync(assets).filter((f) => f.endsWith('.js'));
  const workerEntry = all.find((f) => f.startsWith('train-worker'));
  if (!entry || !workerEntry) throw new Error('dist/ has no page entry or no train-worker chunk');
  const initial = closure([entry], false);
  const worker = closure([workerEntry], true);
  const lazy = all.filter((f) => !initial.has(f) && !worker.has(f));
  const size = (files: Iterable<string>) => [...files].reduce((sum, f) => sum + gz(f), 0);
  // tfjs's kernel registry is in every tfjs build; the page must not carry it.
  const tfInPage = [...initial].some((f) => /registerKernel\(/.test(readFileSync(path.join(assets, f), 'utf8')));
  const one = (name: string, kb: number, note?: string) => {
    figures.push({ section: 'editor', name, unit: 'KB', median: kb, min: kb, max: kb, runs: [kb], ...(note ? { note } : {}) });
    console.error(`  ${name}: ${kb.toFixed(0)} KB`);
  };
  one('page JavaScript at load, gzip', size(initial), `target < 300 KB; tfjs in it: ${tfInPage ? 'yes' : 'no'}`);
  one('page JavaScript loaded on demand, gzip', size(lazy), lazy.join(', '));
  one('worker JavaScript (tfjs and all backends), gzip', size(worker));
}

async function leaks(images: ImageSet) {
  console.error('6. Leaks (wasm, batch 8)');
  await useNodeBackend(tf, 'wasm');
  const program = compile(presetDoc('beta-vae'), tf);
  const at = new Map<number, { tensors: number; heapMB: number }>();
  await train({
    tf,
    program,
    data: images,
    settings: { optimizer: 'rmsprop', learningRate: 0.001, batchSize: 8, epochs: 1, seed: 1 },
    maxSteps: 500,
    onStep: (s) => {
      if (s.step === 10 || s.step === 500) at.set(s.step, { tensors: tf.memory().numTensors, heapMB: process.memoryUsage().heapUsed / 2 ** 20 });
    },
  }).done;
  program.dispose();
  for (const step of [10, 500]) {
    const m = at.get(step)!;
    figures.push({ section: 'leaks', name: `tensors after step ${step}`, unit: 'tensors', median: m.tensors, min: m.tensors, max: m.tensors, runs: [m.tensors] });
    figures.push({ section: 'leaks', name: `JS heap after step ${step}`, unit: 'MB', median: m.heapMB, min: m.heapMB, max: m.heapMB, runs: [m.heapMB] });
    console.error(`  step ${step}: ${m.tensors} tensors, heap ${m.heapMB.toFixed(1)} MB`);
  }
}

async function main() {
  const data = await loadDatasetFromDisk('fashion-mnist');
  let best = 0;
  if (wanted('compile')) await compileOverhead(data.train);
  if (wanted('node') || wanted('pytorch')) best = await nodeBackends(data.train);
  if (wanted('node') || wanted('pytorch') || wanted('threads')) best = Math.max(best, await nodeParallel(tf, presetDoc('beta-vae'), data.train, summarise));
  if (wanted('pytorch')) pytorch(best);
  if (wanted('browser') || wanted('editor')) {
    console.error('Building the app (vite build) for the browser and bundle figures');
    execFileSync('npx', ['vite', 'build'], { stdio: 'ignore' });
  }
  if (wanted('browser')) {
    console.error('4. Browser (headless Chromium; also the editor\'s navigation time)');
    const r = await browserFigures(summarise);
    skipped.push(...r.skipped);
  }
  if (wanted('editor')) {
    editor();
    console.error('   big graphs in headless Chromium (bench/editor.ts)');
    await editorFigures(summarise);
  }
  if (wanted('leaks')) await leaks(data.train);
  if (wanted('gpu')) {
    console.error('7. GPU in Node (webgpu through Dawn) and PyTorch CUDA');
    await gpuFigures({ doc: presetDoc('beta-vae'), images: data.train, summarise, skipped, runs: RUNS, torchScript: 'bench/torch_vae.py', forceThroughput: process.env.WIRELAB_GPU_BENCH_FORCE === '1', batches: process.env.WIRELAB_GPU_BENCH_BATCHES?.split(',').map(Number) });
  }

  const pkg = (name: string) => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}` };
  const versions = { node: process.version, tfjs: pkg('@tensorflow/tfjs'), vite: pkg('vite'), chromium: chromiumVersion() };
  writeFileSync('bench/results.json', JSON.stringify({ date: new Date().toISOString(), machine, versions, runs: RUNS, figures, skipped }, null, 2) + '\n');
  console.log(table(machine, versions));
}

function chromiumVersion(): string {
  try {
    return execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'not installed';
  }
}

function table(machine: object, versions: object): string {
  const lines = [`Machine: ${JSON.stringify(machine)}`, `Versions: ${JSON.stringify(versions)}`, '', '| section | figure | median | min | max | unit | note |', '|---|---|---|---|---|---|---|'];
  for (const f of figures) lines.push(`| ${f.section} | ${f.name} | ${fmt(f.median)} | ${fmt(f.min)} | ${fmt(f.max)} | ${f.unit} | ${f.note ?? ''} |`);
  for (const s of skipped) lines.push(`| ${s.section} | ${s.name} | skipped | | | | ${s.note} |`);
  return lines.join('\n');
}

await main();
// Dawn (the gpu section's WebGPU) keeps Node's event loop alive.
if (wanted('gpu')) process.exit(0);
