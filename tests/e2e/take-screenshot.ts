// Takes the README's screenshot (docs/editor.png): the β-VAE preset's first view at 1280×800, as a
// new visitor sees it (legible, in frames), with conv1 selected so the inspector shows its teaching text.
// Run after a build: `npx vite build && npx tsx tests/e2e/take-screenshot.ts`.
import { resolve } from 'node:path';
import { launchBrowser, openApp, ROOT, startServer } from './harness';

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page } = await openApp(browser, server);
  await page.waitForTimeout(800);
  await page.locator('[data-node-id="conv1"] .node-title').click();
  await page.mouse.move(640, 790);
  await page.waitForTimeout(400);
  await page.screenshot({ path: resolve(ROOT, 'docs/editor.png') });
} finally {
  await browser.close();
  await server.stop();
}
