// The PyTorch export trains what Wirelab trains: the same weights give the same losses, 20 SGD steps
// on the same 2,048 images (same shuffle, same ε) stay together, weights go both ways, every preset's
// parts have our parameter counts and shapes, and the same file runs under torchrun (2 CPU processes).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile';
import { exportTorch } from '../../src/export/torch';
import { analyze } from '../../src/graph/analyze';
import type { GraphDocument, OptimizerName } from '../../src/graph/document';
import { take, toFloats, type Dataset } from '../../src/train/data';
import { DATA_DIR, loadDatasetFromDisk } from '../../src/train/data-node';
import { train, type Losses } from '../../src/train/train';
import { presets } from '../../presets';
import { preset, tf, wasmBackend } from '../helpers';
import { normals, PYTHON, readModel, readModelInto, relative, run, tempDir, TORCHRUN, withFixedNoise, writeModel } from './python';

let data: Dataset;
beforeAll(async () => {
  await wasmBackend();
  data = await loadDatasetFromDisk('fashion-mnist');
});

const DATA = path.join(DATA_DIR, 'fashion-mnist');

async function writeScript(doc: GraphDocument, dir: string): Promise<string> {
  const file = path.join(dir, 'model.py');
  await writeFile(file, exportTorch(doc));
  return file;
}

