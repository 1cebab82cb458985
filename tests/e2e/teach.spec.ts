// Teaching at 1280×800: the inspector's param controls, β's number box, refused edits that revert and
// say why, Reshape's -1, teaching text that follows the params, and a graph shared by link.
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
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

/** Polls until `read` gives a value matching `pattern`. */
async function eventually(read: () => Promise<string | null>, pattern: RegExp, what: string, timeout = 5000) {
  const end = Date.now() + timeout;
  let last: string | null = null;
  while (Date.now() < end) {
    last = await read();
    if (last !== null && pattern.test(last)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(last, what).toMatch(pattern);
}
const text = (page: Page, testid: string) => () => page.getByTestId(testid).first().textContent();
const value = (page: Page, testid: string) => () => page.getByTestId(testid).first().inputValue();
const select = (page: Page, id: string) => page.locator(`[data-node-id="${id}"] .node-title`).click();
/** What the autosave holds. */
const autosaved = (page: Page) => page.evaluate(() => localStorage.getItem('wirelab.graph'));

describe('the inspector', () => {
  it('shows the selected node’s params as controls, and its Keras line follows them', async () => {
    await withApp(async ({ page }) => {
      await select(page, 'conv1');
      await eventually(text(page, 'inspector-keras'), /^layers\.Conv2D\(32, 3, strides=2, padding="same", activation="relu"\)$/, 'conv1 Keras');
      expect(await page.getByTestId('inspector-param-strides').inputValue()).toBe('2');
      expect(await page.getByTestId('inspector-param-padding').inputValue()).toBe('same');
      // Every param shows its help.
      const helps = await page.locator('[data-testid="inspector-params"] .param-help-text').allTextContents();
      expect(helps).toHaveLength(6);
      expect(helps.every((h) => h.length > 10)).toBe(true);
      // An edit in the inspector reaches the node, its shape and the Keras line.
      await page.getByTestId('inspector-param-strides').fill('1');
      await page.getByTestId('inspector-param-strides').press('Enter');
      await eventually(value(page, 'param-conv1-strides'), /^1$/, 'the node’s own field');
      await eventually(text(page, 'shape-conv1-output'), /^28×28×32$/, 'conv1 output shape');
      await eventually(text(page, 'inspector-keras'), /^layers\.Conv2D\(32, 3, padding="same", activation="relu"\)$/, 'Keras after the edit');
    });
  });

  it('gives β a number box beside its slider, and the Keras line follows β', async () => {
    await withApp(async ({ page }) => {
      await select(page, 'beta');
      await eventually(text(page, 'inspector-keras'), /beta = 10\b/, 'β = 10');
      await page.getByTestId('param-beta-beta').fill('2.5');
      await page.getByTestId('param-beta-beta').press('Enter');
      await eventually(text(page, 'inspector-keras'), /beta = 2\.5\b/, 'β = 2.5');
      expect(await page.getByTestId('param-beta-beta-slider').inputValue()).toBe('2.5');
      expect(await page.getByTestId('inspector-param-beta').inputValue()).toBe('2.5');
    });
  });

  it('a refused edit puts the model’s value back and says why', async () => {
    await withApp(async ({ page }) => {
      await select(page, 'conv1');
      const field = page.getByTestId('inspector-param-filters');
      await field.fill('0');
      await field.press('Enter');
      await eventually(text(page, 'inspector-param-filters-refused'), /between 1 and 1024/, 'the reason');
      await eventually(value(page, 'inspector-param-filters'), /^32$/, 'the field after the refusal');
      expect(await page.getByTestId('param-conv1-filters').inputValue()).toBe('32');
      expect(await page.getByTestId('params-conv1').textContent()).toBe('320');
    });
  });

  it('Reshape takes -1, and an invalid target shows its message', async () => {
    await withApp(async ({ page }) => {
      // On the node: selected, its controls open under it.
      await select(page, 'reshape');
      const field = page.getByTestId('param-reshape-targetShape');
      await field.fill('7, 7, -1');
      await field.press('Enter');
      await eventually(text(page, 'shape-reshape-output'), /^7×7×64$/, 'the inferred shape');
      await field.fill('7, x');
      await field.press('Enter');
      await eventually(text(page, 'param-reshape-targetShape-refused'), /positive whole numbers/, 'the refusal');
      await eventually(value(page, 'param-reshape-targetShape'), /^7, 7, -1$/, 'the field after the refusal');
      await field.fill('-1, 5');
      await field.press('Enter');
      await eventually(text(page, 'diagnostic-reshape'), /does not divide/, 'the node’s message');
    });
  });

  it('shows the KL formula for its reduction and what the latent size does to its weight', async () => {
    await withApp(async ({ page }) => {
      await select(page, 'kl');
      await eventually(text(page, 'inspector-remark'), /d = 2.*÷ 2.*from 2 to 8 latent dimensions quarters the KL/s, 'the remark');
      await page.getByTestId('inspector-param-reduction').selectOption('sum-latent');
      await eventually(text(page, 'inspector-keras'), /reduce_sum\(kl_loss, axis=1\)/, 'Keras for the sum');
      await eventually(text(page, 'inspector-remark'), /paper/, 'the remark for the sum');
    });
  });
});

describe('share by link', () => {
  it('round-trips a modified graph, keeps the autosaved one until an edit, and Save uses the name', async () => {
    let link = '';
    await withApp(async ({ page, context }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.url });
      await select(page, 'conv1');
      await page.getByTestId('param-conv1-filters').fill('16');
      await eventually(text(page, 'params-conv1'), /^160$/, 'conv1 params after the edit');
      const name = page.getByTestId('doc-name');
      await name.fill('Shared <b>VAE</b>');
      await name.press('Enter');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-file').click()]);
      expect(download.suggestedFilename()).toBe('Shared-b-VAE-b.json');
      expect(JSON.parse(await readFile((await download.path())!, 'utf8')).name).toBe('Shared <b>VAE</b>');
      await page.getByTestId('copy-link').click();
      await eventually(text(page, 'toast-text'), /Copied a link/, 'the toast');
      link = await page.evaluate(() => navigator.clipboard.readText());
      expect(link).toMatch(/#graph=[A-Za-z0-9_-]+$/);
    });
    await withApp(async ({ page }) => {
      // Someone with a graph of their own opens the link.
      await page.getByTestId('preset-autoencoder').click();
      // Autosave waits for edits to pause: wait until it holds the preset just opened.
      await page.waitForFunction(() => {
        const shown = (document.querySelector('[data-testid="doc-name"]') as HTMLInputElement | null)?.value;
        return !!shown && JSON.parse(localStorage.getItem('wirelab.graph') ?? '{}').name === shown;
      });
      const before = await autosaved(page);
      await page.goto('about:blank');
      await page.goto(link);
      await eventually(text(page, 'params-conv1'), /^160$/, 'the shared graph’s conv1');
      expect(await page.getByTestId('doc-name').inputValue()).toBe('Shared <b>VAE</b>');
      expect(await page.locator('.toolbar b, .inspector h2 b').count()).toBe(0);
      await page.getByTestId('from-link').waitFor();
      expect(await autosaved(page)).toBe(before);
      // The first edit keeps it: saved, and the link leaves the address.
      await select(page, 'conv1');
      await page.getByTestId('param-conv1-filters').fill('8');
      await eventually(text(page, 'params-conv1'), /^80$/, 'after the edit');
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('wirelab.graph') ?? '{}').name === 'Shared <b>VAE</b>');
      expect(page.url()).not.toContain('#graph=');
      expect(await page.getByTestId('from-link').count()).toBe(0);
    });
  });

  it('a link that does not decode says so and opens nothing', async () => {
    await withApp(async ({ page }) => {
      const before = await autosaved(page);
      await page.goto('about:blank');
      await page.goto(`${env.server.url}#graph=bm90LWEtZ3JhcGg`);
      await page.waitForSelector('[data-testid="node"]');
      await eventually(text(page, 'toast-text'), /does not open a graph; nothing was opened/, 'the message');
      expect(await page.getByTestId('toast-details').first().textContent()).toMatch(/does not decode/);
      expect(await autosaved(page)).toBe(before);
      expect(await page.getByTestId('doc-name').inputValue()).toMatch(/β-VAE/);
    });
  });
});
