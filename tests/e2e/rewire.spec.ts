// Rewiring in one move (issue 12, item 3): each gesture works and undoes in one step.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { canvasApp, centre, dragFromSocket, expectCount, expectSomeText, expectText, nodes, openControls, settle, socket, wire, wireMidpoint } from './canvas';
import { useAppServer } from './harness';

const env = useAppServer();

const withApp = canvasApp(env);

const wires = (page: Page) => page.locator('[data-testid="connection"]');
const undo = async (page: Page) => {
  await page.keyboard.press('Control+z');
  await settle(page);
};

/** A new graph with these node types added from the palette, laid out left to right. */
async function fresh(page: Page, types: string[]) {
  await page.getByTestId('new-file').click();
  for (const t of types) await page.getByTestId(`palette-${t}`).click();
  await expectCount(nodes(page), types.length);
  await page.getByTestId('arrange').click();
  await settle(page, 600);
}

describe('rewiring', () => {
  it('a wire dropped on a used input replaces its wire, in one undo step; a click on an input changes nothing', async () => {
    await withApp(async ({ page }) => {
      await expectCount(wires(page), 26);
      // A click on Flatten's input, which has a wire: nothing happens.
      const input = await socket(page, 'flatten', 'input', 'in');
      await input.click();
      await settle(page);
      await expectCount(wires(page), 26);
      await expectText(page, 'shape-flatten-output', '3136');
      await expect(page.getByTestId('undo').isDisabled()).resolves.toBe(true);
      // conv1 → Flatten replaces conv2 → Flatten.
      await wire(page, ['conv1', 'output'], ['flatten', 'input']);
      await expectText(page, 'shape-flatten-output', '6272');
      await expectCount(wires(page), 26);
      await expectCount(page.locator('[data-wire-id="conv2.output->flatten.input"]'), 0);
      await undo(page);
      await expectText(page, 'shape-flatten-output', '3136');
      await expectCount(page.locator('[data-wire-id="conv2.output->flatten.input"]'), 1);
      await expect(page.getByTestId('undo').isDisabled()).resolves.toBe(true);
    });
  });

  it('a wire is selected by a click and deleted with Del; dragging a wire off an input moves it', async () => {
    await withApp(async ({ page }) => {
      const mid = await wireMidpoint(page, 'conv1.output->conv2.input');
      await page.mouse.click(mid.x, mid.y);
      await expectCount(page.locator('svg.wire.selected'), 1);
      await page.keyboard.press('Delete');
      await expectCount(wires(page), 25);
      await expectText(page, 'shape-conv2-output', '?');
      await undo(page);
      await expectCount(wires(page), 26);
      await expectText(page, 'shape-conv2-output', '7×7×64');
      // Drag the end of conv2 → Flatten off Flatten's input and onto... empty canvas: the wire goes.
      const flatten = (await page.locator('[data-node-id="flatten"]').boundingBox())!;
      await dragFromSocket(page, await socket(page, 'flatten', 'input', 'in'), { x: flatten.x + flatten.width / 2, y: flatten.y + flatten.height + 40 });
      await expectCount(wires(page), 25);
      await undo(page);
      await expectCount(wires(page), 26);
    });
  });

  it('a node dropped on a wire goes onto it, and Alt+drag takes it out again; each undoes in one step', async () => {
    await withApp(async ({ page }) => {
      await fresh(page, ['dataset', 'dense', 'flatten']);
      await wire(page, ['dataset1', 'image'], ['dense1', 'input']);
      await expectSomeText(page, 'diagnostic-dense1', /flat vector/);
      // Drag Flatten by its title so that the pointer lands on the wire.
      const mid = await wireMidpoint(page, 'dataset1.image->dense1.input');
      const title = await centre(page.locator('[data-node-id="flatten1"] .node-title'));
      await page.mouse.move(title.x, title.y);
      await page.mouse.down();
      await page.mouse.move((title.x + mid.x) / 2, (title.y + mid.y) / 2, { steps: 5 });
      await page.mouse.move(mid.x, mid.y, { steps: 5 });
      await page.mouse.up();
      await expectText(page, 'shape-dense1-output', '32');
      await expectCount(page.locator('[data-wire-id="dataset1.image->flatten1.input"]'), 1);
      await expectCount(page.locator('[data-wire-id="flatten1.output->dense1.input"]'), 1);
      const placed = (await page.locator('[data-node-id="flatten1"]').boundingBox())!;
      await undo(page);
      await expectCount(page.locator('[data-wire-id="dataset1.image->dense1.input"]'), 1);
      await expectCount(page.locator('[data-wire-id="dataset1.image->flatten1.input"]'), 0);
      const back = (await page.locator('[data-node-id="flatten1"]').boundingBox())!;
      expect(Math.abs(back.y - placed.y) + Math.abs(back.x - placed.x)).toBeGreaterThan(20);
      await page.keyboard.press('Control+y');
      await expectText(page, 'shape-dense1-output', '32');
      // Alt+drag Flatten away: Dataset → Dense again, Flatten unwired.
      const t2 = await centre(page.locator('[data-node-id="flatten1"] .node-title'));
      await page.keyboard.down('Alt');
      await page.mouse.move(t2.x, t2.y);
      await page.mouse.down();
      await page.mouse.move(t2.x + 30, t2.y + 80, { steps: 4 });
      await page.mouse.move(t2.x + 60, t2.y + 160, { steps: 4 });
      await page.mouse.up();
      await page.keyboard.up('Alt');
      await expectCount(page.locator('[data-wire-id="dataset1.image->dense1.input"]'), 1);
      await expectCount(page.locator('[data-wire-id^="flatten1."], [data-wire-id*="->flatten1."]'), 0);
      await undo(page);
      await expectCount(page.locator('[data-wire-id="flatten1.output->dense1.input"]'), 1);
      await expectText(page, 'shape-dense1-output', '32');
    });
  });

  it('a wire released on empty canvas opens the node search, filtered by kind and shape, and wires the new node in', async () => {
    await withApp(async ({ page }) => {
      const flatten = (await page.locator('[data-node-id="flatten"]').boundingBox())!;
      // conv2's output is 7×7×64: Dense (needs a vector) is not offered, Flatten and Conv2D are; no loss-only node.
      await dragFromSocket(page, await socket(page, 'conv2', 'output', 'out'), { x: flatten.x + flatten.width / 2, y: flatten.y + flatten.height + 30 });
      await expectCount(page.getByTestId('node-search'), 1);
      const offered = await page.locator('[data-testid^="node-search-"][data-testid$=""] button, [data-testid="node-search"] li button').allTextContents();
      const labels = offered.map((t) => t.trim());
      expect(labels).toContain('Flatten');
      expect(labels).toContain('Conv2D');
      expect(labels).not.toContain('Dense');
      expect(labels).not.toContain('β-scale');
      await page.getByTestId('node-search-input').fill('flat');
      await page.keyboard.press('Enter');
      await expectCount(nodes(page), 21);
      await expectText(page, 'shape-flatten1-output', '3136');
      await expectCount(page.locator('[data-wire-id="conv2.output->flatten1.input"]'), 1);
      await undo(page);
      await expectCount(nodes(page), 20);
      // From Flatten's 3136 output Dense is offered; Escape closes the search and adds nothing.
      await dragFromSocket(page, await socket(page, 'flatten', 'output', 'out'), { x: flatten.x + flatten.width / 2, y: flatten.y + flatten.height + 30 });
      await expectCount(page.getByTestId('node-search-dense'), 1);
      await page.keyboard.press('Escape');
      await expectCount(page.getByTestId('node-search'), 0);
      await expectCount(nodes(page), 20);
    });
  });

  it('a diagnostic with a fix offers it as a button: Insert Flatten, Set units to 2 to match μ; each undoes in one step', async () => {
    await withApp(async ({ page }) => {
      await openControls(page, 'z_log_var');
      await page.getByTestId('param-z_log_var-units').fill('3');
      await expectSomeText(page, 'diagnostic-sampling', /μ is \[2\] but log σ² is \[3\]/);
      await expect(page.getByTestId('fix-sampling').first().textContent()).resolves.toBe('Set units to 2 to match μ');
      await page.getByTestId('fix-sampling').first().click();
      await expectCount(page.locator('[data-testid^="diagnostic-"]'), 0);
      await expect(page.getByTestId('param-z_log_var-units').inputValue()).resolves.toBe('2');
      await undo(page);
      await expect(page.getByTestId('param-z_log_var-units').inputValue()).resolves.toBe('3');

      await fresh(page, ['dataset', 'dense']);
      await wire(page, ['dataset1', 'image'], ['dense1', 'input']);
      await expect(page.getByTestId('fix-dense1').textContent()).resolves.toBe('Insert Flatten');
      await page.getByTestId('fix-dense1').click();
      await expectCount(nodes(page), 3);
      await expectText(page, 'shape-flatten1-output', '784');
      await expectText(page, 'shape-dense1-output', '32');
      await undo(page);
      await expectCount(nodes(page), 2);
      await expectCount(page.getByTestId('fix-dense1'), 1);
    });
  });

  it("the training panel's error names the node as a link that selects and centres it", async () => {
    await withApp(async ({ page }) => {
      await fresh(page, ['dataset', 'dense', 'objective']);
      await wire(page, ['dataset1', 'image'], ['dense1', 'input']);
      await page.getByTestId('train-start').click();
      // The worker refuses the graph: "node objective1: Nothing is wired into the Objective…".
      const link = page.getByTestId('node-link-objective1');
      await link.waitFor({ timeout: 60_000 });
      await page.keyboard.press('f');
      await settle(page);
      await link.click();
      await settle(page, 400);
      await expectCount(page.locator('[data-node-id="objective1"].selected'), 1);
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      const node = await centre(page.locator('[data-node-id="objective1"]'));
      expect(Math.abs(node.x - (canvas.x + canvas.width / 2))).toBeLessThan(20);
      expect(Math.abs(node.y - (canvas.y + canvas.height / 2))).toBeLessThan(20);
    });
  });
});
