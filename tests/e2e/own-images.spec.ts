// Your own images in the browser: a zip of PNGs in class folders opened from the training panel is
// read in the worker; the graph takes its shape (RGB, 16×16) and classes, trains on it, and a bad
// file gives a clear message. The CNN classifier preset is on screen.
import { describe, expect, it } from 'vitest';
import { openApp, useAppServer } from './harness';
import { rgbPng, zip } from '../train/image-fixtures';

const env = useAppServer();

const imagesZip = () =>
  Buffer.from(zip(['boots', 'shirts', 'bags'].flatMap((cls, c) => Array.from({ length: 6 }, (_, i) => ({ path: `mine/${cls}/${i}.png`, bytes: rgbPng(16, 16, c * 40 + i * 3) })))));

describe('your own images in the app', () => {
  it('opens a zip of class folders, shows its shape on the Dataset node, trains; a broken zip is named in the message', async () => {
    const app = await openApp(env.browser, env.server);
    const { page } = app;
    const text = (id: string) => page.getByTestId(id).innerText().then((t) => t.trim());
    const until = async (what: () => Promise<boolean>, timeout: number, why: string) => {
      const end = Date.now() + timeout;
      while (Date.now() < end) {
        if (await what()) return;
        await page.waitForTimeout(100);
      }
      throw new Error(`timed out waiting for ${why}`);
    };
    try {
      await page.goto(`${env.server.url}?backend=wasm`);
      await page.waitForSelector('[data-testid="node"]');
      await page.getByTestId('preset-cnn-classifier').click();
      await until(async () => (await page.getByTestId('shape-conv1-output').count()) > 0 && (await text('shape-conv1-output')) === '26×26×32', 10_000, 'the classifier');

      await page.getByTestId('own-images-files').setInputFiles({ name: 'mine.zip', mimeType: 'application/zip', buffer: imagesZip() });
      await until(async () => (await text('shape-data-image')) === '16×16×3', 60_000, 'the Dataset node to show 16×16×3');
      expect(await text('shape-conv1-output')).toBe('14×14×32');
      expect((await page.getByTestId('toast-text').allInnerTexts()).join(' ')).toMatch(/Opened 18 images of 16×16×3 in 3 classes/);

      for (const [id, v] of [['train-batch', 8], ['train-epochs', 2]] as const) {
        await page.getByTestId(id).fill(String(v));
        await page.getByTestId(id).press('Tab');
      }
      await page.getByTestId('train-start').click();
      await until(async () => (await page.getByTestId('progress').getAttribute('data-phase')) === 'done', 120_000, 'training to finish');
      // 17 of the 18 images train (every 10th is held out): three steps of 8 an epoch.
      expect(Number(await page.getByTestId('progress').getAttribute('data-step'))).toBe(6);
      // The Accuracy node shows its latest value.
      expect(await text('metric-accuracy')).toMatch(/^\d+\.\d%$/);

      await page.getByTestId('own-images-files').setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip at all') });
      await until(async () => (await page.getByTestId('toast-text').allInnerTexts()).some((t) => /broken\.zip is not a zip file/.test(t)), 30_000, 'the error');
      expect(await text('shape-data-image')).toBe('16×16×3');
      expect(app.errors).toEqual([]);
    } finally {
      await app.context.close();
    }
  }, 240_000);
});
