// Your own images: IDX files (gzipped or not) and PNGs in class folders (a folder or a zip), decoded
// from small files made here; every malformed input is a clear DataError, never a crash.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError, openOwnImages, readPng, readZip, type DataFile } from '../../src/train/own-images';
import { idx, png, rgbPng, zip } from './image-fixtures';
import { loadOwnImagesFromDisk, nodeInflate } from '../../src/train/own-images-node';

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

describe('never a crash', () => {
  it('truncated or random bytes in every position give a DataError, never another error', async () => {
    const good = png(6, 5, 2, 8, (x, y) => [x, y, 3]);
    const z = zip([
      { path: 'a/0.png', bytes: good },
      { path: 'b/0.png', bytes: good },
    ]);
    for (const bytes of [good, z])
      for (let cut = 1; cut < bytes.length; cut += 7) {
        const broken = bytes.slice(0, cut);
        const files = bytes === z ? [{ path: 'x.zip', bytes: broken }] : [{ path: 'a/0.png', bytes: broken }, { path: 'b/0.png', bytes: good }];
        const e = await openOwnImages(files, nodeInflate).then(() => null, (err: unknown) => err);
        // A cut after the last pixel (only IEND lost) still decodes; anything else is a DataError.
        if (e !== null || cut < bytes.length - 24) expect(e, `cut at ${cut}`).toBeInstanceOf(DataError);
      }
    let seed = 5;
    for (let k = 0; k < 30; k++) {
      const noisy = good.slice();
      for (let j = 0; j < 4; j++) noisy[8 + ((seed = (seed * 16807) % 2147483647) % (noisy.length - 8))] ^= 0xff;
      const r = await openOwnImages([{ path: 'a/0.png', bytes: noisy }, { path: 'b/0.png', bytes: good }], nodeInflate).then(() => null, (err: unknown) => err);
      if (r !== null) expect(r).toBeInstanceOf(DataError);
    }
  });
});
