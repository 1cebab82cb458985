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
import { evaluate } from '../../src/train/evaluate';
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

  it('trains the CNN classifier as Wirelab does: equal loss and accuracy, 10 SGD steps within 1e-3, the same test accuracy', async () => {
    // Dropout's masks are random on each side: rate 0 here (eval mode, where it passes everything, is the test pass's).
    const base = preset('cnn-classifier');
    const doc: GraphDocument = {
      ...base,
      nodes: base.nodes.map((n) => (n.type === 'dropout' ? { ...n, params: { ...n.params, rate: 0 } } : n)),
      training: { ...base.training, optimizer: 'sgd', learningRate: 0.05, batchSize: 64, epochs: 1, seed: 3 },
    };
    const steps = 10;
    const dir = await tempDir('classifier');
    const program = compile(doc, tf);
    await writeModel(tf, program, path.join(dir, 'init'));
    const script = await writeScript(doc, dir);
    const python = run(PYTHON, [script, '--data', DATA, '--limit', String(steps * 64), '--device', 'cpu', '--init', path.join(dir, 'init'), '--log', path.join(dir, 'log.jsonl'), '--save', '']);
    const losses: Losses[] = [];
    await train({ tf, program, data: take(data.train, steps * 64), settings: doc.training, maxSteps: steps, onStep: (s) => void losses.push(s.losses) }).done;
    const { stdout } = await python;
    const { readFile } = await import('node:fs/promises');
    const theirs = (await readFile(path.join(dir, 'log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(theirs).toHaveLength(steps);
    expect(losses).toHaveLength(steps);
    expect(relative(theirs[0].loss, losses[0].total)).toBeLessThan(1e-4);
    expect(theirs[0].accuracy).toBe(losses[0].accuracy);
    for (let i = 0; i < steps; i++) {
      expect(relative(theirs[i].cross_entropy, losses[i].cross_entropy), `step ${i + 1}`).toBeLessThan(1e-3);
      // A near-tie between two classes may fall either way after float32 drift: one image of 64 at most.
      expect(Math.abs(theirs[i].accuracy - losses[i].accuracy), `step ${i + 1}`).toBeLessThanOrEqual(1 / 64 + 1e-6);
    }
    expect(losses[steps - 1].total).toBeLessThan(losses[0].total);
    // Accuracy per epoch, and the test split's in eval mode at the end: ours over the same 10,000 images.
    expect(stdout).toMatch(/epoch 1\/1: loss [\d.]+, cross_entropy [\d.]+, accuracy [\d.]+%/);
    const test = stdout.match(/test \(10,000 images, eval mode\): cross_entropy ([\d.]+), accuracy ([\d.]+)%/);
    expect(test).not.toBeNull();
    const ours = await evaluate(tf, program, data.test);
    program.dispose();
    expect(Math.abs(Number(test![1]) - ours.cross_entropy)).toBeLessThan(2e-3 * ours.cross_entropy + 1e-3);
    expect(Math.abs(Number(test![2]) / 100 - ours.accuracy)).toBeLessThanOrEqual(0.002);
  }, 240_000);

  it('reproduces Keras’s RMSprop (ε inside the square root): 5 steps within 1e-3', async () => {
    const r = await trainBoth('rmsprop', 0.001, 5);
    for (let i = 0; i < 5; i++) expect(relative(r.theirs[i].loss, r.losses[i].total), `step ${i + 1}`).toBeLessThan(1e-3);
    expect(r.losses[4].total).toBeLessThan(r.losses[0].total);
    expect(relative(r.theirsAfter, r.oursAfter)).toBeLessThan(1e-3);
  }, 240_000);

  it.each(['beta-vae', 'vae-batchnorm'])('carries weights both ways exactly (%s): --init then --save gives back the same bytes', async (name) => {
    const dir = await tempDir('roundtrip');
    const doc = preset(name);
    const program = compile(doc, tf);
    // A training-mode pass first, so BatchNormalization's moving statistics are not their initial 0 and 1.
    const batch = tf.tensor4d(toFloats(data.train, Array.from({ length: 32 }, (_, i) => i)), [32, 28, 28, 1]);
    tf.tidy(() => void program.losses({ image: batch }));
    batch.dispose();
    await writeModel(tf, program, path.join(dir, 'init'));
    program.dispose();
    await run(PYTHON, [await writeScript(doc, dir), '--data', DATA, '--limit', '128', '--epochs', '0', '--device', 'cpu', '--init', path.join(dir, 'init'), '--save', path.join(dir, 'back')]);
    const [a, b] = await Promise.all([readModel(path.join(dir, 'init')), readModel(path.join(dir, 'back'))]);
    const sorted = (m: typeof a) => m.json.weightsManifest.flatMap((g) => g.weights).map((w) => `${w.name}:${w.shape.join('x')}`);
    expect(sorted(b)).toEqual(sorted(a));
    if (name === 'vae-batchnorm') expect(sorted(b)).toContain('bn3/moving_variance:64');
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
      const summary = JSON.parse(stdout) as { parts: { name: string; params: number; nonTrainable: number; outputShapes: number[][] }[]; layers: { id: string; params: number; nonTrainable: number }[] };
      expect(summary.parts.map((x) => [x.name, x.params, x.nonTrainable]), p.file).toEqual(analysis.parts.map((x) => [x.name, x.params, x.nonTrainable]));
      // Every layer with weights is a module (Flatten and Reshape are tensor methods).
      const layerIds = analysis.parts.flatMap((x) => x.nodes).filter((id) => analysis.nodes[id].params > 0);
      expect(summary.layers.map((l) => l.id).sort()).toEqual(layerIds.sort());
      for (const l of summary.layers) expect([l.params, l.nonTrainable], `${p.file} ${l.id}`).toEqual([analysis.nodes[l.id].params, analysis.nodes[l.id].nonTrainable]);
      // Each part's outputs: the shapes the summary shows for the nodes that feed the rest of the graph.
      for (const part of summary.parts) {
        const last = analysis.parts.find((x) => x.name === part.name)!.nodes;
        const shapes = part.outputShapes.map((s) => s.join('x'));
        for (const s of shapes) expect(last.some((id) => Object.values(analysis.nodes[id].outputs).some((o) => o.join('x') === s)), `${p.file} ${part.name} ${s}`).toBe(true);
      }
      if (p.file === 'beta-vae') expect(summary.parts.find((x) => x.name === 'decoder')!.outputShapes).toEqual([[28, 28, 1]]);
      if (p.file === 'cnn-classifier') expect(summary.parts).toEqual([{ name: 'model', params: 34826, nonTrainable: 0, outputShapes: [[10]] }]);
      if (p.file === 'vae-batchnorm') expect(summary.layers.find((l) => l.id === 'bn2')).toEqual({ id: 'bn2', params: 128, nonTrainable: 128 });
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
