// `cli train --threads N`: data-parallel training over worker threads, as a user runs it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', ...args], { cwd: root, timeout: 240_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });

describe('cli train --threads', () => {
  it('trains on 2 threads and writes its metrics', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'wirelab-threads-'));
    const r = await cli('train', 'presets/beta-vae.json', '--epochs', '1', '--limit', '256', '--batch-size', '64', '--threads', '2', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend wasm, 2 thread\(s\)/);
    const [epoch] = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(epoch.total).toBeGreaterThan(100);
    expect(epoch.total).toBeLessThan(600);
    expect(r.stderr).toMatch(/Done: 4 steps/);
  }, 240_000);
  it('exits 2 on a thread count below 1', async () => {
    const r = await cli('train', 'presets/beta-vae.json', '--threads', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads must be a whole number from 1 to 256, got "0"/);
  }, 60_000);
});
