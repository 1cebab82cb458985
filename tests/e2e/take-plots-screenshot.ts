// Takes the README's plots screenshots after short real runs on wasm, and prints what drawing cost:
//  - docs/plots.png: the β-VAE preset trained on the first LIMIT images for EPOCHS epochs, Plots tab;
//  - docs/compare.png: Compare runs (β = 10 vs β = 0, three seeds each) with the same settings, in a
//    window 1,500 px high so that the whole comparison shows.
// Run after a build: `npx vite build && npx tsx tests/e2e/take-plots-screenshot.ts [limit] [epochs] [compare|no-compare] [batch]`.
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, openApp, ROOT, startServer } from './harness';

/** Drag the bar above the bottom panel so the panel is `px` high, as one would to see the plots. */
async function bottomPanel(page: Page, px: number) {
  const bar = (await page.getByTestId('splitter-bottom').boundingBox())!;
  const height = page.viewportSize()!.height;
  await page.mouse.move(bar.x + 300, bar.y + bar.height / 2);
  await page.mouse.down();
  await page.mouse.move(bar.x + 300, height - px - bar.height / 2, { steps: 5 });
  await page.mouse.up();
}

const LIMIT = Number(process.argv[2] ?? 5000);
const EPOCHS = Number(process.argv[3] ?? 2);
const BATCH = Number(process.argv[5] ?? 128);

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page } = await openApp(browser, server);
  await page.goto(`${server.url}?backend=wasm`);
  await page.getByTestId('train-start').waitFor();
  for (const [id, v] of [
    ['train-limit', LIMIT],
    ['train-batch', BATCH],
    ['train-epochs', EPOCHS],
  ] as const) {
    await page.getByTestId(id).fill(String(v));
    await page.getByTestId(id).press('Tab');
  }
  await page.getByTestId('tab-plots').click();
  await bottomPanel(page, 464);
  await page.keyboard.press('f');
  await page.getByTestId('train-start').evaluate((b) => (b as HTMLButtonElement).click());
  const t0 = Date.now();
  let last = '';
  while ((await page.getByTestId('progress').getAttribute('data-phase')) !== 'done') {
    const s = await page.getByTestId('plots-status').innerText();
    if (s !== last) console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${s}`);
    last = s;
    await page.waitForTimeout(250);
  }
  // The last draw follows 'done'.
  await page.waitForFunction(() => /drawn at step (\d+)/.exec(document.querySelector('[data-testid="plots-status"]')?.textContent ?? '')?.[1] === document.querySelector('[data-testid="progress"]')?.getAttribute('data-step'), undefined, { timeout: 120_000 });
  console.log(`done: ${await page.getByTestId('plots-status').innerText()}; k-NN ${await page.getByTestId('metric-knn-scatter').innerText()}`);
  console.log(`progress: ${await page.getByTestId('progress').innerText()}`);
  // The plot worker's bitmaps are on the canvases.
  await page.waitForFunction(() => document.querySelectorAll('.plots-panel canvas[data-drawn]').length >= 3, undefined, { timeout: 60_000 });
  await page.mouse.move(640, 790);
  await page.screenshot({ path: resolve(ROOT, 'docs/plots.png') });

  if (process.argv[4] !== 'no-compare') {
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.getByTestId('tab-compare').click();
  await bottomPanel(page, 1000);
  await page.keyboard.press('f');
  for (const [id, v] of [
    ['compare-limit', LIMIT],
    ['compare-batch', BATCH],
    ['compare-epochs', EPOCHS],
  ] as const) {
    await page.getByTestId(id).fill(String(v));
    await page.getByTestId(id).press('Tab');
  }
  await page.getByTestId('compare-run').click();
  await page.waitForFunction(
    () => !!document.querySelector('[data-testid="compare-run"]') && document.querySelector('[data-testid="compare-run-b"]')?.getAttribute('data-phase') === 'done',
    undefined,
    { timeout: 1_200_000 },
  );
  await page.waitForFunction(() => document.querySelectorAll('.compare canvas[data-drawn]').length >= 6, undefined, { timeout: 60_000 });
  for (const side of ['a', 'b'])
    console.log(`compare ${side}: k-NN ${await page.getByTestId(`compare-knn-${side}`).innerText()}, KL ${await page.getByTestId(`compare-kl-${side}`).innerText()}`);
  console.log(await page.getByTestId('compare-verdict').innerText());
  await page.screenshot({ path: resolve(ROOT, 'docs/compare.png') });
  }
} finally {
  await browser.close();
  await server.stop();
}
