// The model summary in the app: `?` where a value is unknown, the training memory estimate, and
// a graph too big for the backend refused before training, naming the node.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApp, ROOT, useAppServer } from './harness';
import { tooBigGraph } from '../fixtures/too-big';

const env = useAppServer();

describe('model summary', () => {
  it('shows ? for what a rejected param leaves unknown, never nonsense', async () => {
    const app = await openApp(env.browser, env.server);
    const { page } = app;
    try {
      const doc = JSON.parse(readFileSync(`${ROOT}/presets/beta-vae.json`, 'utf8'));
      doc.nodes.find((n: { id: string }) => n.id === 'dec_dense').params.units = 65_537;
      await page.getByTestId('open-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
      await page.waitForFunction(() => document.querySelector('[data-testid="summary-total-decoder"]')?.textContent?.trim() === '?', undefined, { timeout: 30_000 });
      expect((await page.getByTestId('summary-total-encoder').innerText()).trim()).toBe('69,076');
      const decoder = await page.getByTestId('summary-decoder').innerText();
      expect(decoder).not.toMatch(/NaN|Infinity|-\d/);
      expect(await page.getByTestId('summary-memory').innerText()).toMatch(/about [\d.]+ MiB and more/);
    } finally {
      await app.context.close();
    }
  });

  it('refuses to train a graph too big for wasm, naming the biggest node and the estimate', async () => {
    const app = await openApp(env.browser, env.server);
    const { page } = app;
    try {
      await page.goto(`${env.server.url}?backend=wasm`);
      await page.waitForSelector('[data-testid="node"]');
      await page.getByTestId('open-file').setInputFiles({ name: 'big.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tooBigGraph())) });
      // The summary shows the estimate before any training.
      await page.waitForFunction(() => /about 786 GiB/.test(document.querySelector('[data-testid="summary-memory"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
      await page.getByTestId('train-start').click();
      const message = page.getByTestId('train-message');
      await message.waitFor({ timeout: 60_000 });
      expect(await message.innerText()).toMatch(/Too big to train on wasm: about 786 GiB at batch 128, more than the 4 GiB it can hold[^]*"huge" \(Dense\) 784 GiB/);
      // Refused before anything was allocated: Train is there again, no step was taken.
      await page.getByTestId('train-start').waitFor({ timeout: 30_000 });
      expect(Number(await page.getByTestId('progress').getAttribute('data-step'))).toBe(0);
    } finally {
      await app.context.close();
    }
  });
});
