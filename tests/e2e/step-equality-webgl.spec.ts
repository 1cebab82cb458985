// The fast training step equals tfjs's reference step in Chromium's WebGL (Mesa's llvmpipe through
// ANGLE): the weights and kept state after 10 steps, within 1e-5 relative. The core's comparison
// (tests/e2e/step-check-entry.ts) is bundled with esbuild and run in a blank page: WebGL needs no
// secure origin, so no app server either.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/graph/parse';
import { toFloats } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, launchBrowser } from './harness';

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
        expect(result.lastValues.fast.length).toBe(result.lastValues.reference.length);
      }
    } finally {
      await browser.close();
    }
  }, 1_200_000);
});
