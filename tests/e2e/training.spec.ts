// Training in Chromium: the built app, the β-VAE preset, a few small steps per backend.
// Headless Chromium with --enable-unsafe-webgpu on 127.0.0.1 has a real WebGPU adapter
// (SwiftShader, a software fallback adapter): correct but slow, so the batches here are tiny.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openControls } from './canvas';
import { launchBrowser, openApp, useAppServer, type AppPage } from './harness';

const env = useAppServer();

/**
 * A fresh context (empty storage) with the app open on `?backend=`. WebGPU gets a browser of its
 * own, closed afterwards: SwiftShader's queued work goes on in the shared GPU process after its page
 * closes and starves the next test's page of frames (its Train click never saw a stable button).
 */
async function withTraining(backend: string, run: (app: AppPage) => Promise<void>) {
  const own = backend === 'webgpu' ? await launchBrowser() : null;
  const app = await openApp(own ?? env.browser, env.server);
  try {
    await app.page.goto(`${env.server.url}?backend=${backend}`);
    await app.page.waitForSelector('[data-testid="node"]');
    await app.page.getByTestId('train-start').waitFor();
    await run(app);
    expect(app.errors.filter((e) => !/webgpu|WebGPU|GPU stall|powerPreference/.test(e))).toEqual([]);
  } finally {
    await app.context.close();
    await own?.close();
  }
}

async function settings(page: Page, s: { limit: number; batch: number; epochs: number }) {
  for (const [id, v] of [
    ['train-limit', s.limit],
    ['train-batch', s.batch],
    ['train-epochs', s.epochs],
  ] as const) {
    await page.getByTestId(id).fill(String(v));
    await page.getByTestId(id).press('Tab');
  }
}

const phase = (page: Page) => page.getByTestId('progress').getAttribute('data-phase');
const stepNow = async (page: Page) => Number(await page.getByTestId('progress').getAttribute('data-step'));
const chart = (page: Page, attr: 'data-points' | 'data-first-total' | 'data-last-total') => page.getByTestId('loss-chart').getAttribute(attr).then(Number);

