// The first view, panels, frames and notes (issue 12, items 1 and 2), at 1280×800 in Chromium.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canvasApp, expectCount, expectText, inside, nodeBoxes, nodes, openControls, overlaps, settle, titleSizes } from './canvas';
import { ROOT, useAppServer, type AppPage } from './harness';

const env = useAppServer();

const withApp = canvasApp(env);

/**
 * The whole β-VAE in view and legible: every node and frame wholly inside the canvas, none under the
 * minimap, every title at 11 px or more on screen, and the canvas most of the window.
 */
async function expectWholeAndLegible(app: AppPage, when: string) {
  const { page } = app;
  const canvas = (await page.getByTestId('canvas').boundingBox())!;
  expect(canvas.width * canvas.height, `canvas area ${when}`).toBeGreaterThan(0.55 * 1280 * 800);
  const sizes = await titleSizes(page);
  expect(Object.keys(sizes), when).toHaveLength(20);
  for (const [id, px] of Object.entries(sizes)) expect(px, `title of ${id} ${when}`).toBeGreaterThanOrEqual(11);
  const minimap = (await page.getByTestId('minimap').boundingBox())!;
  const boxes = await nodeBoxes(page);
  expect(Object.keys(boxes), when).toHaveLength(20);
  for (const [id, box] of Object.entries(boxes)) {
    expect(inside(box, canvas), `${id} inside the canvas ${when}: ${JSON.stringify(box)} in ${JSON.stringify(canvas)}`).toBe(true);
    expect(overlaps(box, minimap), `${id} under the minimap ${when}`).toBe(false);
  }
  for (const frame of await page.getByTestId('frame').all()) {
    const box = (await frame.boundingBox())!;
    expect(inside(box, canvas), `frame ${await frame.getAttribute('data-frame-id')} inside the canvas ${when}`).toBe(true);
  }
}

