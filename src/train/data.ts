// Datasets, environment-agnostic: the caller supplies how to fetch a file's (gunzipped) bytes.
// Pixels stay as bytes (55 MB for 70,000 images); batches are converted to floats on demand.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import { DATASETS, imageSize, isRegisteredDataset } from '../graph/datasets';
import type { DatasetName } from '../graph/document';
import { IdxError, readIdx } from './idx';
import { uploadNow } from '../gpu/upload';

export interface ImageSet {
  /** count × h·w·c bytes, each image row-major with its channels last (h, w, c). */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** Every image's [height, width, channels]. */
  shape: number[];
}

export interface Dataset {
  /** A registered dataset's name, or the user's own images' (a file or folder name). */
  name: string;
  /** The images training runs on: train and test together, as the tutorial does (70,000). */
  train: ImageSet;
  /** The test images, for the scatter, reconstructions and metrics. */
  test: ImageSet;
  classNames: readonly string[];
}

/** Fetches one file of a dataset by name, gunzipped. */
export type FetchFile = (dataset: DatasetName, file: string) => Promise<Uint8Array>;

/** An IDX image file (rank 3: n×h×w one channel, or rank 4: n×h×w×c) and its labels as an ImageSet. */
export function idxImageSet(images: Uint8Array, labels: Uint8Array, imagesName: string, labelsName: string): ImageSet {
  const img = readIdx(images, imagesName);
  if (img.dims.length !== 3 && img.dims.length !== 4)
    throw new IdxError(`${imagesName} has ${img.dims.length} dimensions; an image file has 3 (count, height, width) or 4 (with channels), magic number 0x00000803 or 0x00000804.`);
  const lab = readIdx(labels, labelsName, 1);
  if (img.dims[0] !== lab.dims[0]) throw new IdxError(`${imagesName} has ${img.dims[0]} images but ${labelsName} has ${lab.dims[0]} labels; they must match.`);
  if (img.dims.slice(1).some((d) => d < 1)) throw new IdxError(`${imagesName} holds ${img.dims.slice(1).join('×')} images; each side must be at least 1.`);
  return { pixels: img.data, labels: lab.data, count: img.dims[0], shape: [img.dims[1], img.dims[2], img.dims[3] ?? 1] };
}

export async function loadDataset(name: DatasetName, fetchFile: FetchFile): Promise<Dataset> {
  if (!isRegisteredDataset(name)) throw new Error(`There is no dataset "${name}" to download; open your own images instead.`);
  const spec = DATASETS[name];
  const f = spec.files;
  const [ti, tl, vi, vl] = await Promise.all([f.trainImages, f.trainLabels, f.testImages, f.testLabels].map((file) => fetchFile(name, file)));
  const train = idxImageSet(ti, tl, f.trainImages, f.trainLabels);
  const test = idxImageSet(vi, vl, f.testImages, f.testLabels);
  for (const [set, file] of [[train, f.trainImages], [test, f.testImages]] as const)
    if (set.shape.join() !== spec.shape.join()) throw new IdxError(`${file} holds ${set.shape.join('×')} images; ${spec.label} has ${spec.shape.join('×')}.`);
  return { name, train: concat(train, test), test, classNames: spec.classNames };
}

export function concat(a: ImageSet, b: ImageSet): ImageSet {
  const pixels = new Uint8Array(a.pixels.length + b.pixels.length);
  pixels.set(a.pixels);
  pixels.set(b.pixels, a.pixels.length);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { pixels, labels, count: a.count + b.count, shape: a.shape };
}

/** The first `limit` images (0 = all). */
export function take(set: ImageSet, limit: number): ImageSet {
  if (!limit || limit >= set.count) return set;
  return { pixels: set.pixels.subarray(0, limit * imageSize(set.shape)), labels: set.labels.subarray(0, limit), count: limit, shape: set.shape };
}

/** One image's bytes (h·w·c, channels last). */
export const imageBytes = (set: ImageSet, index: number): Uint8Array => {
  const size = imageSize(set.shape);
  return set.pixels.subarray(index * size, (index + 1) * size);
};

/** Pixels of the chosen images as floats in [0, 1], laid out as [n, h, w, c]. */
export function toFloats(set: ImageSet, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const size = imageSize(set.shape);
  const dst = out ?? new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * size;
    const o = i * size;
    for (let p = 0; p < size; p++) dst[o + p] = set.pixels[src + p] / 255;
  }
  return dst;
}

/** The chosen images as a [n, h, w, c] tensor in [0, 1]. */
export const imageTensor = (tf: Tf, set: ImageSet, indices: ArrayLike<number>): tfjs.Tensor4D =>
  uploadNow(tf, tf.tensor4d(toFloats(set, indices), [indices.length, set.shape[0], set.shape[1], set.shape[2]]));

/** The chosen images' integer labels as an int32 tensor. */
export const labelTensor = (tf: Tf, set: ImageSet, indices: ArrayLike<number>): tfjs.Tensor1D =>
  uploadNow(tf, tf.tensor1d(Int32Array.from({ length: indices.length }, (_, i) => set.labels[indices[i]]), 'int32'));

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
