import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readIdx } from '../../src/train/idx';
import { seededRandom, shuffled, toFloats } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';

const idx = (magic: number[], dims: number[], values: number[]) => {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  magic.forEach((b, i) => header.setUint8(i, b));
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...new Uint8Array(header.buffer), ...values]);
};

describe('the IDX reader', () => {
  it('reads a well-formed file', () => {
    expect(readIdx(idx([0, 0, 8, 2], [2, 3], [1, 2, 3, 4, 5, 6]))).toEqual({ dims: [2, 3], data: new Uint8Array([1, 2, 3, 4, 5, 6]) });
  });
  it('says what is wrong with a bad file', () => {
    expect(() => readIdx(idx([1, 2, 8, 1], [1], [0]), 'x.idx')).toThrow(/x.idx is not an IDX file/);
    expect(() => readIdx(idx([0, 0, 0x0d, 1], [1], [0, 0, 0, 0]))).toThrow(/only unsigned bytes/);
    expect(() => readIdx(idx([0, 0, 8, 1], [5], [1, 2]), 'labels')).toThrow(/labels should be 13 bytes for dimensions 5, but it is 10; the file is truncated/);
    expect(() => readIdx(idx([0, 0, 8, 1], [1], [1]), 'img', 3)).toThrow(/has 1 dimensions, expected 3/);
    expect(() => readIdx(gzipSync(idx([0, 0, 8, 1], [1], [1])))).toThrow(/gzip/);
    expect(() => readIdx(new Uint8Array([0, 0]))).toThrow(/too short/);
  });
});

describe('Fashion-MNIST from public/data', () => {
  it('holds all 70,000 images, 28×28, with labels 0–9, and the 10,000 test images', async () => {
    const data = await loadDatasetFromDisk('fashion-mnist');
    expect(data.train.count).toBe(70000);
    expect(data.train.pixels.length).toBe(70000 * 784);
    expect(data.test.count).toBe(10000);
    expect(Math.max(...data.train.labels)).toBe(9);
    expect(data.classNames[9]).toBe('Ankle boot');
    // The first test image is an ankle boot, as in every Fashion-MNIST tutorial.
    expect(data.test.labels[0]).toBe(9);
    const floats = toFloats(data.test, [0]);
    expect(Math.min(...floats)).toBe(0);
    expect(Math.max(...floats)).toBe(1);
  });
  it('names a missing folder', async () => {
    await expect(loadDatasetFromDisk('mnist')).rejects.toThrow(/mnist files belong in/);
  });
});

describe('seeded shuffling', () => {
  it('is a permutation, the same for the same seed', () => {
    const a = shuffled(1000, seededRandom(1));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffled(1000, seededRandom(1))).toEqual(a);
    expect(shuffled(1000, seededRandom(2))).not.toEqual(a);
  });
});
