// Reading and driving the training panel in browser tests (data-testid hooks of TrainingPanel.vue
// and LossChart.vue). Waits poll a condition with a deadline, and say where the panel was.
import type { Page } from 'playwright-core';

export const phase = (page: Page) => page.getByTestId('progress').getAttribute('data-phase');
export const stepNow = async (page: Page) => Number(await page.getByTestId('progress').getAttribute('data-step'));
export const chartNumber = (page: Page, attr: 'data-points' | 'data-first-total' | 'data-last-total') => page.getByTestId('loss-chart').getAttribute(attr).then(Number);
/** The chart's last steps' total losses, as [step, total] pairs. */
export const recentTotals = async (page: Page): Promise<[number, number][]> =>
  JSON.parse((await page.getByTestId('loss-chart').getAttribute('data-recent')) ?? '[]') as [number, number][];

export async function fillSettings(page: Page, s: Partial<Record<'limit' | 'batch' | 'epochs' | 'lr', number>>) {
  const ids = { limit: 'train-limit', batch: 'train-batch', epochs: 'train-epochs', lr: 'train-lr' } as const;
  for (const [k, v] of Object.entries(s) as [keyof typeof ids, number][]) {
    await page.getByTestId(ids[k]).fill(String(v));
    await page.getByTestId(ids[k]).press('Tab');
  }
}

export async function waitFor(page: Page, what: string, ok: () => Promise<boolean>, timeout: number) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await ok()) return;
    await page.waitForTimeout(100);
  }
  const text = await page.getByTestId('progress').innerText().catch(() => '?');
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (phase ${await phase(page)}, step ${await stepNow(page)}: "${text}"; message: ${await page.locator('[data-testid=train-message]').allInnerTexts()})`);
}
export const waitPhase = (page: Page, want: string | string[], timeout: number) =>
  waitFor(page, `phase ${want}`, async () => [want].flat().includes((await phase(page)) ?? ''), timeout);
export const waitStep = (page: Page, n: number, timeout: number) => waitFor(page, `step ${n}`, async () => (await stepNow(page)) >= n, timeout);
