// The editor in Chromium: the built app served on 127.0.0.1, one fresh browser context (empty localStorage) per test.
import { describe, expect, it } from 'vitest';
import { expectCount, expectSomeText, expectText, nodes, openControls, wire } from './canvas';
import { openApp, useAppServer, type AppPage } from './harness';

const env = useAppServer();

async function withApp(run: (app: AppPage) => Promise<void>) {
  const app = await openApp(env.browser, env.server);
  try {
    await run(app);
    expect(app.errors).toEqual([]);
  } finally {
    await app.context.close();
  }
}

describe('editor', () => {
  it('opens the β-VAE preset with all its nodes, wires and shapes', async () => {
    await withApp(async ({ page }) => {
      await expectCount(nodes(page), 20);
      await expectCount(page.locator('[data-testid="connection"]'), 26);
      await expectText(page, 'shape-conv1-output', '14×14×32');
      await expectText(page, 'shape-conv2-output', '7×7×64');
      await expectText(page, 'shape-flatten-output', '3136');
      await expectText(page, 'shape-sampling-z', '2');
      await expectText(page, 'shape-deconv3-output', '28×28×1');
      await expectText(page, 'shape-kl-loss', 'scalar');
      await expectText(page, 'params-conv1', '320');
      await expectText(page, 'summary-total-encoder', '69,076');
      await expectText(page, 'summary-total-decoder', '65,089');
      // The training memory estimate, the same figure as `npm run cli -- summary` prints.
      await expectText(page, 'summary-memory', 'Training memory at batch 128 (rmsprop): about 58.7 MiB');
      // Every output port of every node shows a shape, and no node has a problem.
      for (const text of await page.locator('[data-testid^="shape-"]').allTextContents()) expect(text).not.toBe('?');
      await expectCount(page.locator('[data-testid^="diagnostic-"]'), 0);
    });
  });

  it('adds Dense from the palette by dragging it onto the canvas, wires it and shows its shape', async () => {
    await withApp(async ({ page }) => {
      await page.getByTestId('new-file').click();
      await expectCount(nodes(page), 0);
      await page.getByTestId('palette-dataset').click();
      await page.getByTestId('palette-flatten').click();
      const canvas = await page.getByTestId('canvas').boundingBox();
      await page.getByTestId('palette-dense').dragTo(page.getByTestId('canvas'), { targetPosition: { x: canvas!.width * 0.8, y: canvas!.height * 0.75 } });
      await expectCount(nodes(page), 3);
      await expect(page.locator('[data-node-id="dense1"]').count()).resolves.toBe(1);
      // Unwired, Dense says what it needs.
      await expectText(page, 'shape-dense1-output', '?');
      await expect(page.getByTestId('diagnostic-dense1').textContent()).resolves.toMatch(/needs an input/);
      await page.keyboard.press('f');
      await page.waitForTimeout(300);
      await wire(page, ['dataset1', 'image'], ['flatten1', 'input']);
      await expectText(page, 'shape-flatten1-output', '784');
      await wire(page, ['flatten1', 'output'], ['dense1', 'input']);
      await expectText(page, 'shape-dense1-output', '32');
      await expectText(page, 'params-dense1', '25,120');
      await expectCount(page.locator('[data-testid="diagnostic-dense1"]'), 0);
    });
  });

  it('Conv2D filters 32 → 16 changes the downstream parameter counts and the encoder total; undo brings it back', async () => {
    await withApp(async ({ page }) => {
      await openControls(page, 'conv1');
      await page.getByTestId('param-conv1-filters').fill('16');
      await expectText(page, 'shape-conv1-output', '14×14×16');
      await expectText(page, 'params-conv1', '160'); // 3·3·1·16 + 16
      await expectText(page, 'params-conv2', '9,280'); // 3·3·16·64 + 64
      await expectText(page, 'summary-total-encoder', '59,700');
      await page.getByTestId('undo').click();
      await expectText(page, 'params-conv2', '18,496');
      await expectText(page, 'summary-total-encoder', '69,076');
      await page.getByTestId('redo').click();
      await expectText(page, 'summary-total-encoder', '59,700');
    });
  });

  it('refuses a wire that cannot be made with a message, and the wires stay', async () => {
    await withApp(async ({ page }) => {
      const wires = page.locator('[data-testid="connection"]');
      await expectCount(wires, 26);
      // The whole graph in view: the nodes wired below are far apart.
      await page.keyboard.press('f');
      await page.waitForTimeout(300);
      // A loss into a tensor port. (A second wire into a used input replaces it: tests/e2e/rewire.spec.ts.)
      await wire(page, ['kl', 'loss'], ['recon', 'original']);
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="toast-text"]')].some((e) => /loss/i.test(e.textContent ?? '') && /cannot feed|takes a loss/.test(e.textContent ?? '')));
      await expectCount(wires, 26);
      await expect(page.getByTestId('undo').isDisabled()).resolves.toBe(true);
    });
  });

  it('deletes a node with the Delete key, and undo brings the graph back', async () => {
    await withApp(async ({ page }) => {
      await page.locator('[data-node-id="dense"] .node-title').click();
      await page.keyboard.press('Delete');
      await expectCount(nodes(page), 19);
      await expectText(page, 'shape-z_mean-output', '?');
      await page.keyboard.press('Control+z');
      await expectCount(nodes(page), 20);
      await expectCount(page.locator('[data-testid="connection"]'), 26);
      await expectText(page, 'shape-z_mean-output', '2');
      await expectText(page, 'summary-total-encoder', '69,076');
    });
  });

  it('copies a Ctrl+click selection and pastes it with the wire between the nodes', async () => {
    await withApp(async ({ page }) => {
      await page.locator('[data-node-id="conv1"] .node-title').click();
      await page.locator('[data-node-id="conv2"] .node-title').click({ modifiers: ['Control'] });
      await page.keyboard.press('Control+c');
      await page.keyboard.press('Control+v');
      await expectCount(nodes(page), 22);
      await expectCount(page.locator('[data-testid="connection"]'), 27);
      await page.keyboard.press('Control+z');
      await expectCount(nodes(page), 20);
    });
  });

  it('selects the nodes inside a Shift+drag box', async () => {
    await withApp(async ({ page }) => {
      const a = await page.locator('[data-node-id="conv1"]').boundingBox();
      const b = await page.locator('[data-node-id="conv2"]').boundingBox();
      if (!a || !b) throw new Error('conv1 and conv2 must be on screen');
      await page.keyboard.down('Shift');
      await page.mouse.move(a.x - 6, Math.min(a.y, b.y) - 12);
      await page.mouse.down();
      await page.mouse.move((a.x + b.x + b.width) / 2, a.y + a.height / 2, { steps: 4 });
      await page.mouse.move(b.x + b.width + 6, Math.max(a.y + a.height, b.y + b.height) + 6, { steps: 4 });
      await expectCount(page.getByTestId('select-box'), 1);
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await expectCount(page.locator('[data-node-id].selected'), 2);
      await expectCount(page.locator('[data-node-id="conv1"].selected, [data-node-id="conv2"].selected'), 2);
      await expectSomeText(page, 'selection-count', /2 nodes selected/);
    });
  });

  it('keeps the graph after a reload', async () => {
    await withApp(async ({ page }) => {
      await openControls(page, 'conv1');
      await page.getByTestId('param-conv1-filters').fill('16');
      await expectText(page, 'summary-total-encoder', '59,700');
      await page.reload();
      await page.waitForSelector('[data-testid="node"]');
      await expectCount(nodes(page), 20);
      await expectText(page, 'shape-conv1-output', '14×14×16');
      await expectText(page, 'summary-total-encoder', '59,700');
    });
  });

  it('a malformed or foreign file shows its diagnostics and leaves the graph untouched', async () => {
    await withApp(async ({ page }) => {
      await openControls(page, 'conv1');
      await page.getByTestId('param-conv1-filters').fill('16');
      await expectText(page, 'summary-total-encoder', '59,700');
      const input = page.getByTestId('open-file');
      await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{ "format": "wirelab.graph", nodes: [') });
      await expectSomeText(page, 'toast-text', /cannot be opened/);
      await expectSomeText(page, 'toast-details', /not valid JSON/);
      const foreign = { format: 'other-tool', version: 3, nodes: [{ id: '<img src=x onerror=alert(1)>', type: 'x' }], edges: [] };
      await input.setInputFiles({ name: 'foreign.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(foreign)) });
      await expectSomeText(page, 'toast-details', /not a Wirelab graph/);
      await expectCount(page.locator('.toasts img'), 0);
      await expectCount(nodes(page), 20);
      await expectText(page, 'summary-total-encoder', '59,700');
      await page.reload();
      await page.waitForSelector('[data-testid="node"]');
      await expectText(page, 'summary-total-encoder', '59,700');
    });
  });

  it('saves a file that opens again, and labels from a file are text, never HTML', async () => {
    await withApp(async ({ page }) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-file').click()]);
      const path = await download.path();
      const { readFile } = await import('node:fs/promises');
      const doc = JSON.parse(await readFile(path, 'utf8')) as { nodes: { id: string; label?: string }[] };
      expect(doc.nodes).toHaveLength(20);
      doc.nodes.find((n) => n.id === 'conv1')!.label = '<b id="injected">bold</b>';
      await page.getByTestId('preset-autoencoder').click();
      await expectCount(nodes(page), 16);
      await expectText(page, 'summary-total-model', '134,131');
      await page.getByTestId('open-file').setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
      await expectCount(nodes(page), 20);
      await expectCount(page.locator('#injected'), 0);
      await expect(page.locator('[data-node-id="conv1"] .node-label').textContent()).resolves.toBe('<b id="injected">bold</b>');
    });
  });

  it('Definition of done: remove Dense(16), wire Flatten into z_mean and z_log_var, read the new encoder total', async () => {
    await withApp(async ({ page }) => {
      await page.getByTestId('preset-beta-vae').click();
      await page.locator('[data-node-id="dense"] .node-title').click();
      await page.keyboard.press('Delete');
      await expectCount(nodes(page), 19);
      await wire(page, ['flatten', 'output'], ['z_mean', 'input']);
      await wire(page, ['flatten', 'output'], ['z_log_var', 'input']);
      await expectText(page, 'shape-z_log_var-output', '2');
      await expectText(page, 'params-z_mean', '6,274');
      await expectCount(page.locator('[data-testid^="diagnostic-"]'), 0);
      // 320 + 18,496 + 2·(3136·2 + 2)
      await expectText(page, 'summary-total-encoder', '31,364');
    });
  });
});