describe('first view and layout', () => {
  it('opens the whole β-VAE legible at 1280×800, in labelled frames; Arrange and Fit keep it so', async () => {
    await withApp(async (app) => {
      const { page } = app;
      await expect(page.locator('[data-testid="frame-title"]').allTextContents()).resolves.toEqual(
        expect.arrayContaining(['Encoder', 'Decoder']),
      );
      // The frames surround their nodes.
      const encoder = (await page.locator('[data-frame-id="encoder"]').boundingBox())!;
      for (const id of ['conv1', 'conv2', 'sampling']) {
        const b = (await page.locator(`[data-node-id="${id}"]`).boundingBox())!;
        expect(inside(b, encoder), id).toBe(true);
      }
      // The toolbar fits the window: Fit, Arrange and the rest are on screen, not clipped.
      await expect(page.evaluate(() => document.querySelector('.toolbar')!.scrollWidth <= 1280)).resolves.toBe(true);
      for (const id of ['zoom-fit', 'arrange', 'theme']) {
        const b = (await page.getByTestId(id).boundingBox())!;
        expect(b.x + b.width, id).toBeLessThanOrEqual(1280);
      }
      // Compact nodes: a line of params, no controls until selected.
      await expectText(page, 'summary-conv1', '32 filters · 3×3 · stride 2 · same · relu');
      await expectCount(page.getByTestId('controls-conv1'), 0);
      await expectWholeAndLegible(app, 'after load');
      // Left to right within a frame: the encoder's chain reads in one row.
      const at = await nodeBoxes(page);
      const chain = ['data', 'conv1', 'conv2', 'flatten', 'dense', 'z_mean', 'sampling'];
      for (let i = 1; i < chain.length; i++) expect(at[chain[i]].x, `${chain[i]} right of ${chain[i - 1]}`).toBeGreaterThan(at[chain[i - 1]].x + at[chain[i - 1]].width);
      // Rows: the decoder below the encoder.
      expect(at.dec_dense.y).toBeGreaterThan(encoder.y + encoder.height);

      // Drag conv1 away, then Arrange lays it all out again in view, legible; one undo takes Arrange back.
      const title = (await page.locator('[data-node-id="conv1"] .node-title').boundingBox())!;
      await page.mouse.move(title.x + 30, title.y + title.height / 2);
      await page.mouse.down();
      await page.mouse.move(title.x + 200, title.y + 250, { steps: 6 });
      await page.mouse.up();
      await settle(page);
      const dragged = (await nodeBoxes(page)).conv1;
      await page.getByTestId('arrange').click();
      await settle(page, 800);
      await expectWholeAndLegible(app, 'after Arrange');
      const arranged = await nodeBoxes(page);
      for (let i = 1; i < chain.length; i++) expect(arranged[chain[i]].x).toBeGreaterThan(arranged[chain[i - 1]].x + arranged[chain[i - 1]].width);
      await page.keyboard.press('Control+z');
      await settle(page);
      const undone = (await nodeBoxes(page)).conv1;
      expect(Math.abs(undone.x - arranged.conv1.x - (dragged.x - at.conv1.x))).toBeLessThan(2);

      // Zoom far in, then Fit shows it all again.
      await page.mouse.move(500, 300);
      for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -300);
      await settle(page);
      expect((await titleSizes(page)).conv1).toBeGreaterThan(16);
      await page.getByTestId('zoom-fit').click();
      await settle(page);
      await expectWholeAndLegible(app, 'after Fit');
    });
  });

  it('every preset opens legible; those that fit show whole', async () => {
    await withApp(async ({ page }) => {
      const fits = ['beta-vae', 'vae-beta0', 'autoencoder', 'cnn-classifier', 'unet-autoencoder'];
      for (const name of [...fits, 'vae-batchnorm']) {
        await page.getByTestId(`preset-${name}`).click();
        await settle(page, 600);
        const canvas = (await page.getByTestId('canvas').boundingBox())!;
        for (const [id, px] of Object.entries(await titleSizes(page))) expect(px, `${name}: title of ${id}`).toBeGreaterThanOrEqual(11);
        const boxes = await nodeBoxes(page);
        // The rest: too big for the view at a legible zoom, it opens at its start (top left).
        for (const [id, box] of Object.entries(boxes)) if (fits.includes(name) || id === 'data' || id === 'conv1') expect(inside(box, canvas), `${name}: ${id} in view`).toBe(true);
      }
    });
  });

  it('a compact node opens its controls when selected, over its neighbours; its ▾ keeps them on the node', async () => {
    await withApp(async ({ page }) => {
      const before = await nodeBoxes(page);
      await openControls(page, 'conv1');
      // A drawer under the node: nothing moves, and it lies over what is below.
      const drawer = (await page.getByTestId('controls-conv1').boundingBox())!;
      expect(drawer.y).toBeGreaterThanOrEqual(before.conv1.y + before.conv1.height - 2);
      expect(await nodeBoxes(page)).toEqual(before);
      const onTop = await page.evaluate(([x, y]) => !!document.elementFromPoint(x, y)?.closest('[data-testid="controls-conv1"]'), [drawer.x + drawer.width / 2, drawer.y + drawer.height - 4]);
      expect(onTop).toBe(true);
      await page.getByTestId('param-conv1-strides').fill('1');
      await expectText(page, 'summary-conv1', '32 filters · 3×3 · same · relu');
      await expectText(page, 'shape-conv1-output', '28×28×32');
      // Another node selected: conv1's drawer closes, conv2's opens.
      await openControls(page, 'conv2');
      await expectCount(page.getByTestId('controls-conv1'), 0);
      // Pinned: the controls stay on conv1, in the node (it grows), whatever is selected.
      await page.getByTestId('pin-conv1').click();
      await expectCount(page.getByTestId('controls-conv1'), 1);
      await page.keyboard.press('Escape');
      await expectCount(page.getByTestId('controls-conv2'), 0);
      await expectCount(page.getByTestId('controls-conv1'), 1);
      await settle(page);
      const pinned = (await nodeBoxes(page)).conv1;
      expect(pinned.height).toBeGreaterThan(before.conv1.height + 80);
      await page.getByTestId('param-conv1-filters').fill('16');
      await expectText(page, 'params-conv1', '160');
      await page.getByTestId('pin-conv1').click();
      await expectCount(page.getByTestId('controls-conv1'), 0);
      await settle(page);
      // Compact again (its line of params is shorter now: stride 1 is Keras's default, left out).
      expect((await nodeBoxes(page)).conv1.height).toBeLessThanOrEqual(before.conv1.height);
      // Near the canvas's bottom edge the drawer opens upward, inside the canvas.
      await page.keyboard.press('Escape');
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      const encoder = (await page.locator('[data-frame-id="encoder"]').boundingBox())!;
      const from = { x: canvas.x + canvas.width - 12, y: encoder.y + encoder.height + 12 };
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move(from.x, from.y + (canvas.y + canvas.height - 30) - (before.conv1.y + before.conv1.height), { steps: 5 });
      await page.mouse.up();
      await settle(page);
      const low = (await nodeBoxes(page)).conv1;
      expect(low.y + low.height).toBeGreaterThan(canvas.y + canvas.height - 60);
      await openControls(page, 'conv2');
      await settle(page, 100);
      const up = (await page.getByTestId('controls-conv2').boundingBox())!;
      expect(inside(up, canvas), JSON.stringify(up)).toBe(true);
      expect(up.y + up.height).toBeLessThanOrEqual((await nodeBoxes(page)).conv2.y + 2);
    });
  });

  it('panels resize and collapse; zoom, tab and panel sizes survive a reload', async () => {
    await withApp(async ({ page }) => {
      const canvas0 = (await page.getByTestId('canvas').boundingBox())!;
      // Drag the inspector's splitter 100 px to the left: the inspector widens, the canvas narrows.
      const split = (await page.getByTestId('splitter-inspector').boundingBox())!;
      await page.mouse.move(split.x + split.width / 2, split.y + 40);
      await page.mouse.down();
      await page.mouse.move(split.x + split.width / 2 - 100, split.y + 40, { steps: 5 });
      await page.mouse.up();
      const canvas1 = (await page.getByTestId('canvas').boundingBox())!;
      expect(canvas1.width).toBeLessThan(canvas0.width - 90);
      // Hide the palette and the bottom panel.
      await page.getByTestId('toggle-palette').click();
      await page.getByTestId('toggle-bottom').click();
      await settle(page);
      const canvas2 = (await page.getByTestId('canvas').boundingBox())!;
      expect(canvas2.width).toBeGreaterThan(canvas1.width + 100);
      expect(canvas2.height).toBeGreaterThan(canvas1.height + 80);
      await expect(page.getByTestId('palette-search').isVisible()).resolves.toBe(false);
      // Open the Plots tab (that shows the bottom panel again), zoom in with the wheel over a node's body.
      await page.getByTestId('tab-plots').click();
      await settle(page);
      // The Plots tab does not take canvas height: the bottom panel keeps its size whatever the tab.
      expect((await page.getByTestId('canvas').boundingBox())!.height).toBeCloseTo(canvas1.height, 0);
      const conv1 = (await page.locator('[data-node-id="conv1"] .node-brief').boundingBox())!;
      await page.mouse.move(conv1.x + conv1.width / 2, conv1.y + conv1.height / 2);
      const before = (await titleSizes(page)).conv1;
      await page.mouse.wheel(0, -200);
      await settle(page);
      const zoomed = (await titleSizes(page)).conv1;
      expect(zoomed).toBeGreaterThan(before * 1.05);
      const canvas3 = (await page.getByTestId('canvas').boundingBox())!;
      await settle(page, 400);
      await page.reload();
      await page.waitForSelector('[data-testid="node"]');
      await settle(page, 600);
      const after = (await page.getByTestId('canvas').boundingBox())!;
      expect(after).toEqual(canvas3);
      expect(Math.abs((await titleSizes(page)).conv1 - zoomed)).toBeLessThan(0.05);
      await expect(page.getByTestId('tab-plots').getAttribute('aria-selected')).resolves.toBe('true');
      await expect(page.getByTestId('palette-search').isVisible()).resolves.toBe(false);
    });
  });
});

