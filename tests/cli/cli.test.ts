// The CLI as a user runs it: a real process, real files, real exit codes.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { colourCount, readPng } from './png-read';
import { tooBigGraph } from '../fixtures/too-big';

const root = path.resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', ...args], { cwd: root, timeout: 240_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('cli summary', () => {
  it('prints the tutorial’s totals for the β-VAE', async () => {
    const r = await cli('summary', 'presets/beta-vae.json');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/conv1 \(Conv2D\)\s+\(None, 14, 14, 32\)\s+320/);
    expect(r.stdout).toMatch(/Total params: 69,076/);
    expect(r.stdout).toMatch(/Total params: 65,089/);
  });
  it('--json prints parts, nodes and diagnostics', async () => {
    const r = await cli('summary', 'presets/beta-vae.json', '--json');
    const json = JSON.parse(r.stdout);
    expect(json.parts).toEqual([
      { name: 'encoder', params: 69076, nonTrainable: 0 },
      { name: 'decoder', params: 65089, nonTrainable: 0 },
    ]);
    // Memory: 4 bytes × (18,496 weights × (1 + gradient + RMSprop's 2 accumulators) + 128 × 3,136 outputs × 2).
    expect(json.nodes.find((n: { id: string }) => n.id === 'conv2')).toEqual({
      id: 'conv2',
      type: 'conv2d',
      outputShapes: { output: [null, 7, 7, 64] },
      params: 18496,
      nonTrainable: 0,
      memoryBytes: 4 * (18_496 * 4 + 128 * 3136 * 2),
    });
    expect(json.memory).toEqual({ bytes: expect.any(Number), batchSize: 128, unknownNodes: 0 });
    expect(json.diagnostics).toEqual([]);
  });
  it('exits 1 on a malformed graph with one readable line per diagnostic', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-'));
    const bad = path.join(dir, 'bad.json');
    const doc = JSON.parse(await readFile(path.join(root, 'presets/beta-vae.json'), 'utf8'));
    doc.nodes.find((n: { id: string }) => n.id === 'reshape').params.targetShape = [7, 7, 32];
    await writeFile(bad, JSON.stringify(doc));
    const r = await cli('summary', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/node reshape: Reshape to \[7, 7, 32\] needs 1,568 elements/);
    await writeFile(bad, '{ not json');
    const t = await cli('train', bad);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/not valid JSON/);
    expect(t.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  }, 60_000);
  it('exits 2 on bad usage', async () => {
    expect((await cli()).code).toBe(2);
    expect((await cli('fly', 'x.json')).code).toBe(2);
    expect((await cli('train', 'presets/beta-vae.json', '--epochs', 'many')).code).toBe(2);
    expect((await cli('train', 'presets/beta-vae.json', '--backend', 'gpu')).code).toBe(2);
  }, 60_000);
});

