// Datasets, environment-agnostic: the caller supplies how to fetch a file's (gunzipped) bytes.
// Pixels stay as bytes (55 MB for 70,000 images); batches are converted to floats on demand.
import type { DatasetName } from '../graph/document';
import { IdxError, readIdx } from './idx';

export const IMAGE_SIZE = 28 * 28;

export interface ImageSet {
  /** n × 784 bytes, row-major 28×28, one channel. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface Dataset {
  name: DatasetName;
  /** The images training runs on: train and test together, as the tutorial does (70,000). */
  train: ImageSet;
  /** The 10,000 test images, for the scatter, reconstructions and metrics. */
  test: ImageSet;
  classNames: readonly string[];
}

export const CLASS_NAMES: Record<DatasetName, readonly string[]> = {
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};

export const DATA_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** Fetches one file of a dataset by name, gunzipped. */
export type FetchFile = (dataset: DatasetName, file: string) => Promise<Uint8Array>;

function imageSet(images: Uint8Array, labels: Uint8Array, imagesName: string, labelsName: string): ImageSet {
  const img = readIdx(images, imagesName, 3);
  const lab = readIdx(labels, labelsName, 1);
  if (img.dims[1] !== 28 || img.dims[2] !== 28) throw new IdxError(`${imagesName} holds ${img.dims[1]}×${img.dims[2]} images; expected 28×28.`);
  if (img.dims[0] !== lab.dims[0]) throw new IdxError(`${imagesName} has ${img.dims[0]} images but ${labelsName} has ${lab.dims[0]} labels.`);
  return { pixels: img.data, labels: lab.data, count: img.dims[0] };
}

export async function loadDataset(name: DatasetName, fetchFile: FetchFile): Promise<Dataset> {
  const [ti, tl, vi, vl] = await Promise.all(
    [DATA_FILES.trainImages, DATA_FILES.trainLabels, DATA_FILES.testImages, DATA_FILES.testLabels].map((f) => fetchFile(name, f)),
  );
  const train = imageSet(ti, tl, DATA_FILES.trainImages, DATA_FILES.trainLabels);
  const test = imageSet(vi, vl, DATA_FILES.testImages, DATA_FILES.testLabels);
  return { name, train: concat(train, test), test, classNames: CLASS_NAMES[name] };
}

function concat(a: ImageSet, b: ImageSet): ImageSet {
  const pixels = new Uint8Array(a.pixels.length + b.pixels.length);
  pixels.set(a.pixels);
  pixels.set(b.pixels, a.pixels.length);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { pixels, labels, count: a.count + b.count };
}

/** The first `limit` images (0 = all). */
export function take(set: ImageSet, limit: number): ImageSet {
  if (!limit || limit >= set.count) return set;
  return { pixels: set.pixels.subarray(0, limit * IMAGE_SIZE), labels: set.labels.subarray(0, limit), count: limit };
}

/** Pixels of the chosen images as floats in [0, 1], ready for tf.tensor4d([n, 28, 28, 1]). */
export function toFloats(set: ImageSet, indices: ArrayLike<number>, out = new Float32Array(indices.length * IMAGE_SIZE)): Float32Array {
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * IMAGE_SIZE;
    const dst = i * IMAGE_SIZE;
    for (let p = 0; p < IMAGE_SIZE; p++) out[dst + p] = set.pixels[src + p] / 255;
  }
  return out;
}

/** A small, fast, seedable PRNG (mulberry32), so a seed gives the same shuffle everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled(count: number, random: () => number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
