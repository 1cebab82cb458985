// Your own images: IDX files (gzipped or not) and PNGs in class folders (a folder or a zip), decoded
// from small files made here; every malformed input is a clear DataError, never a crash.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from './png-fixture';
import { DataError, openOwnImages, readPng, readZip, type DataFile } from '../../src/train/own-images';
import { loadOwnImagesFromDisk, nodeInflate } from '../../src/train/own-images-node';

/** An IDX file: magic 0 0 08 rank, big-endian dims, bytes. */
function idx(dims: number[], data: Uint8Array | number[], magic = [0, 0, 8, dims.length]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set(magic);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** A PNG with every row filter (0–4, by row) and the given colour type and bit depth. */
function png(width: number, height: number, colour: 0 | 2 | 3 | 4 | 6, depth: number, pixel: (x: number, y: number) => number[], palette?: number[]): Uint8Array {
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
function zip(files: DataFile[]): Uint8Array {
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

const rgbPng = (w: number, h: number, seed: number) => {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 7 + seed) & 255, (i * 13 + seed * 3) & 255, seed & 255, 255], i * 4);
  return encodePng(w, h, rgba);
};

async function rejects(p: Promise<unknown>, message: RegExp) {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'should fail').toBeInstanceOf(DataError);
  expect((e as Error).message).toMatch(message);
}

describe('PNG decoding', () => {
  it('reads grey, RGB, RGBA, grey+alpha, palette, 16-bit and 2-bit images with every row filter', async () => {
    const value = (x: number, y: number) => (x * 37 + y * 11) & 255;
    const grey = await readPng(png(9, 7, 0, 8, (x, y) => [value(x, y)]), nodeInflate);
    expect([grey.width, grey.height, grey.channels]).toEqual([9, 7, 1]);
    expect(grey.pixels[3 * 9 + 4]).toBe(value(4, 3));
    const rgb = await readPng(png(5, 6, 2, 8, (x, y) => [x * 40, y * 40, 200]), nodeInflate);
    expect(Array.from(rgb.pixels.subarray((2 * 5 + 3) * 3, (2 * 5 + 3) * 3 + 3))).toEqual([120, 80, 200]);
    const rgba = await readPng(png(4, 6, 6, 8, (x, y) => [x, y, 9, 128]), nodeInflate);
    expect([rgba.channels, ...rgba.pixels.subarray((5 * 4 + 3) * 3, (5 * 4 + 3) * 3 + 3)]).toEqual([3, 3, 5, 9]);
    const ga = await readPng(png(3, 6, 4, 8, (x) => [x * 50, 255]), nodeInflate);
    expect([ga.channels, ga.pixels[2]]).toEqual([1, 100]);
    const pal = await readPng(png(4, 5, 3, 8, (x) => [x % 2], [255, 0, 0, 0, 0, 255]), nodeInflate);
    expect(Array.from(pal.pixels.subarray(0, 6))).toEqual([255, 0, 0, 0, 0, 255]);
    const deep = await readPng(png(3, 5, 0, 16, (x) => [x * 100]), nodeInflate);
    expect(deep.pixels[2]).toBe(200);
    const twoBit = await readPng(png(6, 5, 0, 2, (x) => [x % 4]), nodeInflate);
    expect(Array.from(twoBit.pixels.subarray(0, 4))).toEqual([0, 85, 170, 255]);
  });
  it('says what is wrong with a file that is not a PNG, is cut short or is interlaced', async () => {
    await rejects(readPng(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), nodeInflate, 'a.png'), /a\.png is not a PNG file/);
    const good = png(8, 8, 0, 8, () => [1]);
    await rejects(readPng(good.subarray(0, 40), nodeInflate, 'short.png'), /short\.png is cut short|damaged|no valid header/);
    const laced = good.slice();
    laced[8 + 8 + 12] = 1; // IHDR's interlace byte
    await rejects(readPng(laced, nodeInflate, 'laced.png'), /interlaced/);
  });
});

