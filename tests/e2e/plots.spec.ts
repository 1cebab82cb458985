// The output nodes in Chromium: train the β-VAE preset a few small steps on wasm, then every plot
// (grid, scatter, reconstructions) is drawn — large in the Plots tab and small on its node — and
// is not blank; the scatter's k-NN accuracy reads as a percentage; hovering a point shows its image.
// Compare runs: two short trainings side by side, two scatters and two k-NN numbers.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openApp, useAppServer, type AppPage } from './harness';

const env = useAppServer();

async function withApp(run: (app: AppPage) => Promise<void>) {
  const app = await openApp(env.browser, env.server);
  try {
    await app.page.goto(`${env.server.url}?backend=wasm`);
    await app.page.waitForSelector('[data-testid="node"]');
    await app.page.getByTestId('train-start').waitFor();
    await run(app);
    expect(app.errors).toEqual([]);
  } finally {
    await app.context.close();
  }
}

async function fill(page: Page, values: [string, number][]) {
  for (const [id, v] of values) {
    await page.getByTestId(id).fill(String(v));
    await page.getByTestId(id).press('Tab');
  }
}

/** How a canvas looks once the plot worker's drawing is on it: its size, how many distinct colours, and the share of pixels unlike its corner (the background). */
async function canvasStats(page: Page, testid: string) {
  await page.locator(`[data-testid="${testid}"][data-drawn]`).waitFor({ timeout: 30_000 });
  return page.getByTestId(testid).evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<number>();
    let differ = 0;
    for (let i = 0; i < d.length; i += 4) {
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) differ++;
    }
    return { width: c.width, height: c.height, colours: colours.size, inked: differ / (d.length / 4) };
  });
}

async function expectDrawn(page: Page, testid: string) {
  const s = await canvasStats(page, testid);
  expect(s.width, testid).toBeGreaterThan(20);
  expect(s.colours, `${testid} has more than one colour`).toBeGreaterThan(1);
  expect(s.inked, `${testid} is not all background`).toBeGreaterThan(0.01);
}

const PERCENT = /^\d{1,3}\.\d%$/;

