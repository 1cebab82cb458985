import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../../src/cli/png';
import { renderPlot } from '../../src/train/render';
import { readPng } from './png-read';

describe('PNG encoder', () => {
  it('computes CRC-32 as zlib does', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
  });

  it('writes signature, IHDR, IDAT, IEND; the pixels read back exactly', () => {
    const w = 7;
    const h = 3;
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 53) % 256);
    const png = encodePng(w, h, rgba);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
    const back = readPng(png);
    expect([back.width, back.height]).toEqual([w, h]);
    expect([...back.rgba]).toEqual([...rgba]);
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow(/RGBA/);
  });

  it('encodes a rendered plot', () => {
    const img = renderPlot({ kind: 'reconstructions', nodeId: 'r', count: 1, image: { width: 28, height: 56, pixels: new Uint8ClampedArray(28 * 56).fill(200) } });
    const back = readPng(encodePng(img.width, img.height, img.rgba));
    expect([back.width, back.height]).toEqual([img.width, img.height]);
    expect(Buffer.from(back.rgba).equals(Buffer.from(img.rgba))).toBe(true);
  });
});