async function waitFor(page: Page, what: string, ok: () => Promise<boolean>, timeout: number) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await ok()) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what} (phase ${await phase(page)}, step ${await stepNow(page)}, message: ${await page.locator('[data-testid=train-message]').allInnerTexts()})`);
}
const waitPhase = (page: Page, want: string, timeout: number) => waitFor(page, `phase ${want}`, async () => (await phase(page)) === want, timeout);
const waitStep = (page: Page, n: number, timeout: number) => waitFor(page, `step ${n}`, async () => (await stepNow(page)) >= n, timeout);

/** Train to the end and check the backend, the step count and that the loss fell. */
async function trainsAndLossFalls(page: Page, backend: string, steps: number, timeout: number) {
  await page.getByTestId('train-start').click();
  await waitPhase(page, 'done', timeout);
  expect((await page.getByTestId('backend').innerText()).trim()).toBe(backend);
  expect(await stepNow(page)).toBe(steps);
  expect(await chart(page, 'data-points')).toBe(steps);
  const first = await chart(page, 'data-first-total');
  const last = Number((await page.getByTestId('loss-total').innerText()).trim());
  expect(Number.isFinite(last)).toBe(true);
  expect(last).toBeCloseTo(await chart(page, 'data-last-total'), 2);
  expect(last).toBeLessThan(first);
}

describe('training', () => {
  it('trains the β-VAE on WebGPU (SwiftShader), names the adapter, and the loss falls', async () => {
    await withTraining('webgpu', async ({ page }) => {
      // One batch of the same 4 images per epoch, so the falling loss is not batch noise.
      await settings(page, { limit: 4, batch: 4, epochs: 3 });
      await trainsAndLossFalls(page, 'webgpu', 3, 150_000);
      const adapter = await page.getByTestId('adapter').innerText();
      expect(adapter.length).toBeGreaterThan(3);
      // A fallback adapter says that wasm is likely faster, and offers it.
      if (/fallback/.test(adapter)) await expect(page.getByTestId('backend-advice').innerText()).resolves.toMatch(/wasm/);
    });
  }, 180_000);

  it('trains on wasm with a flat memory readout', async () => {
    await withTraining('wasm', async ({ page }) => {
      await settings(page, { limit: 8, batch: 8, epochs: 6 });
      await page.getByTestId('train-start').click();
      await waitStep(page, 2, 60_000);
      const early = await page.getByTestId('memory').innerText();
      await waitPhase(page, 'done', 60_000);
      expect(await page.getByTestId('memory').innerText()).toBe(early);
      expect(early).toMatch(/\d+ tensors, [\d.]+ [KM]iB/);
      expect((await page.getByTestId('backend').innerText()).trim()).toBe('wasm');
      expect(await chart(page, 'data-last-total')).toBeLessThan(await chart(page, 'data-first-total'));
    });
  });

  it('trains on cpu', async () => {
    await withTraining('cpu', async ({ page }) => {
      await settings(page, { limit: 4, batch: 4, epochs: 2 });
      await trainsAndLossFalls(page, 'cpu', 2, 90_000);
    });
  }, 120_000);

  it('pauses and resumes; refuses structural edits while training but lets nodes move', async () => {
    await withTraining('wasm', async ({ page }) => {
      await settings(page, { limit: 64, batch: 8, epochs: 3 });
      await page.getByTestId('train-start').click();
      await waitStep(page, 2, 60_000);
      await page.getByTestId('train-pause').click();
      await waitPhase(page, 'paused', 10_000);
      const at = await stepNow(page);
      await page.waitForTimeout(1200);
      expect(await stepNow(page)).toBe(at);

      // Structural edits wait; the message says to stop first.
      const nodes = await page.locator('[data-testid="node"]').count();
      await page.locator('[data-node-id="dense"] .node-title').click();
      await page.keyboard.press('Delete');
      await expect(page.getByText('Stop training first').first().waitFor({ timeout: 5000 })).resolves.toBeUndefined();
      expect(await page.locator('[data-testid="node"]').count()).toBe(nodes);

      await page.getByTestId('train-resume').click();
      await waitFor(page, 'a step after resuming', async () => (await stepNow(page)) > at, 30_000);

      // Nodes can be dragged while training runs. The first view shows the encoder legibly and the
      // scatter plot lies below the canvas's edge, so Tab walks to it (which brings it into view) first.
      const scatter = page.locator('[data-node-id="scatter"]').first();
      const nodeCount = await page.locator('[data-testid="node"]').count();
      for (let i = 0; i <= nodeCount && !(await scatter.getAttribute('class'))?.split(' ').includes('selected'); i++) await page.keyboard.press('Tab');
      const node = scatter.locator('.node-title');
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      const inCanvas = async () => {
        const b = await node.boundingBox();
        return !!b && b.x >= canvas.x && b.y >= canvas.y && b.x + b.width <= canvas.x + canvas.width && b.y + b.height <= canvas.y + canvas.height;
      };
      await waitFor(page, 'the scatter node in view', inCanvas, 10_000);
      const before = (await node.boundingBox())!;
      const [x, y] = [before.x + before.width / 2, before.y + before.height / 2];
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + 60, y + 40, { steps: 6 });
      await page.mouse.up();
      const after = await node.boundingBox();
      expect(after!.x - before.x).toBeGreaterThan(30);

      await waitPhase(page, 'done', 60_000);
      expect(await stepNow(page)).toBe(24);
    });
  });

  it('marks a β change made mid-run in the chart', async () => {
    await withTraining('wasm', async ({ page }) => {
      // 400 steps: the run is still going when the edits land, however loaded the machine; it is stopped below.
      await settings(page, { limit: 64, batch: 8, epochs: 50 });
      await page.getByTestId('train-start').click();
      await waitStep(page, 3, 60_000);
      // The total and the terms in two panes; the chart keeps its size when a marker appears.
      expect(await page.getByTestId('loss-pane-terms').isVisible()).toBe(true);
      const before = (await page.getByTestId('loss-chart').boundingBox())!;
      await openControls(page, 'beta');
      await page.getByTestId('param-beta-beta').fill('4');
      const marker = page.getByTestId('chart-marker').first();
      // Wait on the marker itself, with a margin a loaded 2-core machine meets (5 s failed beside another browser).
      await marker.waitFor({ timeout: 60_000 });
      const after = (await page.getByTestId('loss-chart').boundingBox())!;
      expect([after.width, after.height]).toEqual([before.width, before.height]);
      expect(await marker.innerText()).toMatch(/β 10 → 4/);
      const markedAt = Number(await marker.getAttribute('data-step'));
      expect(markedAt).toBeGreaterThan(1);
      // The learning rate too.
      await page.getByTestId('train-lr').fill('0.0005');
      await page.getByTestId('train-lr').press('Tab');
      const markers = () => page.getByTestId('chart-marker').allInnerTexts();
      await waitFor(page, `the lr marker (markers: ${await markers()})`, async () => (await markers()).some((t) => t.includes('lr 0.001 → 0.0005')), 60_000);
      await waitStep(page, markedAt + 1, 30_000);
      await page.getByTestId('train-stop').click();
      await waitPhase(page, 'stopped', 30_000);
    });
  });

  it('restores the trained weights after a reload and continues from them', async () => {
    await withTraining('wasm', async ({ page }) => {
      await settings(page, { limit: 8, batch: 8, epochs: 6 });
      await page.getByTestId('train-start').click();
      await waitPhase(page, 'done', 60_000);
      const first = await chart(page, 'data-first-total');
      const trained = (await page.getByTestId('loss-total').innerText()).trim();

      await page.reload();
      await page.getByTestId('train-start').waitFor();
      await waitFor(page, 'the saved loss', async () => (await page.getByTestId('loss-total').innerText()).trim() === trained, 10_000);
      expect(await chart(page, 'data-points')).toBe(6);
      expect(await page.getByTestId('progress').innerText()).toMatch(/saved: 6 steps/);

      // Train continues: steps count on from 6, and the loss starts where it left off, not afresh.
      await page.getByTestId('train-start').click();
      await waitStep(page, 7, 60_000);
      await page.getByTestId('train-stop').click();
      await waitFor(page, 'stopped', async () => ['stopped', 'done'].includes((await phase(page)) ?? ''), 30_000);
      const continued = await chart(page, 'data-last-total');
      expect(continued).toBeLessThan(first);
      expect(continued).toBeLessThan(Number(trained) * 1.05);
    });
  });
});
