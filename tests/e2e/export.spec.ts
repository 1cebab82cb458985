// The toolbar's Export menu in Chromium: it downloads the graph as a PyTorch file and a Keras file,
// the same text the exporters write; the PyTorch file runs (its summary has our parameter counts) and
// the weights it trains open in the app.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { exportKeras } from '../../src/export/keras';
import { exportTorch } from '../../src/export/torch';
import { preset } from '../helpers';
import { PYTHON, run, tempDir } from '../export/python';
import { DATA_DIR } from '../../src/train/data-node';
import { openApp, useAppServer } from './harness';

const env = useAppServer();

async function download(page: Page, item: 'export-pytorch' | 'export-keras'): Promise<{ name: string; text: string }> {
  await page.getByTestId('export-menu').locator('summary').click();
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(item).click()]);
  return { name: file.suggestedFilename(), text: await readFile((await file.path())!, 'utf8') };
}

describe('Export menu', () => {
  it('downloads the β-VAE and the CNN classifier as PyTorch and Keras files that run, opens weights the PyTorch file trained, and says why an unfinished graph cannot be exported', async () => {
    const app = await openApp(env.browser, env.server);
    try {
      const { page } = app;
      const torch = await download(page, 'export-pytorch');
      expect(torch.name).toMatch(/\.py$/);
      expect(torch.text).toBe(exportTorch(preset('beta-vae')));
      const dir = await tempDir('e2e-export');
      const file = path.join(dir, 'model.py');
      await writeFile(file, torch.text);
      const summary = JSON.parse((await run(PYTHON, [file, '--summary'])).stdout) as { parts: { name: string; params: number }[] };
      expect(summary.parts.map((p) => [p.name, p.params])).toEqual([
        ['encoder', 69_076],
        ['decoder', 65_089],
      ]);

      // Weights trained by the downloaded file open in the app (⤒ Load…): the round trip closes.
      await run(PYTHON, [file, '--data', path.join(DATA_DIR, 'fashion-mnist'), '--limit', '256', '--steps', '2', '--device', 'cpu', '--save', path.join(dir, 'trained')]);
      await page.getByTestId('model-file').setInputFiles([path.join(dir, 'trained', 'model.json'), path.join(dir, 'trained', 'weights.bin')]);
      await page.getByTestId('toast-text').filter({ hasText: /Weights loaded/ }).waitFor({ timeout: 60_000 });

      const keras = await download(page, 'export-keras');
      expect(keras.name).toMatch(/-keras\.py$/);
      expect(keras.text).toBe(exportKeras(preset('beta-vae')));
      const menuOpen = () => page.getByTestId('export-menu').evaluate((d) => (d as HTMLDetailsElement).open);
      expect(await menuOpen()).toBe(false);
      // A click elsewhere closes the menu.
      await page.getByTestId('export-menu').locator('summary').click();
      expect(await menuOpen()).toBe(true);
      await page.locator('.toolbar .brand').click();
      expect(await menuOpen()).toBe(false);

      // The classifier preset: the same files as the exporters write, and the PyTorch file's summary has our count.
      await page.getByTestId('preset-cnn-classifier').click();
      const classifier = await download(page, 'export-pytorch');
      expect(classifier.text).toBe(exportTorch(preset('cnn-classifier')));
      await writeFile(file, classifier.text);
      const counts = JSON.parse((await run(PYTHON, [file, '--summary'])).stdout) as { parts: { name: string; params: number }[] };
      expect(counts.parts.map((p) => [p.name, p.params])).toEqual([['model', 34_826]]);
      expect((await download(page, 'export-keras')).text).toBe(exportKeras(preset('cnn-classifier')));

      // An empty graph has no Objective: the menu explains instead of downloading.
      await page.getByTestId('new-file').click();
      await page.getByTestId('export-menu').locator('summary').click();
      await page.getByTestId('export-pytorch').click();
      await page.getByTestId('toast-details').filter({ hasText: /no Objective/ }).waitFor();
      expect(app.errors).toEqual([]);
    } finally {
      await app.context.close();
    }
  }, 120_000);
});
