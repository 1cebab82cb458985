// Keys and conventions (issue 12, item 8), at 1280×800 in Chromium.
import { describe, expect, it } from 'vitest';
import { SHORTCUTS } from '../../src/components/shortcuts';
import { canvasApp, centre, expectCount, nodeBoxes, settle, titleSizes } from './canvas';
import { useAppServer } from './harness';

const env = useAppServer();

const withApp = canvasApp(env);

describe('keys', () => {
  it('Escape closes the canvas menu, also from its search box, and the node search', async () => {
    await withApp(async ({ page }) => {
      const frame = (await page.locator('[data-frame-id="encoder"]').boundingBox())!;
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      const spot = { x: Math.min(frame.x + frame.width + 20, canvas.x + canvas.width - 10), y: canvas.y + 20 };
      const menu = page.getByTestId('context-menu');
      await page.mouse.click(spot.x, spot.y, { button: 'right' });
      await expectCount(menu, 1);
      await expect(menu.isVisible()).resolves.toBe(true);
      await page.keyboard.press('Escape');
      await settle(page, 150);
      await expect(menu.isVisible()).resolves.toBe(false);
      await page.mouse.click(spot.x, spot.y, { button: 'right' });
      await expect(menu.isVisible()).resolves.toBe(true);
      await menu.locator('input').first().fill('den');
      await menu.locator('input').first().press('Escape');
      await settle(page, 150);
      await expect(menu.isVisible()).resolves.toBe(false);
    });
  });

  it('Tab walks the nodes in the order data flows, "." zooms to the selection, arrows move it in one undo step', async () => {
    await withApp(async ({ page }) => {
      await page.keyboard.press('Tab');
      await expectCount(page.locator('[data-node-id="data"].selected'), 1);
      await page.keyboard.press('Tab');
      await expectCount(page.locator('[data-node-id="conv1"].selected'), 1);
      await page.keyboard.press('Shift+Tab');
      await expectCount(page.locator('[data-node-id="data"].selected'), 1);
      await page.keyboard.press('Tab');
      // ".": conv1 fills the view at 100 %, in the middle.
      await page.keyboard.press('.');
      await settle(page);
      expect((await titleSizes(page)).conv1).toBeCloseTo(15, 0);
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      const c = await centre(page.locator('[data-node-id="conv1"]'));
      expect(Math.abs(c.x - (canvas.x + canvas.width / 2))).toBeLessThan(3);
      expect(Math.abs(c.y - (canvas.y + canvas.height / 2))).toBeLessThan(3);
      // Arrows: three presses right, one down with Shift: (30, 50) canvas units at 100 %.
      const before = (await nodeBoxes(page)).conv1;
      for (const k of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'Shift+ArrowDown']) await page.keyboard.press(k);
      await settle(page);
      const after = (await nodeBoxes(page)).conv1;
      expect(after.x - before.x).toBeCloseTo(30, 0);
      expect(after.y - before.y).toBeCloseTo(50, 0);
      await page.keyboard.press('Control+z');
      await settle(page);
      expect((await nodeBoxes(page)).conv1).toEqual(before);
      // Tab Tab ... round the whole graph comes back to the start.
      await page.keyboard.press('Escape');
      await expectCount(page.locator('[data-node-id].selected'), 0);
    });
  });

  it('? lists every shortcut; Escape closes the list', async () => {
    await withApp(async ({ page }) => {
      await page.keyboard.press('?');
      await expectCount(page.getByTestId('help'), 1);
      const rows = await page.locator('[data-testid="help"] tr').count();
      expect(rows).toBe(SHORTCUTS.length);
      const text = await page.getByTestId('help').innerText();
      for (const k of ['Escape', 'Tab', 'Arrow keys', 'Ctrl+G', 'Alt+drag a node', 'Wheel']) expect(text).toContain(k);
      await page.keyboard.press('Escape');
      await expectCount(page.getByTestId('help'), 0);
      await page.getByTestId('help-button').click();
      await expectCount(page.getByTestId('help'), 1);
      await page.getByTestId('help-close').click();
      await expectCount(page.getByTestId('help'), 0);
    });
  });
});
