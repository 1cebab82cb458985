// Node library v2 on the canvas: the order of the wires into a many-wire port, and the model
// summary's trainable / non-trainable split (the teaching presets).
import { describe, expect, it } from 'vitest';
import { openApp, useAppServer } from './harness';

const env = useAppServer();

describe('node library v2 in the editor', () => {
  it('numbers the wires into Concatenate, and splits BatchNormalization’s parameters as Keras does', async () => {
    const app = await openApp(env.browser, env.server);
    const { page } = app;
    const text = (id: string) => page.getByTestId(id).innerText().then((t) => t.trim());
    try {
      await page.getByTestId('preset-unet-autoencoder').click();
      await page.getByTestId('wire-order-skip-inputs').waitFor({ timeout: 10_000 });
      expect(await text('wire-order-skip-inputs')).toBe('1 up1 · 2 enc2');
      expect(await text('shape-skip-output')).toBe('14×14×64');

      await page.getByTestId('preset-vae-batchnorm').click();
      await page.getByTestId('summary-non-trainable-encoder').waitFor({ timeout: 10_000 });
      expect(await text('summary-total-encoder')).toBe('69,460');
      expect(await text('summary-trainable-encoder')).toBe('69,268');
      expect(await text('summary-non-trainable-encoder')).toBe('192');
      expect(app.errors).toEqual([]);
    } finally {
      await app.context.close();
    }
  }, 120_000);
});
