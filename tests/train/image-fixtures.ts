// Small image files made in the tests: IDX, PNG (every colour type and row filter) and zip.
import { deflateRawSync, deflateSync } from 'node:zlib';
import { crc32, encodePng } from './png-fixture';
import type { DataFile } from '../../src/train/own-images';

/** An IDX file: magic 0 0 08 rank, big-endian dims, bytes. */
export function idx(dims: number[], data: Uint8Array | number[], magic = [0, 0, 8, dims.length]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set(magic);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** A PNG with every row filter (0–4, by row) and the given colour type and bit depth. */
export function png(width: number, height: number, colour: 0 | 2 | 3 | 4 | 6, depth: number, pixel: (x: number, y: number) => number[], palette?: number[]): Uint8Array {
  const samples = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colour];
  const stride = Math.ceil((width * samples * depth) / 8);
  const bpp = Math.max(1, (samples * depth) >> 3);
  const lines: Uint8Array[] = [];
  for (let y = 0; y < height; y++) {
    const line = new Uint8Array(stride);
    for (let x = 0; x < width; x++) {
      const v = pixel(x, y);
      if (depth === 8) line.set(v, x * samples);
      else if (depth === 16) v.forEach((s, k) => ((line[(x * samples + k) * 2] = s), (line[(x * samples + k) * 2 + 1] = 0x7f)));
      else line[(x * depth) >> 3] |= v[0] << (8 - depth - ((x * depth) & 7));
    }
    lines.push(line);
  }
  const raw: number[] = [];
  lines.forEach((line, y) => {
    const filter = y % 5;
    const up = y ? lines[y - 1] : new Uint8Array(stride);
    raw.push(filter);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp] : 0;
      const b = up[i];
      const c = i >= bpp ? up[i - bpp] : 0;
      const p = a + b - c;
      const pred = [0, a, b, (a + b) >> 1, Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][filter];
      raw.push((line[i] - pred) & 0xff);
    }
  });
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set([...type].map((c) => c.charCodeAt(0)), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([depth, colour, 0, 0, 0], 8);
  const parts = [Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr)];
  if (palette) parts.push(chunk('PLTE', Uint8Array.from(palette)));
  parts.push(chunk('IDAT', new Uint8Array(deflateSync(Uint8Array.from(raw)))), chunk('IEND', new Uint8Array(0)));
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** A zip of these files, the first stored, the rest deflated (the reader ignores the CRC). */
export function zip(files: DataFile[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: number[] = [];
  const central: number[] = [];
  const u16 = (n: number) => [n & 255, n >> 8];
  const u32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24];
  files.forEach((f, i) => {
    const name = [...enc.encode(f.path)];
    const method = i === 0 ? 0 : 8;
    const data = method ? [...deflateRawSync(f.bytes)] : [...f.bytes];
    const offset = locals.length;
    locals.push(...u32(0x04034b50), ...u16(20), ...u16(0), ...u16(method), ...u32(0), ...u32(0), ...u32(data.length), ...u32(f.bytes.length), ...u16(name.length), ...u16(0), ...name, ...data);
    central.push(...u32(0x02014b50), ...u16(20), ...u16(20), ...u16(0), ...u16(method), ...u32(0), ...u32(0), ...u32(data.length), ...u32(f.bytes.length), ...u16(name.length), ...u16(0), ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...u32(offset), ...name);
  });
  const end = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(files.length), ...u16(files.length), ...u32(central.length), ...u32(locals.length), ...u16(0)];
  return Uint8Array.from([...locals, ...central, ...end]);
}

export const rgbPng = (w: number, h: number, seed: number) => {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 7 + seed) & 255, (i * 13 + seed * 3) & 255, seed & 255, 255], i * 4);
  return encodePng(w, h, rgba);
};

