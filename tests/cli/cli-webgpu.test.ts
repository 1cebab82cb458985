// `cli train --backend webgpu` as a user runs it, where no Vulkan driver exists: a clear message.
// (Training on Dawn itself is tests/train/step-webgpu.test.ts; a whole CLI run on SwiftShader
// spends many minutes encoding the 10,000 test images for latent.csv.)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const cli = (env: Record<string, string>, ...args: string[]) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', ...args], { cwd: root, timeout: 240_000, env: { ...process.env, ...env } }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });

describe('cli train --backend webgpu', () => {
  it('says what is missing when Vulkan has no driver, and exits with 1', async () => {
    const r = await cli({ VK_ICD_FILENAMES: '/nonexistent/icd.json' }, 'train', 'presets/beta-vae.json', '--backend', 'webgpu', '--limit', '8');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No WebGPU adapter is available in Node\. .*(driver|libvulkan1)/);
  }, 120_000);
});
