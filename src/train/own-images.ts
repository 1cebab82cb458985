// The user's own images, environment-agnostic (the CLI and the browser worker supply the
// decompression): IDX files as MNIST ships them (gzipped or not), or PNGs sorted into one
// sub-folder per class, in a folder or a zip. Every problem is a DataError with a message that says
// what is wrong and what to do; nothing here throws anything else on bad files.
import { imageSize } from '../graph/datasets';
import { concat, idxImageSet, type Dataset, type ImageSet } from './data';
import { IdxError } from './idx';

export class DataError extends Error {}

/** Undoes gzip, zlib (PNG's IDAT) or raw deflate (zip entries). */
export type Inflate = (bytes: Uint8Array, format: 'gzip' | 'deflate' | 'deflate-raw') => Promise<Uint8Array>;

/** A file as the user gave it: its path inside the folder or zip ("shirts/001.png") and its bytes. */
export interface DataFile {
  path: string;
  bytes: Uint8Array;
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const base = (p: string) => p.split('/').pop() ?? p;

async function inflateOr(inflate: Inflate, bytes: Uint8Array, format: 'gzip' | 'deflate' | 'deflate-raw', what: string): Promise<Uint8Array> {
  try {
    return await inflate(bytes, format);
  } catch (e) {
    throw new DataError(`${what} is damaged: it could not be decompressed (${(e as Error).message}).`);
  }
}

// ---------------------------------------------------------------------------------------------
// Zip

/** The files in a zip (stored or deflated entries; folders skipped). */
export async function readZip(bytes: Uint8Array, inflate: Inflate, name = 'the zip file'): Promise<DataFile[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--)
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  if (end < 0) throw new DataError(`${name} is not a zip file (no end-of-archive record); zip the class folders again.`);
  const entries = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (at === 0xffffffff) throw new DataError(`${name} is a ZIP64 archive, which is not supported; zip fewer or smaller files.`);
  const files: DataFile[] = [];
  const text = new TextDecoder();
  for (let k = 0; k < entries; k++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new DataError(`${name} is damaged: its table of contents is cut short.`);
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const path = text.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    if (path.endsWith('/')) continue;
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) throw new DataError(`${name} is damaged: the entry ${path} is missing.`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = bytes.subarray(start, start + size);
    if (start + size > bytes.length) throw new DataError(`${name} is damaged: ${path} is cut short.`);
    if (method === 0) files.push({ path, bytes: data });
    else if (method === 8) files.push({ path, bytes: await inflateOr(inflate, data, 'deflate-raw', `${path} in ${name}`) });
    else throw new DataError(`${path} in ${name} is compressed with method ${method}; only stored and deflated entries are supported.`);
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// PNG

export interface DecodedImage {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB); alpha is dropped. */
  channels: 1 | 3;
  pixels: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decodes a non-interlaced PNG of any colour type, 8 or 16 bits (or 1–4 bits grey/palette), to 8-bit grey or RGB. */
export async function readPng(bytes: Uint8Array, inflate: Inflate, name = 'image'): Promise<DecodedImage> {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw new DataError(`${name} is not a PNG file (wrong signature); save it as PNG.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let depth = 0;
  let colour = -1;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (at + 12 + length > bytes.length) throw new DataError(`${name} is cut short inside its ${type} chunk.`);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = bytes[at + 16];
      colour = bytes[at + 17];
      if (bytes[at + 20] !== 0) throw new DataError(`${name} is interlaced, which is not supported; save it without interlacing.`);
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const samples = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colour];
  if (!width || !height || samples === undefined) throw new DataError(`${name} has no valid header (IHDR); it is not a readable PNG.`);
  if (![1, 2, 4, 8, 16].includes(depth) || (depth < 8 && colour !== 0 && colour !== 3)) throw new DataError(`${name} uses ${depth}-bit colour type ${colour}, which is not a valid PNG.`);
  if (colour === 3 && !palette) throw new DataError(`${name} is a palette image without a palette.`);
  const total = idat.reduce((n, d) => n + d.length, 0);
  const compressed = new Uint8Array(total);
  idat.reduce((o, d) => (compressed.set(d, o), o + d.length), 0);
  const raw = await inflateOr(inflate, compressed, 'deflate', name);
  const bitsPerPixel = samples * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (raw.length < height * (stride + 1)) throw new DataError(`${name} holds fewer pixels than its ${width}×${height} header says; the file is damaged.`);
  const lines = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const dst = lines.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? lines.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? dst[i - bpp] : 0;
      const b = up[i];
      const c = i >= bpp ? up[i - bpp] : 0;
      let v: number;
      switch (filter) {
        case 0: v = src[i]; break;
        case 1: v = src[i] + a; break;
        case 2: v = src[i] + b; break;
        case 3: v = src[i] + ((a + b) >> 1); break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          v = src[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new DataError(`${name} has an unknown row filter ${filter}; the file is damaged.`);
      }
      dst[i] = v & 0xff;
    }
  }
  // One sample of pixel x, channel s, as 8 bits.
  const sample = (y: number, x: number, s: number): number => {
    const row = y * stride;
    if (depth === 8) return lines[row + x * samples + s];
    if (depth === 16) return lines[row + (x * samples + s) * 2];
    const bit = x * depth;
    const v = (lines[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    return colour === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  const channels: 1 | 3 = colour === 2 || colour === 3 || colour === 6 ? 3 : 1;
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (colour === 3) {
        const i = sample(y, x, 0) * 3;
        pixels[o] = palette![i];
        pixels[o + 1] = palette![i + 1];
        pixels[o + 2] = palette![i + 2];
      } else for (let s = 0; s < channels; s++) pixels[o + s] = sample(y, x, s);
    }
  return { width, height, channels, pixels };
}

// ---------------------------------------------------------------------------------------------
// Turning files into a dataset

/** Every 10th image (by position) is held out as the test set. */
const TEST_EVERY = 10;

function split(set: ImageSet): { train: ImageSet; test: ImageSet } {
  const size = imageSize(set.shape);
  const pick = (keep: (i: number) => boolean): ImageSet => {
    const idx = Array.from({ length: set.count }, (_, i) => i).filter(keep);
    const pixels = new Uint8Array(idx.length * size);
    idx.forEach((i, k) => pixels.set(set.pixels.subarray(i * size, (i + 1) * size), k * size));
    return { pixels, labels: Uint8Array.from(idx, (i) => set.labels[i]), count: idx.length, shape: set.shape };
  };
  return { train: pick((i) => i % TEST_EVERY !== TEST_EVERY - 1), test: pick((i) => i % TEST_EVERY === TEST_EVERY - 1) };
}

/** PNGs in class sub-folders: the folder an image sits in is its class. */
async function pngDataset(files: DataFile[], inflate: Inflate, name: string): Promise<Dataset> {
  const pngs = files.filter((f) => /\.png$/i.test(f.path) && !base(f.path).startsWith('.')).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const classOf = (p: string) => p.split('/').slice(-2, -1)[0];
  if (!pngs.length) throw new DataError(`${name} holds no PNG images and no IDX files; put PNGs in one sub-folder per class (e.g. shirts/001.png, shoes/002.png).`);
  const loose = pngs.filter((f) => !classOf(f.path));
  if (loose.length) throw new DataError(`${loose[0].path} is not inside a class folder; put every image in a sub-folder named after its class.`);
  const classNames = [...new Set(pngs.map((f) => classOf(f.path)))].sort();
  if (classNames.length < 2) throw new DataError(`${name} has only one class (${classNames[0]}); a classifier needs at least two class folders.`);
  if (classNames.length > 256) throw new DataError(`${name} has ${classNames.length} class folders; at most 256 are supported.`);
  const decoded: DecodedImage[] = [];
  for (const f of pngs) decoded.push(await named(f.path, () => readPng(f.bytes, inflate, f.path)));
  const first = decoded[0];
  const odd = decoded.findIndex((d) => d.width !== first.width || d.height !== first.height);
  if (odd >= 0)
    throw new DataError(`Images of different sizes: ${pngs[0].path} is ${first.width}×${first.height} but ${pngs[odd].path} is ${decoded[odd].width}×${decoded[odd].height}; resize them all to one size.`);
  // Grey and colour images together: all become colour.
  const channels = decoded.some((d) => d.channels === 3) ? 3 : 1;
  const shape = [first.height, first.width, channels];
  const size = imageSize(shape);
  const pixels = new Uint8Array(decoded.length * size);
  decoded.forEach((d, k) => {
    if (d.channels === channels) pixels.set(d.pixels, k * size);
    else for (let p = 0; p < d.width * d.height; p++) pixels.fill(d.pixels[p], k * size + p * 3, k * size + p * 3 + 3);
  });
  const labels = Uint8Array.from(pngs, (f) => classNames.indexOf(classOf(f.path)));
  // Interleave the classes before holding out every 10th, so the test set has every class.
  const seen = new Map<number, number>();
  const rank = Array.from(labels, (l) => {
    const r = seen.get(l) ?? 0;
    seen.set(l, r + 1);
    return r;
  });
  const order = Array.from({ length: decoded.length }, (_, i) => i).sort((a, b) => rank[a] - rank[b] || labels[a] - labels[b]);
  const ordered: ImageSet = {
    pixels: new Uint8Array(pixels.length),
    labels: Uint8Array.from(order, (i) => labels[i]),
    count: order.length,
    shape,
  };
  order.forEach((i, k) => ordered.pixels.set(pixels.subarray(i * size, (i + 1) * size), k * size));
  const { train, test } = split(ordered);
  return { name, train, test, classNames };
}

/** IDX files: a train pair (…images-idx3… / …labels-idx1…) and, if present, a t10k test pair. */
async function idxDataset(files: DataFile[], inflate: Inflate, name: string): Promise<Dataset> {
  const find = (re: RegExp) => files.find((f) => re.test(base(f.path)));
  const trainImages = find(/^(train-)?images?-idx\d-ubyte(\.gz)?$|train-images/i) ?? find(/images?.*idx/i);
  const trainLabels = find(/^(train-)?labels?-idx\d-ubyte(\.gz)?$|train-labels/i) ?? find(/labels?.*idx/i);
  const testImages = find(/^t10k-images|^test-images/i);
  const testLabels = find(/^t10k-labels|^test-labels/i);
  if (!trainImages || !trainLabels)
    throw new DataError(`${name}: IDX data needs an images file and a labels file (such as train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz); found ${files.map((f) => base(f.path)).join(', ')}.`);
  const bytes = async (f: DataFile) => (isGzip(f.bytes) ? inflateOr(inflate, f.bytes, 'gzip', base(f.path)) : f.bytes);
  const read = async (img: DataFile, lab: DataFile) => {
    try {
      return idxImageSet(await bytes(img), await bytes(lab), base(img.path), base(lab.path));
    } catch (e) {
      if (e instanceof IdxError) throw new DataError(e.message);
      throw e;
    }
  };
  const train = await read(trainImages, trainLabels);
  const classes = train.labels.reduce((m, l) => Math.max(m, l), 0) + 1;
  if (train.count === 0) throw new DataError(`${base(trainImages.path)} holds no images.`);
  const classNames = Array.from({ length: classes }, (_, i) => String(i));
  if (testImages && testLabels) {
    const test = await read(testImages, testLabels);
    if (test.shape.join() !== train.shape.join())
      throw new DataError(`The training images are ${train.shape.join('×')} but the test images (${base(testImages.path)}) are ${test.shape.join('×')}; they must match.`);
    return { name, train: concat(train, test), test, classNames };
  }
  return { name, ...split(train), classNames };
}

/**
 * The user's images as a dataset: IDX files if there are any, else PNGs in class folders. A single
 * zip is opened first. Train and test: the IDX t10k pair if given, else every 10th image is held out.
 */
export function openOwnImages(files: DataFile[], inflate: Inflate, name = 'your images'): Promise<Dataset> {
  return named(name, () => open(files, inflate, name));
}

/** Runs `read`; a failure that is not already a DataError (a malformed file read past its end) becomes one naming `what`. */
async function named<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${what} could not be read: it is malformed (${(e as Error).message}).`);
  }
}

async function open(files: DataFile[], inflate: Inflate, name: string): Promise<Dataset> {
  if (!files.length) throw new DataError(`${name} is empty: choose a folder of class sub-folders with PNGs, a zip of them, or IDX files.`);
  let all = files;
  if (files.length === 1 && /\.zip$/i.test(files[0].path)) all = await readZip(files[0].bytes, inflate, base(files[0].path));
  const idx = all.filter((f) => /idx\d-ubyte(\.gz)?$/i.test(base(f.path)) || /\.idx(\.gz)?$/i.test(base(f.path)));
  const data = idx.length ? await idxDataset(idx, inflate, name) : await pngDataset(all, inflate, name);
  if (data.train.count === 0) throw new DataError(`${name} has too few images to hold some out for testing; add more.`);
  return data;
}