describe('cli train', () => {
  it('trains, and writes metrics.jsonl (with the latent metrics), latent.csv, the three plots as PNG and the weights', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'wirelab-run-'));
    const r = await cli('train', 'presets/beta-vae.json', '--epochs', '2', '--limit', '256', '--batch-size', '64', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const epochs = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(epochs).toHaveLength(2);
    expect(Object.keys(epochs[0])).toEqual(expect.arrayContaining(['epoch', 'total', 'reconstruction_loss', 'kl_loss', 'β·kl_loss']));
    expect(epochs[1].total).toBeLessThan(epochs[0].total);
    const csv = (await readFile(path.join(out, 'latent.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('z0,z1,label,class');
    expect(csv).toHaveLength(10001);
    expect(csv[1]).toMatch(/^-?[\d.e-]+,-?[\d.e-]+,9,"Ankle boot"$/);
    expect(await readdir(path.join(out, 'model'))).toEqual(expect.arrayContaining(['model.json', 'weights.bin']));
    // The optimizer's state is saved with the weights (tfjs's names, group 'optimizer').
    const model = JSON.parse(await readFile(path.join(out, 'model', 'model.json'), 'utf8'));
    expect(model.optimizer).toBe('rmsprop');
    const own = model.weightsManifest[0].weights.filter((w: { group?: string }) => w.group === 'optimizer').map((w: { name: string }) => w.name);
    expect(own).toEqual(expect.arrayContaining(['iter', 'conv1/kernel/rms', 'conv1/kernel/momentum']));
    // --from continues from it, optimizer state included.
    const next = await mkdtemp(path.join(tmpdir(), 'wirelab-run-'));
    const r2 = await cli('train', 'presets/beta-vae.json', '--epochs', '1', '--limit', '128', '--batch-size', '64', '--from', path.join(out, 'model'), '--out', next);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toContain(`Continuing from ${path.join(out, 'model')}, with the optimizer’s state.`);
    const continued = JSON.parse((await readFile(path.join(next, 'metrics.jsonl'), 'utf8')).trim().split('\n')[0]);
    expect(continued.total).toBeLessThan(epochs[0].total);
    // The latent metrics each epoch, in metrics.jsonl and on the epoch line.
    for (const e of epochs) {
      expect(e.knnAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.knnAccuracy).toBeLessThanOrEqual(1);
      expect(e.k).toBe(5);
      expect(e.meanPerDim).toHaveLength(2);
      expect(e.variancePerDim).toHaveLength(2);
      expect(e.klPerDim).toHaveLength(2);
      expect(e.klPerDim.every((v: number) => v >= 0)).toBe(true);
    }
    expect(r.stderr).toMatch(/epoch 2\/2: .* 5-NN \d+\.\d%, μ mean \[.*\] var \[.*\], KL\/dim \[/);
    // The three plots as PNG: signature, IHDR size, and pixels that are not all one colour.
    const sizes: Record<string, [number, number]> = {};
    for (const name of ['latent-grid.png', 'latent-scatter.png', 'reconstructions.png']) {
      const bytes = new Uint8Array(await readFile(path.join(out, name)));
      expect([...bytes.subarray(0, 8)], name).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
      const png = await readPng(bytes);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      expect([view.getUint32(16), view.getUint32(20)]).toEqual([png.width, png.height]);
      expect(colourCount(png), name).toBeGreaterThan(name === 'latent-scatter.png' ? 10 : 2);
      sizes[name] = [png.width, png.height];
    }
    // The grid holds 10×10 tiles of 28 px drawn at 2×, with axes around them.
    expect(sizes['latent-grid.png'][0]).toBeGreaterThan(560);
    expect(sizes['latent-grid.png'][1]).toBeGreaterThan(560);
    expect(r.stderr).toMatch(/latent-grid\.png, latent-scatter\.png, reconstructions\.png|latent-scatter\.png, latent-grid\.png, reconstructions\.png/);
  }, 240_000);
  it('the Done line names only the files it wrote: no latent.csv for a graph without a latent mean', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'wirelab-run-'));
    const doc = JSON.parse(await readFile(path.join(root, 'presets/autoencoder.json'), 'utf8'));
    // Without the plots there is no latent to find: no Sampling, no grid, no scatter.
    doc.nodes = doc.nodes.filter((n: { id: string }) => !['scatter', 'grid', 'recon'].includes(n.id));
    doc.edges = doc.edges.filter((e: { to: { node: string } }) => !['scatter', 'grid', 'recon'].includes(e.to.node));
    const file = path.join(out, 'plain.json');
    await writeFile(file, JSON.stringify(doc));
    const r = await cli('train', file, '--epochs', '1', '--limit', '32', '--batch-size', '16', '--out', path.join(out, 'run'));
    expect(r.code, r.stderr).toBe(0);
    const files = await readdir(path.join(out, 'run'));
    expect(files).not.toContain('latent.csv');
    const done = r.stderr.split('\n').find((l) => l.startsWith('Done:'))!;
    expect(done).toMatch(/Wrote .*: metrics\.jsonl, model\/\.$/);
    for (const f of ['metrics.jsonl', 'model']) expect(files).toContain(f);
  }, 240_000);
  it('refuses at once a graph too big for the backend, naming the node and the estimate', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-'));
    const doc = tooBigGraph();
    const file = path.join(dir, 'big.json');
    await writeFile(file, JSON.stringify(doc));
    const summary = await cli('summary', file);
    expect(summary.code, summary.stdout).toBe(0);
    expect(summary.stdout).toMatch(/huge \(Dense\)\s+\(None, 65536\)\s+52,613,414,912\s+784 GiB/);
    expect(summary.stdout).toMatch(/Training memory at batch 128 \(rmsprop\): about 786 GiB/);
    const started = Date.now();
    const r = await cli('train', file, '--out', path.join(dir, 'run'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Too big to train on (wasm|cpu): about 786 GiB at batch 128, more than the \d+(\.\d+)? GiB it can hold/);
    expect(r.stderr).toMatch(/Biggest: "huge" \(Dense\) 784 GiB \(weights 196 GiB/);
    expect(r.stderr).not.toMatch(/Invalid typed array length|\bat .*\.ts:\d+/);
    // Before loading data or allocating a weight: seconds, not minutes (the process start included).
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);
  it('--seed makes a run repeatable: the same seed, the same metrics; another seed, others', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-seed-'));
    const metrics = async (seed: string, name: string) => {
      const out = path.join(dir, name);
      const r = await cli('train', 'presets/beta-vae.json', '--epochs', '1', '--limit', '64', '--batch-size', '32', '--seed', seed, '--backend', 'wasm', '--out', out);
      expect(r.code, r.stderr).toBe(0);
      const line = JSON.parse((await readFile(path.join(out, 'metrics.jsonl'), 'utf8')).trim());
      delete line.elapsedSeconds;
      return line;
    };
    const a = await metrics('3', 'a');
    expect(await metrics('3', 'b')).toEqual(a);
    expect((await metrics('4', 'c')).total).not.toBe(a.total);
  }, 240_000);
});
