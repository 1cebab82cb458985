// Takes the README's training screenshot (docs/training.png) at 1280×800: the β-VAE training on wasm
// (the first 2,048 images, batch 32, 3 epochs), β changed on the node (10 → 2) and the learning rate
// (0.001 → 0.0005) while it runs, both marked in the chart. The bottom panel is dragged up to 330 px,
// as one would to watch the chart, and Fit shows the whole graph above it.
// Run after a build: `npx vite build && npx tsx tests/e2e/take-training-screenshot.ts`.
import { resolve } from 'node:path';
import { openControls } from './canvas';
import { launchBrowser, openApp, ROOT, startServer } from './harness';
import { fillSettings, waitStep } from './panel';

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page } = await openApp(browser, server);
  await page.goto(`${server.url}?backend=wasm`);
  await page.getByTestId('train-start').waitFor();
  const bar = (await page.getByTestId('splitter-bottom').boundingBox())!;
  await page.mouse.move(bar.x + 200, bar.y + bar.height / 2);
  await page.mouse.down();
  await page.mouse.move(bar.x + 200, bar.y + bar.height / 2 - 206, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.press('f');
  await fillSettings(page, { limit: 2048, batch: 32, epochs: 3 });
  await page.getByTestId('train-start').click();
  await waitStep(page, 80, 600_000);
  await openControls(page, 'beta');
  await page.getByTestId('param-beta-beta').fill('2');
  await page.getByTestId('param-beta-beta').press('Enter');
  await waitStep(page, 150, 600_000);
  await fillSettings(page, { lr: 0.0005 });
  await page.keyboard.press('Escape');
  await waitStep(page, 176, 600_000);
  await page.mouse.move(640, 790);
  await page.screenshot({ path: resolve(ROOT, 'docs/training.png') });
  console.log(await page.getByTestId('progress').innerText());
} finally {
  await browser.close();
  await server.stop();
}
