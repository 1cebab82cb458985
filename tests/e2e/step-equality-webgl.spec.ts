// The fast training step equals tfjs's reference step in Chromium's WebGL (Mesa's llvmpipe through
// ANGLE): the weights and kept state after 10 steps, within 1e-5 relative. The core's comparison
// (tests/e2e/step-check-entry.ts) is bundled with esbuild and run in a blank page: WebGL needs no
// secure origin, so no app server either. Then the app itself (dist/) trains on webgl, where the
// fast step is the default.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/graph/parse';
import { toFloats } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, launchBrowser, openApp, startServer } from './harness';

const bundle = () => build({ entryPoints: [resolve(ROOT, 'tests/e2e/step-check-entry.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'warning' }).then((b) => b.outputFiles[0].text);
const preset = (name: string) => {
  const r = parse(JSON.parse(readFileSync(resolve(ROOT, `presets/${name}.json`), 'utf8')));
  if (!r.ok) throw new Error('preset');
  return r.doc;
};

type StepCheck = (doc: unknown, batches: number[][], optimizer: string, backend?: string, labels?: number[][]) => Promise<{ worstRelative: number; worstVariable: string; backend: string; lastValues: { fast: number[]; reference: number[] } }>;

// Mesa's llvmpipe through ANGLE, as bench/browser.ts runs WebGL.
const ANGLE = ['--use-gl=angle', '--use-angle=gl-egl', '--ignore-gpu-blocklist'];

describe('fast step in Chromium WebGL', () => {
  it('equals the reference step: β-VAE with RMSprop, Adam and SGD, the classifier (Accuracy, Dropout) and the BatchNormalization VAE', async () => {
    const code = await bundle();
    const data = await loadDatasetFromDisk('fashion-mnist');
    const batchesOf = (size: number) => Array.from({ length: 10 }, (_, b) => Array.from(toFloats(data.train, Array.from({ length: size }, (_, i) => b * size + i))));
    const labelsOf = (size: number) => Array.from({ length: 10 }, (_, b) => Array.from({ length: size }, (_, i) => data.train.labels[b * size + i]));
    const browser = await launchBrowser({ args: ANGLE });
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ content: code });
      // As on cpu (tests/train/step.test.ts): batch 8 for BatchNormalization, whose RMSprop training is chaotic.
      for (const [name, optimizer, size] of [
        ['beta-vae', 'rmsprop', 2],
        ['beta-vae', 'adam', 2],
        ['beta-vae', 'sgd', 2],
        ['cnn-classifier', 'adam', 2],
        ['vae-batchnorm', 'adam', 8],
      ] as const) {
        const result = await page.evaluate(
          ([doc, b, o, l]) => (globalThis as unknown as { stepCheck: StepCheck }).stepCheck(doc, b, o, 'webgl', l),
          [preset(name), batchesOf(size), optimizer, labelsOf(size)] as const,
        );
        console.log(`Chromium WebGL, ${name}, ${optimizer}: worst relative difference ${result.worstRelative.toExponential(2)} (${result.worstVariable})`);
        expect(result.backend).toBe('webgl');
        expect(result.worstRelative, `${name}, ${optimizer}: ${result.worstVariable}`).toBeLessThan(1e-5);
        // The last step's losses and metrics, both ways (the fast step's loss reductions are its own kernels).
        expect(result.lastValues.fast.length).toBe(result.lastValues.reference.length);
        result.lastValues.fast.forEach((v, i) => expect(Math.abs(v - result.lastValues.reference[i]), `${name}: value ${i}`).toBeLessThanOrEqual(1e-5 * Math.abs(result.lastValues.reference[i]) + 1e-6));
      }
    } finally {
      await browser.close();
    }
  }, 1_200_000);
});

describe('the app on WebGL', () => {
  it('trains the β-VAE with the fast step (the default on webgl): every step done, the loss finite and falling', async () => {
    const server = await startServer();
    const browser = await launchBrowser({ args: ANGLE });
    try {
      const app = await openApp(browser, server);
      const { page } = app;
      await page.goto(`${server.url}?backend=webgl`);
      await page.getByTestId('train-start').waitFor();
      for (const [id, v] of [
        ['train-limit', 64],
        ['train-batch', 16],
        ['train-epochs', 1],
      ] as const) {
        await page.getByTestId(id).fill(String(v));
        await page.getByTestId(id).press('Tab');
      }
      await page.getByTestId('train-start').click();
      const progress = page.getByTestId('progress');
      const end = Date.now() + 600_000;
      while ((await progress.getAttribute('data-phase')) !== 'done') {
        if ((await progress.getAttribute('data-phase')) === 'error' || Date.now() > end) throw new Error(`training stopped: ${await page.locator('[data-testid=train-message]').allInnerTexts()}`);
        await page.waitForTimeout(200);
      }
      expect((await page.getByTestId('backend').innerText()).trim()).toBe('webgl');
      expect(Number(await progress.getAttribute('data-step'))).toBe(4);
      const first = Number(await page.getByTestId('loss-chart').getAttribute('data-first-total'));
      const last = Number((await page.getByTestId('loss-total').innerText()).trim());
      expect(Number.isFinite(last)).toBe(true);
      expect(last).toBeLessThan(first);
      expect(app.errors).toEqual([]);
      await app.context.close();
    } finally {
      await browser.close();
      await server.stop();
    }
  }, 900_000);
});
