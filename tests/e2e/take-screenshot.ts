// Takes the README's screenshot (docs/editor.png): the β-VAE preset at 1280×800, conv1 selected, zoomed on the encoder.
// Run after a build: `npx vite build && npx tsx tests/e2e/take-screenshot.ts`.
import { resolve } from 'node:path';
import { launchBrowser, openApp, ROOT, startServer } from './harness';

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page } = await openApp(browser, server);
  await page.waitForTimeout(500);
  await page.locator('[data-node-id="conv1"] .node-title').click();
  const box = await page.locator('[data-node-id="dense"]').boundingBox();
  if (box) await page.mouse.move(box.x, box.y + 40);
  for (let i = 0; i < 8; i++) {
    await page.mouse.wheel(0, -100);
    await page.waitForTimeout(60);
  }
  await page.mouse.move(640, 790);
  await page.waitForTimeout(400);
  await page.screenshot({ path: resolve(ROOT, 'docs/editor.png') });
} finally {
  await browser.close();
  await server.stop();
}
