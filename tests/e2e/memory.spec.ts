// Too big to train is said before training, in the app too: the worker refuses a graph whose
// memory estimate exceeds the backend's limit, naming the node, and the app stays usable.
import { describe, expect, it } from 'vitest';
import { openApp, useAppServer } from './harness';
import { tooBigGraph } from '../fixtures/too-big';

const env = useAppServer();

describe('memory', () => {
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
