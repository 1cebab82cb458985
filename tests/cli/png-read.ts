// Reads back the PNGs the CLI writes, with @napi-rs/canvas's decoder: size and RGBA pixels.
import { createCanvas, loadImage } from '@napi-rs/canvas';

export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export async function readPng(bytes: Uint8Array): Promise<DecodedPng> {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error('Not a PNG: bad signature.');
  const img = await loadImage(Buffer.from(bytes));
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, rgba: ctx.getImageData(0, 0, img.width, img.height).data };
}

/** How many distinct colours an image has. */
export function colourCount(png: DecodedPng): number {
  const seen = new Set<number>();
  for (let i = 0; i < png.rgba.length; i += 4) seen.add((png.rgba[i] << 16) | (png.rgba[i + 1] << 8) | png.rgba[i + 2]);
  return seen.size;
}