describe('IDX files', () => {
  const images = Uint8Array.from({ length: 12 * 5 * 4 }, (_, i) => i & 255);
  const labels = Uint8Array.from({ length: 12 }, (_, i) => i % 3);
  it('opens a pair, gzipped or not, with any image size; holds out every 10th image', async () => {
    for (const gz of [false, true]) {
      const pack = (b: Uint8Array) => (gz ? new Uint8Array(gzipSync(b)) : b);
      const data = await openOwnImages(
        [
          { path: `train-images-idx3-ubyte${gz ? '.gz' : ''}`, bytes: pack(idx([12, 5, 4], images)) },
          { path: `train-labels-idx1-ubyte${gz ? '.gz' : ''}`, bytes: pack(idx([12], labels)) },
        ],
        nodeInflate,
      );
      expect(data.train.shape).toEqual([5, 4, 1]);
      expect(data.classNames).toEqual(['0', '1', '2']);
      expect([data.train.count, data.test.count]).toEqual([11, 1]);
      expect(Array.from(data.test.pixels)).toEqual(Array.from(images.subarray(9 * 20, 10 * 20)));
    }
  });
  it('rank-4 IDX files carry channels', async () => {
    const rgb = await openOwnImages([
      { path: 'images-idx4-ubyte', bytes: idx([12, 2, 2, 3], Uint8Array.from({ length: 144 })) },
      { path: 'labels-idx1-ubyte', bytes: idx([12], labels) },
    ], nodeInflate);
    expect(rgb.train.shape).toEqual([2, 2, 3]);
  });
  it('rejects a wrong magic number, sizes that disagree and a missing labels file, saying which', async () => {
    await rejects(
      openOwnImages([{ path: 'train-images-idx3-ubyte', bytes: idx([12, 5, 4], images, [8, 0, 8, 3]) }, { path: 'train-labels-idx1-ubyte', bytes: idx([12], labels) }], nodeInflate),
      /train-images-idx3-ubyte is not an IDX file: it should start with two zero bytes/,
    );
    await rejects(
      openOwnImages([{ path: 'train-images-idx3-ubyte', bytes: idx([12, 5, 4], images) }, { path: 'train-labels-idx1-ubyte', bytes: idx([11], labels.subarray(0, 11)) }], nodeInflate),
      /has 12 images but train-labels-idx1-ubyte has 11 labels/,
    );
    await rejects(
      openOwnImages([{ path: 'train-images-idx3-ubyte', bytes: idx([12, 5, 4], images.subarray(0, 50)) }, { path: 'train-labels-idx1-ubyte', bytes: idx([12], labels) }], nodeInflate),
      /should be 256 bytes .* truncated or corrupt/,
    );
    await rejects(openOwnImages([{ path: 'train-images-idx3-ubyte', bytes: idx([12, 5, 4], images) }], nodeInflate), /needs an images file and a labels file/);
    await rejects(openOwnImages([{ path: 'train-images-idx3-ubyte.gz', bytes: Uint8Array.from([0x1f, 0x8b, 1, 2, 3]) }, { path: 'train-labels-idx1-ubyte', bytes: idx([12], labels) }], nodeInflate), /damaged/);
  });
});

describe('PNGs in class folders', () => {
  const files = (sizes: [number, number][] = []): DataFile[] =>
    ['boots', 'shirts', 'bags'].flatMap((cls, c) => Array.from({ length: 4 }, (_, i) => ({ path: `mine/${cls}/${i}.png`, bytes: rgbPng(...(sizes[c * 4 + i] ?? [6, 5]), c * 10 + i) })));
  it('opens a folder: classes from the sub-folder names (sorted), colour kept, every class in the test set', async () => {
    const data = await openOwnImages(files(), nodeInflate, 'mine');
    expect(data.classNames).toEqual(['bags', 'boots', 'shirts']);
    expect(data.train.shape).toEqual([5, 6, 3]);
    expect(data.train.count + data.test.count).toEqual(12);
    expect(data.test.count).toBe(1);
  });
  it('opens the same as a zip (stored and deflated entries)', async () => {
    const fromZip = await openOwnImages([{ path: 'mine.zip', bytes: zip(files()) }], nodeInflate);
    const fromFolder = await openOwnImages(files(), nodeInflate);
    expect(fromZip.classNames).toEqual(fromFolder.classNames);
    expect(Array.from(fromZip.train.pixels)).toEqual(Array.from(fromFolder.train.pixels));
    expect((await readZip(zip(files()), nodeInflate)).map((f) => f.path)).toHaveLength(12);
  });
  it('rejects images of different sizes (naming both), no class folders, one class, no images, a broken zip', async () => {
    const sizes: [number, number][] = [];
    sizes[5] = [7, 5];
    await rejects(openOwnImages(files(sizes), nodeInflate), /Images of different sizes: mine\/bags\/0\.png is 6×5 but mine\/shirts\/1\.png is 7×5; resize them/);
    await rejects(openOwnImages([{ path: 'a.png', bytes: rgbPng(4, 4, 1) }, { path: 'b.png', bytes: rgbPng(4, 4, 2) }], nodeInflate), /a\.png is not inside a class folder/);
    await rejects(openOwnImages([{ path: 'cats/a.png', bytes: rgbPng(4, 4, 1) }], nodeInflate), /only one class \(cats\)/);
    await rejects(openOwnImages([{ path: 'notes.txt', bytes: new Uint8Array(3) }], nodeInflate, 'stuff'), /stuff holds no PNG images and no IDX files/);
    await rejects(openOwnImages([], nodeInflate, 'empty'), /empty is empty/);
    await rejects(openOwnImages([{ path: 'x.zip', bytes: Uint8Array.from({ length: 100 }, (_, i) => i) }], nodeInflate), /x\.zip is not a zip file/);
    await rejects(openOwnImages([{ path: 'cats/a.png', bytes: Uint8Array.from([1, 2, 3]) }, { path: 'dogs/b.png', bytes: rgbPng(4, 4, 2) }], nodeInflate), /cats\/a\.png is not a PNG file/);
  });
  it('reads a folder from disk, and an IDX images file with its labels beside it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirelab-own-'));
    for (const f of files()) {
      await mkdir(path.join(dir, path.dirname(f.path)), { recursive: true });
      await writeFile(path.join(dir, f.path), f.bytes);
    }
    expect((await loadOwnImagesFromDisk(path.join(dir, 'mine'))).classNames).toEqual(['bags', 'boots', 'shirts']);
    await writeFile(path.join(dir, 'x-images-idx3-ubyte'), idx([10, 3, 3], new Uint8Array(90)));
    await writeFile(path.join(dir, 'x-labels-idx1-ubyte'), idx([10], Uint8Array.from({ length: 10 }, (_, i) => i % 2)));
    expect((await loadOwnImagesFromDisk(path.join(dir, 'x-images-idx3-ubyte'))).train.shape).toEqual([3, 3, 1]);
    await rejects(loadOwnImagesFromDisk(path.join(dir, 'nothing-here')), /no such file or folder/);
  });
});
