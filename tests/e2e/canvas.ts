// Helpers for browser tests of the canvas: waiting for text and counts, and wiring as a person would.
import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { openApp, type AppPage, type Server } from './harness';

/** Wait until the element's text is exactly `text` (the UI updates asynchronously). */
export async function expectText(page: Page, testid: string, text: string, timeout = 5000) {
  const loc = page.getByTestId(testid);
  const end = Date.now() + timeout;
  let last: string | null = null;
  while (Date.now() < end) {
    last = (await loc.count()) ? await loc.first().textContent() : null;
    if (last?.trim() === text) return;
    await page.waitForTimeout(50);
  }
  expect(last?.trim(), `[data-testid=${testid}]`).toBe(text);
}

/** Waits until some element with this test id has text matching `pattern` (toasts appear a moment after the action). */
export async function expectSomeText(page: Page, testid: string, pattern: RegExp, timeout = 5000) {
  const loc = page.getByTestId(testid);
  const end = Date.now() + timeout;
  let seen: string[] = [];
  while (Date.now() < end) {
    seen = await loc.allTextContents();
    if (seen.some((t) => pattern.test(t))) return;
    await page.waitForTimeout(50);
  }
  expect(seen.join(' | '), `[data-testid=${testid}]`).toMatch(pattern);
}

export async function expectCount(loc: Locator, n: number, timeout = 5000) {
  const end = Date.now() + timeout;
  while (Date.now() < end && (await loc.count()) !== n) await loc.page().waitForTimeout(50);
  expect(await loc.count()).toBe(n);
}

export async function centre(loc: Locator) {
  const box = await loc.boundingBox();
  if (!box) throw new Error('no bounding box');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drag a wire from a node's output socket to another node's input socket, as a person would. */
export async function wire(page: Page, from: [string, string], to: [string, string]) {
  const out = page.locator(`[data-node-id="${from[0]}"] [data-testid="output-socket"]`).nth(await portIndex(page, from[0], from[1], 'out'));
  const inp = page.locator(`[data-node-id="${to[0]}"] [data-testid="input-socket"]`).nth(await portIndex(page, to[0], to[1], 'in'));
  const a = await centre(out);
  const b = await centre(inp);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
}

/** Index of a port among the node's inputs or outputs, found by its label. */
export async function portIndex(page: Page, node: string, label: string, side: 'in' | 'out'): Promise<number> {
  const labels = await page.locator(`[data-node-id="${node}"] .port-${side} .port-label`).allTextContents();
  const i = labels.indexOf(label);
  if (i < 0) throw new Error(`${node} has no ${side}put "${label}" (has ${labels.join(', ')})`);
  return i;
}

export const nodes = (page: Page) => page.locator('[data-testid="node"]');

/** Select a node (a click on its title) so that its param controls open under it: nodes are compact on the canvas. */
export async function openControls(page: Page, id: string) {
  await page.locator(`[data-node-id="${id}"] .node-label`).click();
  await expectCount(page.getByTestId(`controls-${id}`), 1);
}


/** On-screen size of every node title, in CSS pixels: its font size times the canvas zoom. */
export function titleSizes(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const el of document.querySelectorAll<HTMLElement>('[data-node-id] .node-label')) {
      const zoom = el.getBoundingClientRect().width / el.offsetWidth;
      out[el.closest<HTMLElement>('[data-node-id]')!.dataset.nodeId!] = parseFloat(getComputedStyle(el).fontSize) * zoom;
    }
    return out;
  });
}

export type Box = { x: number; y: number; width: number; height: number };
/** Screen rectangles of the nodes, by id. */
export function nodeBoxes(page: Page): Promise<Record<string, Box>> {
  return page.evaluate(() => {
    const out: Record<string, Box> = {};
    for (const el of document.querySelectorAll<HTMLElement>('[data-node-id]')) {
      const r = el.getBoundingClientRect();
      out[el.dataset.nodeId!] = { x: r.x, y: r.y, width: r.width, height: r.height };
    }
    return out;
  });
}
/** `a` lies wholly inside `b` (half a pixel of rounding allowed). */
export const inside = (a: Box, b: Box) => a.x >= b.x - 0.5 && a.y >= b.y - 0.5 && a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;
export const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Wait for the view to settle after an action (sync, zoom, layout). */
export const settle = (page: Page, ms = 300) => page.waitForTimeout(ms);

/** The screen point halfway along a wire (by its edge id, `from.port->to.port`). */
export function wireMidpoint(page: Page, id: string): Promise<{ x: number; y: number }> {
  return page.evaluate((wireId) => {
    const path = document.querySelector<SVGPathElement>(`[data-wire-id="${CSS.escape(wireId)}"] .wire-hit`);
    if (!path) throw new Error(`no wire ${wireId}`);
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const m = path.getScreenCTM()!;
    return { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f };
  }, id);
}

/** Press on a socket, drag and release at a point (empty canvas, or another socket's centre). */
export async function dragFromSocket(page: Page, socket: Locator, to: { x: number; y: number }) {
  const a = await centre(socket);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + to.x) / 2, (a.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
}

/** A node's socket, by port label. */
export async function socket(page: Page, node: string, label: string, side: 'in' | 'out'): Promise<Locator> {
  return page.locator(`[data-node-id="${node}"] [data-testid="${side === 'in' ? 'input' : 'output'}-socket"]`).nth(await portIndex(page, node, label, side));
}

/** Runs a test on a fresh 1280×800 page of the app once the canvas has settled; any page error fails it. */
export function canvasApp(env: { readonly browser: Browser; readonly server: Server }) {
  return async (run: (app: AppPage) => Promise<void>): Promise<void> => {
    const app = await openApp(env.browser, env.server);
    try {
      await settle(app.page, 500);
      await run(app);
      expect(app.errors).toEqual([]);
    } finally {
      await app.context.close();
    }
  };
}