describe('frames and notes', () => {
  it('groups selected nodes into a frame that moves them as one, and undo is one step', async () => {
    await withApp(async ({ page }) => {
      await page.getByTestId('new-file').click();
      for (const t of ['dataset', 'flatten', 'dense']) await page.getByTestId(`palette-${t}`).click();
      await expectCount(nodes(page), 3);
      await page.locator('[data-node-id="flatten1"] .node-title').click();
      await page.locator('[data-node-id="dense1"] .node-title').click({ modifiers: ['Control'] });
      await page.keyboard.press('Control+g');
      await expectCount(page.getByTestId('frame'), 1);
      // Rename it.
      await page.getByTestId('frame-title').dblclick();
      await page.locator('[data-testid^="frame-title-input-"]').fill('Head');
      await page.keyboard.press('Enter');
      await expectText(page, 'frame-title', 'Head');
      const before = await nodeBoxes(page);
      const header = (await page.locator('[data-testid="frame"] .frame-header').boundingBox())!;
      await page.mouse.move(header.x + 40, header.y + header.height / 2);
      await page.mouse.down();
      await page.mouse.move(header.x + 100, header.y + 80, { steps: 4 });
      await page.mouse.move(header.x + 160, header.y + 160, { steps: 4 });
      await page.mouse.up();
      await settle(page);
      const after = await nodeBoxes(page);
      // Both by the pointer's movement: (120, 160 − half the header) on screen, give or take a pixel of rounding.
      for (const id of ['flatten1', 'dense1']) {
        expect(Math.abs(after[id].x - before[id].x - 120), id).toBeLessThan(1.5);
        expect(Math.abs(after[id].y - before[id].y - (160 - header.height / 2)), id).toBeLessThan(1.5);
      }
      // The dataset, outside the frame, stayed.
      expect(after.dataset1).toEqual(before.dataset1);
      // One undo puts both back.
      await page.keyboard.press('Control+z');
      await settle(page);
      const undone = await nodeBoxes(page);
      for (const id of ['flatten1', 'dense1']) expect(undone[id]).toEqual(before[id]);
      await expectText(page, 'frame-title', 'Head');
      // Saved in the document.
      const saved = JSON.parse((await page.evaluate(() => localStorage.getItem('wirelab.graph')))!) as { version: number; frames: { title: string; nodes: string[] }[] };
      expect(saved.version).toBe(2);
      expect(saved.frames).toEqual([expect.objectContaining({ title: 'Head', nodes: ['flatten1', 'dense1'] })]);
    });
  });

  it('adds a note with text from the canvas menu; it is saved, shown as text, and undoable', async () => {
    await withApp(async ({ page }) => {
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      // An empty spot: right of the encoder frame is beyond the layout's width.
      const frame = (await page.locator('[data-frame-id="encoder"]').boundingBox())!;
      const spot = { x: Math.min(frame.x + frame.width + 20, canvas.x + canvas.width - 10), y: canvas.y + 20 };
      await page.mouse.click(spot.x, spot.y, { button: 'right' });
      await page.getByTestId('context-menu').getByText('Note', { exact: true }).click();
      await expectCount(page.getByTestId('note'), 1);
      await page.getByTestId('note').dblclick();
      await page.locator('[data-testid^="note-input-"]').fill('β trades sharpness for a tidy latent space <b id="x">!</b>');
      await page.locator('[data-testid="canvas"]').click({ position: { x: 5, y: canvas.height - 5 } });
      await expectText(page, 'note-text', 'β trades sharpness for a tidy latent space <b id="x">!</b>');
      await expectCount(page.locator('#x'), 0);
      await page.reload();
      await page.waitForSelector('[data-testid="node"]');
      await expectText(page, 'note-text', 'β trades sharpness for a tidy latent space <b id="x">!</b>');
      await expectCount(page.locator('#x'), 0);
      // Undo takes the text back, then the note.
      await page.getByTestId('note').dblclick();
      await page.locator('[data-testid^="note-input-"]').fill('Changed');
      await page.locator('[data-testid="canvas"]').click({ position: { x: 5, y: canvas.height - 5 } });
      await expectText(page, 'note-text', 'Changed');
      await page.keyboard.press('Control+z');
      await expectText(page, 'note-text', 'β trades sharpness for a tidy latent space <b id="x">!</b>');
      await page.getByTestId('note').locator('.note-remove').click();
      await expectCount(page.getByTestId('note'), 0);
      await page.keyboard.press('Control+z');
      await expectCount(page.getByTestId('note'), 1);
    });
  });

  it('a version 1 file still opens, with the same meaning', async () => {
    await withApp(async ({ page }) => {
      const v1 = readFileSync(resolve(ROOT, 'tests/e2e/fixtures/beta-vae-v1.json'));
      expect(JSON.parse(v1.toString()).version).toBe(1);
      await page.getByTestId('preset-autoencoder').click();
      await expectCount(nodes(page), 16);
      await page.getByTestId('open-file').setInputFiles({ name: 'old.json', mimeType: 'application/json', buffer: v1 });
      await expectCount(nodes(page), 20);
      await expectCount(page.locator('[data-testid="connection"]'), 26);
      await expectCount(page.getByTestId('frame'), 0);
      await expectText(page, 'summary-total-encoder', '69,076');
      await expectText(page, 'summary-total-decoder', '65,089');
      const sizes = await titleSizes(page);
      for (const px of Object.values(sizes)) expect(px).toBeGreaterThan(0);
    });
  });
});
