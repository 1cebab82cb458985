// The fast training step equals tfjs's reference step in Chromium's WebGPU (SwiftShader here): the
// weights after 10 steps of the β-VAE preset, for each optimizer, within 1e-5 relative. The core's
// comparison is bundled with esbuild and run in the app's page (a secure, cross-origin-isolated
// origin, where navigator.gpu exists).
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/graph/parse';
import { toFloats } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, useAppServer } from './harness';

const env = useAppServer();

describe('fast step in Chromium WebGPU', () => {
  it('equals the reference step for RMSprop, Adam and SGD (10 steps, batch 2)', async () => {
    const bundle = await build({ entryPoints: [resolve(ROOT, 'tests/e2e/step-check-entry.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'warning' });
    const r = parse(JSON.parse(readFileSync(resolve(ROOT, 'presets/beta-vae.json'), 'utf8')));
    if (!r.ok) throw new Error('preset');
    const data = await loadDatasetFromDisk('fashion-mnist');
    const batches = Array.from({ length: 10 }, (_, b) => Array.from(toFloats(data.train, [2 * b, 2 * b + 1])));
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(env.server.url);
    const hasGpu = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return !!gpu && !!(await gpu.requestAdapter());
    });
    if (!hasGpu) {
      console.warn('skipped: this Chromium has no WebGPU adapter');
      await context.close();
      return;
    }
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    for (const optimizer of ['rmsprop', 'adam', 'sgd'] as const) {
      const result = await page.evaluate(
        ([doc, b, o]) => (globalThis as unknown as { stepCheck: (d: unknown, b: number[][], o: string) => Promise<{ worstRelative: number; worstVariable: string; backend: string }> }).stepCheck(doc, b, o),
        [r.doc, batches, optimizer] as const,
      );
      console.log(`Chromium WebGPU, ${optimizer}: worst relative difference ${result.worstRelative.toExponential(2)} (${result.worstVariable})`);
      expect(result.backend).toBe('webgpu');
      expect(result.worstRelative, `${optimizer}: ${result.worstVariable}`).toBeLessThan(1e-5);
    }
    await context.close();
  }, 1_200_000);
});
