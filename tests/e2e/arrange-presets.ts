// Lays the presets out with the editor's own Arrange, at 1280×800 with the default panels, and writes
// the positions back into presets/*.json (nothing else in the files changes).
// Run after a build: `npx vite build && npx tsx tests/e2e/arrange-presets.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { launchBrowser, openApp, ROOT, startServer } from './harness';

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page, context } = await openApp(browser, server);
  for (const name of ['beta-vae', 'vae-beta0', 'autoencoder', 'cnn-classifier', 'vae-batchnorm', 'unet-autoencoder']) {
    await page.getByTestId(`preset-${name}`).click();
    await page.waitForTimeout(500);
    await page.getByTestId('arrange').click();
    await page.waitForTimeout(800);
    const saved = await page.evaluate(() => localStorage.getItem('wirelab.graph'));
    const arranged = JSON.parse(saved!) as { nodes: { id: string; position: [number, number] }[] };
    const file = resolve(ROOT, `presets/${name}.json`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: string; position: [number, number] }[] };
    const at = new Map(arranged.nodes.map((n) => [n.id, n.position]));
    for (const n of doc.nodes) n.position = at.get(n.id) ?? n.position;
    writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    console.log(name, doc.nodes.map((n) => `${n.id}@${n.position.join(',')}`).join(' '));
  }
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}
