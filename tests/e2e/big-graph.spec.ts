// A big graph (issue 12, item 9) works as a small one does: nodes far from the view are drawn when
// the view comes near them, with their wires. Speed is measured by `npm run bench` (bench/editor.ts), not here.
import { describe, expect, it } from 'vitest';
import { denseChain } from '../../bench/editor';
import { expectCount, expectText, nodes, openControls, settle } from './canvas';
import { openApp, useAppServer } from './harness';

const env = useAppServer();

describe('big graphs', () => {
  it('opens a 400-node chain drawing what is near the view; moving the view draws the rest, wires included', async () => {
    const app = await openApp(env.browser, env.server);
    const { page } = app;
    try {
      const doc = denseChain(400);
      await page.getByTestId('open-file').setInputFiles({ name: 'big.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
      await expectText(page, 'shape-d2-output', '10', 30_000);
      await page.getByTestId('summary-total-model').waitFor();
      const drawn = await nodes(page).count();
      expect(drawn).toBeGreaterThan(5);
      expect(drawn).toBeLessThan(400);
      await expectCount(page.locator('[data-node-id="d396"]'), 0);
      // The chain is 10 nodes wide and 40 rows tall, so the minimap shows it as a narrow strip on its
      // left: a click at the strip's bottom moves the view to the end of the chain.
      const map = (await page.getByTestId('minimap-canvas').boundingBox())!;
      await page.mouse.click(map.x + 12, map.y + map.height - 4);
      await expectCount(page.locator('[data-node-id="d396"]'), 1, 10_000);
      await expectText(page, 'shape-d396-output', String(8 + (396 % 8)));
      const wire = page.locator('[data-wire-id="d395.output->d396.input"] .wire-line');
      await expectCount(wire, 1);
      await expect(wire.getAttribute('d')).resolves.toMatch(/M\s*-?\d/);
      // An edit there reaches the summary; Fit draws every node.
      const total = await page.getByTestId('summary-total-model').textContent();
      await openControls(page, 'd396');
      await page.getByTestId('param-d396-units').fill('64');
      await expectText(page, 'shape-d396-output', '64');
      await expect(page.getByTestId('summary-total-model').textContent()).resolves.not.toBe(total);
      await page.getByTestId('zoom-fit').click();
      await settle(page, 500);
      await expectCount(nodes(page), 400, 30_000);
      expect(app.errors).toEqual([]);
    } finally {
      await app.context.close();
    }
  });
});