/** Our side and the script's, from the same initial weights, on the same images with the same ε. */
async function trainBoth(optimizer: OptimizerName, learningRate: number, steps: number) {
  const base = preset('beta-vae');
  const doc: GraphDocument = { ...base, training: { ...base.training, optimizer, learningRate, batchSize: 128, seed: 7 } };
  const dir = await tempDir('torch');
  const latent = analyze(doc).nodes.z_mean.outputs.output[0];
  // One batch of ε per step, and one more for the forward pass after training.
  const eps = normals((steps + 1) * 128 * latent, 11);
  await writeFile(path.join(dir, 'eps.bin'), new Uint8Array(eps.buffer));
  const ours = withFixedNoise(tf, eps);
  const program = compile(doc, ours);
  await writeModel(tf, program, path.join(dir, 'init'));

  const script = await writeScript(doc, dir);
  const python = run(PYTHON, [script, '--data', DATA, '--limit', '2048', '--device', 'cpu', '--init', path.join(dir, 'init'), '--eps', path.join(dir, 'eps.bin'), '--steps', String(steps), '--log', path.join(dir, 'log.jsonl'), '--save', path.join(dir, 'trained')]);

  const losses: Losses[] = [];
  await train({ tf: ours, program, data: take(data.train, 2048), settings: doc.training, maxSteps: steps, onStep: (s) => void losses.push(s.losses) }).done;
  const { stdout } = await python;
  const { readFile } = await import('node:fs/promises');
  const theirs = (await readFile(path.join(dir, 'log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

  // After training: our weights and the script's saved ones, through one more forward pass with the same batch and ε.
  const batch = tf.tensor4d(toFloats(data.train, Array.from({ length: 128 }, (_, i) => i)), [128, 28, 28, 1]);
  const after = (p: typeof program) => tf.tidy(() => p.losses({ image: batch }).total.dataSync()[0]);
  const oursAfter = after(program);
  const reread = compile(doc, withFixedNoise(tf, eps.subarray(steps * 128 * latent)));
  await readModelInto(tf, reread, path.join(dir, 'trained'));
  const theirsAfter = after(reread);
  batch.dispose();
  program.dispose();
  reread.dispose();
  return { dir, doc, stdout, losses, theirs, oursAfter, theirsAfter };
}

describe('PyTorch export', () => {
  it('trains as Wirelab does: equal forward loss (1e-4), 20 SGD steps within 1e-3, and its saved weights give our loss', async () => {
    const r = await trainBoth('sgd', 0.001, 20);
    expect(r.theirs).toHaveLength(20);
    expect(r.losses).toHaveLength(20);
    // The first step's loss is the forward pass at the shared initial weights.
    expect(relative(r.theirs[0].loss, r.losses[0].total)).toBeLessThan(1e-4);
    for (const term of ['reconstruction_loss', 'kl_loss', 'β·kl_loss']) expect(relative(r.theirs[0][term], r.losses[0][term])).toBeLessThan(1e-4);
    for (let i = 0; i < 20; i++) expect(relative(r.theirs[i].loss, r.losses[i].total), `step ${i + 1}`).toBeLessThan(1e-3);
    // It learned something, on both sides.
    expect(r.losses[19].total).toBeLessThan(r.losses[0].total * 0.95);
    // The script's saved weights, read by our loader, give the loss our own weights give after the same 20 steps.
    expect(relative(r.theirsAfter, r.oursAfter)).toBeLessThan(1e-3);
    expect(r.stdout).toMatch(/epoch 1\/\d+: loss [\d.]+, kl_loss/);
  }, 240_000);

  it('reproduces Keras’s RMSprop (ε inside the square root): 5 steps within 1e-3', async () => {
    const r = await trainBoth('rmsprop', 0.001, 5);
    for (let i = 0; i < 5; i++) expect(relative(r.theirs[i].loss, r.losses[i].total), `step ${i + 1}`).toBeLessThan(1e-3);
    expect(r.losses[4].total).toBeLessThan(r.losses[0].total);
    expect(relative(r.theirsAfter, r.oursAfter)).toBeLessThan(1e-3);
  }, 240_000);

  it('carries weights both ways exactly: --init then --save gives back the same bytes', async () => {
    const dir = await tempDir('roundtrip');
    const doc = preset('beta-vae');
    const program = compile(doc, tf);
    await writeModel(tf, program, path.join(dir, 'init'));
    program.dispose();
    await run(PYTHON, [await writeScript(doc, dir), '--data', DATA, '--limit', '128', '--epochs', '0', '--device', 'cpu', '--init', path.join(dir, 'init'), '--save', path.join(dir, 'back')]);
    const [a, b] = await Promise.all([readModel(path.join(dir, 'init')), readModel(path.join(dir, 'back'))]);
    const sorted = (m: typeof a) => m.json.weightsManifest.flatMap((g) => g.weights).map((w) => `${w.name}:${w.shape.join('x')}`);
    expect(sorted(b)).toEqual(sorted(a));
    expect(Buffer.from(b.weights).equals(Buffer.from(a.weights))).toBe(true);
    expect(b.json.graph).toEqual(doc);
  }, 120_000);

  it('refuses a model of another graph with a clear message', async () => {
    const dir = await tempDir('other');
    const program = compile(preset('autoencoder'), tf);
    await writeModel(tf, program, path.join(dir, 'ae'));
    program.dispose();
    const script = await writeScript(preset('beta-vae'), dir);
    await expect(run(PYTHON, [script, '--data', DATA, '--limit', '128', '--epochs', '0', '--device', 'cpu', '--init', path.join(dir, 'ae'), '--save', ''])).rejects.toThrow(
      /has no weight "z_mean\/kernel": it belongs to a different graph/,
    );
  }, 120_000);

  it('exports every preset with our parameter count per part and per layer, and our part output shapes', async () => {
    const dir = await tempDir('presets');
    for (const p of presets) {
      const doc = preset(p.file);
      const analysis = analyze(doc);
      const script = await writeScript(doc, dir);
      const { stdout } = await run(PYTHON, [script, '--summary']);
      const summary = JSON.parse(stdout) as { parts: { name: string; params: number; outputShapes: number[][] }[]; layers: { id: string; params: number }[] };
      expect(summary.parts.map((x) => [x.name, x.params]), p.file).toEqual(analysis.parts.map((x) => [x.name, x.params]));
      // Every layer with weights is a module (Flatten and Reshape are tensor methods).
      const layerIds = analysis.parts.flatMap((x) => x.nodes).filter((id) => analysis.nodes[id].params > 0);
      expect(summary.layers.map((l) => l.id).sort()).toEqual(layerIds.sort());
      for (const l of summary.layers) expect(l.params, `${p.file} ${l.id}`).toBe(analysis.nodes[l.id].params);
      // Each part's outputs: the shapes the summary shows for the nodes that feed the rest of the graph.
      for (const part of summary.parts) {
        const last = analysis.parts.find((x) => x.name === part.name)!.nodes;
        const shapes = part.outputShapes.map((s) => s.join('x'));
        for (const s of shapes) expect(last.some((id) => Object.values(analysis.nodes[id].outputs).some((o) => o.join('x') === s)), `${p.file} ${part.name} ${s}`).toBe(true);
      }
      if (p.file === 'beta-vae') expect(summary.parts.find((x) => x.name === 'decoder')!.outputShapes).toEqual([[28, 28, 1]]);
    }
  }, 180_000);

  it('runs under torchrun with 2 CPU processes (DistributedDataParallel over Gloo) and saves weights we load', async () => {
    const dir = await tempDir('torchrun');
    const doc = preset('beta-vae');
    const script = await writeScript(doc, dir);
    // --redirects 1 --tee 1: torch 1.13's torchrun cannot parse its own defaults under Python 3.11 (Debian's pairing).
    const { stdout, stderr } = await run(TORCHRUN, ['--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', '--log_dir', path.join(dir, 'logs'), script, '--data', DATA, '--limit', '512', '--batch-size', '64', '--epochs', '2', '--device', 'cpu', '--save', path.join(dir, 'trained')]);
    const out = stdout + stderr;
    expect(out).toMatch(/on 512 images, 2 epoch\(s\), batch 64 × 2 processes/);
    // 512 images over 2 processes at 64 per process: 4 steps an epoch.
    expect(out).toMatch(/epoch 1 step 4\/4/);
    const epochs = [...out.matchAll(/epoch (\d)\/2: loss ([\d.]+)/g)].map((m) => Number(m[2]));
    expect(epochs).toHaveLength(2);
    expect(epochs[1]).toBeLessThan(epochs[0]);
    const program = compile(doc, tf);
    await readModelInto(tf, program, path.join(dir, 'trained'));
    program.dispose();
  }, 240_000);
});
