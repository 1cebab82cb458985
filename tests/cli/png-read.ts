// Reads back the PNGs the CLI writes (8-bit RGBA, filter 0 on every row, as src/cli/png.ts writes them), checking each chunk's CRC.
import { crc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export function readPng(bytes: Uint8Array): DecodedPng {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error('Not a PNG: bad signature.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  const types: string[] = [];
  while (o < bytes.length) {
    const len = view.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const data = bytes.subarray(o + 8, o + 8 + len);
    if (crc32(bytes.subarray(o + 4, o + 8 + len)) !== view.getUint32(o + 8 + len)) throw new Error(`Bad CRC in ${type}.`);
    types.push(type);
    if (type === 'IHDR') {
      width = view.getUint32(o + 8);
      height = view.getUint32(o + 12);
      if (data[8] !== 8 || data[9] !== 6) throw new Error('Expected 8-bit RGBA.');
    } else if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  if (types[0] !== 'IHDR' || types.at(-1) !== 'IEND') throw new Error(`Chunks out of order: ${types.join(', ')}.`);
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== (width * 4 + 1) * height) throw new Error('IDAT holds the wrong number of bytes.');
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    if (raw[y * (width * 4 + 1)] !== 0) throw new Error('Unexpected filter type.');
    rgba.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, rgba };
}

/** How many distinct colours an image has. */
export function colourCount(png: DecodedPng): number {
  const seen = new Set<number>();
  for (let i = 0; i < png.rgba.length; i += 4) seen.add((png.rgba[i] << 16) | (png.rgba[i + 1] << 8) | png.rgba[i + 2]);
  return seen.size;
}