describe('plots', () => {
  it('draws every output node of the β-VAE after a few steps, large and on the node; k-NN reads a percentage; hover shows the image', async () => {
    await withApp(async ({ page }) => {
      await fill(page, [
        ['train-limit', 64],
        ['train-batch', 16],
        ['train-epochs', 1],
      ]);
      await page.getByTestId('train-start').click();
      await page.getByTestId('progress').and(page.locator('[data-phase="done"]')).waitFor({ timeout: 90_000 });
      await page.getByTestId('tab-plots').click();
      for (const id of ['grid', 'scatter', 'recon']) {
        await page.getByTestId(`plot-${id}`).waitFor({ timeout: 30_000 });
        await expectDrawn(page, `plot-${id}`);
        await expectDrawn(page, `plot-thumb-${id}`);
      }
      await expect(page.getByTestId('metric-knn-scatter').innerText()).resolves.toMatch(PERCENT);
      await expect(page.getByTestId('plots-status').innerText()).resolves.toMatch(/drawn at step 4/);

      // Hovering a scatter point shows its test image.
      const scatter = page.getByTestId('plot-scatter');
      const point = await scatter.evaluate((el) => {
        const c = el as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const box = c.getBoundingClientRect();
        // A pixel of a dot: saturated (axes and text are grey).
        for (let y = 0; y < c.height; y++)
          for (let x = 0; x < c.width * 0.7; x++) {
            const o = (y * c.width + x) * 4;
            if (Math.max(d[o], d[o + 1], d[o + 2]) - Math.min(d[o], d[o + 1], d[o + 2]) > 80) return { x: box.left + (x * box.width) / c.width, y: box.top + (y * box.height) / c.height };
          }
        return null;
      });
      expect(point).not.toBeNull();
      await page.mouse.move(point!.x, point!.y);
      await page.getByTestId('plot-hover').waitFor({ timeout: 10_000 });
      await expect(page.getByTestId('plot-hover').innerText()).resolves.toMatch(/#\d+/);

      // After a reload, the saved weights are drawn again (no training needed).
      const knn = await page.getByTestId('metric-knn-scatter').innerText();
      await page.reload();
      await page.getByTestId('tab-plots').click();
      for (const id of ['grid', 'scatter', 'recon']) {
        await page.getByTestId(`plot-${id}`).waitFor({ timeout: 30_000 });
        await expectDrawn(page, `plot-${id}`);
      }
      await expect(page.getByTestId('metric-knn-scatter').innerText()).resolves.toBe(knn);
    });
  }, 150_000);

  it('compares two graphs, three seeds a side: too early to tell after a few steps, a verdict with its spread when every seed has run; shared axes; columns apart at 1280 px', async () => {
    await withApp(async ({ page }) => {
      await page.getByTestId('tab-compare').click();
      await fill(page, [
        ['compare-limit', 32],
        ['compare-batch', 16],
        ['compare-epochs', 1],
      ]);
      await page.getByTestId('compare-run').click();
      // After A's first two steps: one seed on one side says nothing yet.
      await page.getByTestId('compare-verdict-knn').waitFor({ timeout: 120_000 });
      await expect(page.getByTestId('compare-verdict-knn').innerText()).resolves.toMatch(/^k-NN accuracy: too early to tell \([12] of 3 seeds done on (A, [01] on B|each side)\)/);
      await expect(page.getByTestId('compare-verdict-kl').innerText()).resolves.toMatch(/too early to tell/);
      // Every seed done and the worker let go (after B's last plots).
      await page.waitForFunction(
        () => !!document.querySelector('[data-testid="compare-run"]') && document.querySelector('[data-testid="compare-run-b"]')?.getAttribute('data-phase') === 'done',
        undefined,
        { timeout: 280_000 },
      );
      expect(await page.getByTestId('compare-run-a').getAttribute('data-phase')).toBe('done');
      await expect(page.getByTestId('compare-run-a').innerText()).resolves.toMatch(/seed 3 of 3/);
      for (const side of ['a', 'b']) {
        await expectDrawn(page, `compare-plot-${side}-scatter`);
        await expectDrawn(page, `compare-plot-${side}-grid`);
        await expect(page.getByTestId(`compare-knn-${side}`).innerText()).resolves.toMatch(PERCENT);
      }
      await page.getByTestId('compare-loss').waitFor();
      // Every seed has run: each measure has its verdict — a winner beyond the spread, or within it. Two
      // steps in, either can happen (measured: k-NN 25 % against 38 % one time, a toss-up the next).
      for (const id of ['compare-verdict-knn', 'compare-verdict-kl']) {
        const line = await page.getByTestId(id).innerText();
        expect(line).toMatch(/(over 3 seeds each; the difference, [\d.]+( points|×), is larger than the run-to-run spread|too early to tell — the difference, [\d.]+( points|×), is within the run-to-run spread)/);
      }
      // Both scatters on the same axes: drawn with the same limits, they have the same size and ticks.
      const sizes = await Promise.all(['a', 'b'].map((s) => canvasStats(page, `compare-plot-${s}-scatter`)));
      expect([sizes[0].width, sizes[0].height]).toEqual([sizes[1].width, sizes[1].height]);
      // At 1280 px the two columns and everything in them stay apart.
      const box = async (sel: string) => (await page.locator(sel).boundingBox())!;
      const [a, b] = [await box('[data-testid="compare-run-a"]'), await box('[data-testid="compare-run-b"]')];
      expect(a.x + a.width).toBeLessThanOrEqual(b.x);
      for (const [side, col] of [['a', a], ['b', b]] as const)
        for (const kind of ['scatter', 'grid', 'recon']) {
          const c = await box(`[data-testid="compare-plot-${side}-${kind}"]`);
          expect(c.x, `${side} ${kind}`).toBeGreaterThanOrEqual(col.x - 0.5);
          expect(c.x + c.width, `${side} ${kind}`).toBeLessThanOrEqual(col.x + col.width + 0.5);
        }
    });
  }, 400_000);

  it('gives a verdict with its spread after a longer run: β = 10 keeps μ closer to the prior', async () => {
    await withApp(async ({ page }) => {
      await page.getByTestId('tab-compare').click();
      // 128 steps a run (batch 16). Measured at 96 steps with the CLI, seeds 1–3: KL 1.2–2.6 (β = 10)
      // against 27–35 (β = 0), 16× apart (geometric means) where the seeds vary by 2.1× at most; in the
      // browser 22× against 3.1×, and once not beyond the spread: the longer run widens the gap.
      await fill(page, [
        ['compare-limit', 2048],
        ['compare-batch', 16],
        ['compare-epochs', 1],
      ]);
      await page.getByTestId('compare-run').click();
      await page.waitForFunction(
        () => !!document.querySelector('[data-testid="compare-run"]') && document.querySelector('[data-testid="compare-run-b"]')?.getAttribute('data-phase') === 'done',
        undefined,
        { timeout: 560_000 },
      );
      const verdictText = await page.getByTestId('compare-verdict').innerText();
      expect(await page.getByTestId('compare-verdict-kl').getAttribute('data-decided'), verdictText).toBe('true');
      await expect(page.getByTestId('compare-verdict-kl').innerText()).resolves.toMatch(
        /^A keeps μ closer to the prior: KL .* A [\d.]+ \([\d.]+–[\d.]+\), B [\d.]+ \([\d.]+–[\d.]+\) over 3 seeds each; the difference, [\d.]+×, is larger than the run-to-run spread, [\d.]+×\.$/,
      );
    });
  }, 600_000);
});
