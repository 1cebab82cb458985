// --data PATH: the CLI on your own images, as a user runs it (a real process, real files).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { idx, rgbPng } from '../train/image-fixtures';

const root = path.resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', ...args], { cwd: root, timeout: 240_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('cli --data', () => {
  it('takes the image shape and classes from a folder of class folders, and trains the classifier on it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-data-'));
    for (const [c, cls] of ['cats', 'dogs', 'owls'].entries())
      for (let i = 0; i < 10; i++) {
        await mkdir(path.join(dir, 'pets', cls), { recursive: true });
        await writeFile(path.join(dir, 'pets', cls, `${i}.png`), rgbPng(16, 16, c * 50 + i));
      }
    const summary = await cli('summary', 'presets/cnn-classifier.json', '--data', path.join(dir, 'pets'));
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(/conv1 \(Conv2D\)\s+\(None, 14, 14, 32\)\s+896/);
    const out = path.join(dir, 'run');
    const run = await cli('train', 'presets/cnn-classifier.json', '--data', path.join(dir, 'pets'), '--epochs', '1', '--batch-size', '9', '--out', out);
    expect(run.stderr).toMatch(/on 27 pets images \(16×16×3\)/);
    expect(run.code).toBe(0);
    const test = JSON.parse(await readFile(path.join(out, 'test.json'), 'utf8'));
    expect(test.images).toBe(3);
    expect(test.accuracy).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('exits 1 with a clear message for a malformed IDX file and for a missing path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-bad-'));
    await writeFile(path.join(dir, 'train-images-idx3-ubyte'), idx([4, 3, 3], new Uint8Array(36), [0, 0, 8, 2]));
    await writeFile(path.join(dir, 'train-labels-idx1-ubyte'), idx([4], new Uint8Array(4)));
    const r = await cli('train', 'presets/cnn-classifier.json', '--data', dir);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^train-images-idx3-ubyte has 2 dimensions|train-images-idx3-ubyte should be/);
    const missing = await cli('summary', 'presets/cnn-classifier.json', '--data', path.join(dir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file or folder/);
  }, 300_000);
});
