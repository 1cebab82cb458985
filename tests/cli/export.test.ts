// `cli export` as a user runs it: a real process, real files, real exit codes.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportTorch } from '../../src/export/torch';
import { preset } from '../helpers';

const root = path.resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', ...args], { cwd: root, timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('cli export', () => {
  it('prints the PyTorch file without --out, and writes it with --out', async () => {
    const r = await cli('export', 'presets/beta-vae.json', '--to', 'pytorch');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(exportTorch(preset('beta-vae')));
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-export-'));
    const w = await cli('export', 'presets/beta-vae.json', '--to', 'keras', '--out', path.join(dir, 'vae_keras.py'));
    expect(w.code).toBe(0);
    expect(await readFile(path.join(dir, 'vae_keras.py'), 'utf8')).toMatch(/^encoder = keras\.Model\(data, \[z_mean, z_log_var\], name="encoder"\)$/m);
  }, 120_000);

  it('writes one LayersModel folder per model part', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-export-'));
    const r = await cli('export', 'presets/beta-vae.json', '--to', 'tfjs-layers', '--out', dir);
    expect(r.code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['decoder', 'encoder']);
    const json = JSON.parse(await readFile(path.join(dir, 'encoder', 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain('z_log_var/kernel');
    expect(r.stderr).toMatch(/Sampling and the losses are not layers tfjs-layers knows/);
  }, 120_000);

  it('exits 2 on a bad target and 1 on a graph with problems', async () => {
    const bad = await cli('export', 'presets/beta-vae.json', '--to', 'onnx');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to must be one of pytorch, keras, tfjs-layers, got onnx/);
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-export-'));
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'reshape')!.params.targetShape = [7, 7, 32];
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify(doc));
    const r = await cli('export', path.join(dir, 'bad.json'), '--to', 'pytorch');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/node reshape: Reshape to \[7, 7, 32\]/);
  }, 120_000);
});
