// What the output nodes draw, computed where tfjs runs (the worker, the CLI, the tests): the latent
// grid, the latent scatter, reconstructions, and the latent metrics. Environment-agnostic: tf is
// passed in, tensors are read with `await data()`, and every tensor made here is disposed here.
// The number crunching on read-back values (k-NN, mean/variance, PCA) is plain TS on Float32Arrays.
import type * as tfjs from '@tensorflow/tfjs';
import { nodeType } from '../../nodes';
import type { Tensor, Tf } from '../../nodes/define';
import { klPerDimension } from '../../nodes/kl';
import { nodesWithRole } from '../../nodes/roles';
import type { Program } from '../compile/compile';
import { analyze, resolveParams } from '../graph/analyze';
import { portKey, type GraphDocument, type PortRef } from '../graph/document';
import { imageTensor, labelTensor, type ImageSet } from './data';
import type { GreyImage, LatentGridPlot, LatentMetrics, LatentScatterPlot, Plot, ReconstructionsPlot } from './plot-types';

export { klPerDimension };

export interface LatentGridOptions {
  /** The grid node: its wiring says where points are injected and what is drawn (else the program's latent ports). */
  nodeId?: string;
  n?: number;
  scale?: number;
  dimX?: number;
  dimY?: number;
}

export interface LatentScatterOptions {
  nodeId?: string;
  /** How many test images, from the first (default 5,000). */
  samples?: number;
  projection?: 'dims' | 'pca';
  dimX?: number;
  dimY?: number;
}

export interface ReconstructionsOptions {
  nodeId?: string;
  /** How many test images, from the first (default 8). */
  count?: number;
}

export interface LatentMetricsOptions {
  k?: number;
  /** Training images whose μ the test images are classified among (the first N; default 5,000). */
  trainSamples?: number;
  /** Test images classified and measured (the first N; default 1,000). */
  testSamples?: number;
  /** Where μ is read (default: the program's latent mean). */
  mean?: PortRef | null;
  /** Where log σ² is read (default: the source of Sampling's or KL's logVar; none: no KL per dim). */
  logVar?: PortRef | null;
}

/** Images in evaluation mode are encoded this many at a time. */
const CHUNK = 500;

// ---------------------------------------------------------------------------------------------
// Running the program on images and latent points

/** Where a node's input port is wired from, or null. */
export function inputSource(doc: GraphDocument, nodeId: string, port: string): PortRef | null {
  return doc.edges.find((e) => e.to.node === nodeId && e.to.port === port)?.from ?? null;
}

/** log σ²: what feeds the latent sampler's log σ² port, or a loss's (KL's). */
export function findLogVar(doc: GraphDocument): PortRef | null {
  const ports = [
    ...nodesWithRole(doc.nodes, 'latent-sampler').map(({ node, role }) => [node.id, role.logVar] as const),
    ...nodesWithRole(doc.nodes, 'loss').map(({ node, role }) => [node.id, role.logVar] as const),
  ];
  for (const [id, port] of ports) {
    const src = port ? inputSource(doc, id, port) : null;
    if (src) return src;
  }
  return null;
}

/** The tutorial's coordinates: x = linspace(−s, s, n), y = linspace(−s, s, n) reversed (top row is +s). */
export function latentGridPoints(n: number, scale: number): { x: number[]; y: number[] } {
  const x = Array.from({ length: n }, (_, i) => -scale + (2 * scale * i) / (n - 1));
  return { x, y: [...x].reverse() };
}

const firstN = (count: number) => Uint32Array.from({ length: count }, (_, i) => i);

/**
 * Runs the program on the chosen images (fed to every Dataset node's image), in chunks and in
 * evaluation mode (Sampling returns μ), and reads each target back: one Float32Array per target,
 * `indices.length × size` values.
 */
export async function runOnImages(
  tf: Tf,
  program: Program,
  set: ImageSet,
  indices: ArrayLike<number>,
  targets: PortRef[],
  chunk = CHUNK,
): Promise<{ values: Float32Array; size: number; shape: number[] }[]> {
  const out: { values: Float32Array; size: number; shape: number[] }[] = [];
  const count = indices.length;
  for (let start = 0; start < count; start += chunk) {
    const idx = Array.prototype.slice.call(indices, start, Math.min(start + chunk, count)) as number[];
    const tensors = tf.tidy(() => program.run(program.feeds({ image: imageTensor(tf, set, idx), label: labelTensor(tf, set, idx) }), targets, false));
    try {
      for (let t = 0; t < tensors.length; t++) {
        const data = (await tensors[t].data()) as Float32Array;
        if (!out[t]) {
          const size = tensors[t].size / idx.length;
          out[t] = { values: new Float32Array(count * size), size, shape: tensors[t].shape.slice(1) };
        }
        out[t].values.set(data, start * out[t].size);
      }
    } finally {
      tensors.forEach((t) => t.dispose());
    }
  }
  return targets.map((_, t) => out[t] ?? { values: new Float32Array(0), size: 0, shape: [] });
}

/**
 * [b, h, w, c] (or [b, h·w]) in [0, 1] → bytes per image, with its height, width and channels: one
 * channel stays grey, three or more are drawn as RGB (the first three), two as their mean.
 */
async function greyImages(tf: Tf, t: Tensor): Promise<{ pixels: Uint8ClampedArray; h: number; w: number; c: number; count: number }> {
  const count = t.shape[0];
  let h: number;
  let w: number;
  let c = 1;
  let grey: tfjs.Tensor;
  const shape = t.shape as number[];
  if (t.rank === 4) {
    [h, w] = [shape[1], shape[2]];
    c = shape[3] >= 3 ? 3 : 1;
    grey = tf.tidy(() => (shape[3] === 1 || shape[3] === 3 ? tf.clone(t) : shape[3] > 3 ? tf.slice(t, [0, 0, 0, 0], [-1, -1, -1, 3]) : tf.mean(t, -1)));
  } else {
    const size = t.size / count;
    h = Math.round(Math.sqrt(size));
    w = size / h;
    if (!Number.isInteger(w)) throw new Error(`Cannot draw values of shape [${shape.slice(1).join(', ')}] as images.`);
    grey = tf.reshape(t, [count, h, w]);
  }
  try {
    const values = await grey.data();
    const pixels = new Uint8ClampedArray(values.length);
    for (let i = 0; i < values.length; i++) pixels[i] = values[i] * 255;
    return { pixels, h, w, c, count };
  } finally {
    grey.dispose();
  }
}

/** Copies image `k` (h×w, dst's channels) of `src` into the tile at (row, col) of `dst`. */
function blit(dst: GreyImage, src: Uint8ClampedArray, k: number, h: number, w: number, row: number, col: number): void {
  const c = dst.channels ?? 1;
  const line = w * c;
  for (let y = 0; y < h; y++) dst.pixels.set(src.subarray(k * h * line + y * line, k * h * line + (y + 1) * line), ((row * h + y) * dst.width + col * w) * c);
}

const newImage = (width: number, height: number, c: number): GreyImage => ({ width, height, channels: c, pixels: new Uint8ClampedArray(width * height * c) });

// ---------------------------------------------------------------------------------------------
// The three plots

/** The tutorial's manifold: decoder(x_j, y_i) tiled, rows from +scale (top) to −scale. */
export async function latentGrid(tf: Tf, program: Program, params: LatentGridOptions = {}): Promise<LatentGridPlot> {
  const n = params.n ?? 10;
  const scale = params.scale ?? 2;
  const dimX = params.dimX ?? 0;
  const dimY = params.dimY ?? 1;
  const latent = (params.nodeId && inputSource(program.doc, params.nodeId, 'latent')) || program.latent.latent;
  const decoded = (params.nodeId && inputSource(program.doc, params.nodeId, 'image')) || program.latent.decoded;
  if (!latent || !decoded) throw new Error('This graph has no decoder to draw latent points with.');
  const dims = program.analysis.nodes[latent.node]?.outputs[latent.port]?.[0] ?? program.latent.latentDims;
  if (Math.max(dimX, dimY) >= dims) throw new Error(`The latent space has ${dims} dimensions; choose x and y dimensions below ${dims}.`);
  const { x: xs, y: ys } = latentGridPoints(n, scale);
  const points = new Float32Array(n * n * dims);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      points[(i * n + j) * dims + dimX] = xs[j];
      points[(i * n + j) * dims + dimY] = ys[i];
    }
  let image: GreyImage | null = null;
  for (let start = 0; start < n * n; start += CHUNK) {
    const count = Math.min(CHUNK, n * n - start);
    const out = tf.tidy(() => program.run(new Map([[portKey(latent), tf.tensor2d(points.subarray(start * dims, (start + count) * dims), [count, dims])]]), [decoded])[0]);
    let tiles: Awaited<ReturnType<typeof greyImages>>;
    try {
      tiles = await greyImages(tf, out);
    } finally {
      out.dispose();
    }
    image ??= newImage(n * tiles.w, n * tiles.h, tiles.c);
    for (let k = 0; k < count; k++) blit(image, tiles.pixels, k, tiles.h, tiles.w, Math.floor((start + k) / n), (start + k) % n);
  }
  return { kind: 'latent-grid', nodeId: params.nodeId ?? '', n, xs, ys, dimX, dimY, image: image! };
}

/** μ of the first `samples` test images, as two coordinates each, with their labels. */
export async function latentScatter(
  tf: Tf,
  program: Program,
  test: ImageSet,
  classNames: readonly string[],
  params: LatentScatterOptions = {},
): Promise<LatentScatterPlot> {
  const samples = Math.min(params.samples ?? 5000, test.count);
  const projection = params.projection ?? 'dims';
  const dimX = params.dimX ?? 0;
  const dimY = params.dimY ?? 1;
  const mean = (params.nodeId && inputSource(program.doc, params.nodeId, 'mean')) || program.latent.mean;
  if (!mean) throw new Error('This graph has no latent mean to plot.');
  const indices = firstN(samples);
  const [{ values: mu, size: dims }] = await runOnImages(tf, program, test, indices, [mean]);
  let points: Float32Array;
  let axes: [string, string];
  if (projection === 'pca') {
    points = pca2(mu, dims).projected;
    axes = ['PC1', 'PC2'];
  } else {
    if (Math.max(dimX, dimY) >= dims) throw new Error(`μ has ${dims} dimensions; choose x and y dimensions below ${dims}.`);
    points = new Float32Array(samples * 2);
    for (let i = 0; i < samples; i++) {
      points[2 * i] = mu[i * dims + dimX];
      points[2 * i + 1] = mu[i * dims + dimY];
    }
    axes = [`z[${dimX}]`, `z[${dimY}]`];
  }
  return {
    kind: 'latent-scatter',
    nodeId: params.nodeId ?? '',
    points,
    labels: test.labels.slice(0, samples),
    imageIndex: indices,
    classNames,
    axes,
    projection,
    latentDims: dims,
  };
}

/** The first `count` test images (top row) above what the model rebuilds from them (bottom row). */
export async function reconstructions(tf: Tf, program: Program, test: ImageSet, params: ReconstructionsOptions = {}): Promise<ReconstructionsPlot> {
  const count = Math.min(params.count ?? 8, test.count);
  const original = (params.nodeId && inputSource(program.doc, params.nodeId, 'original')) || null;
  const rebuilt = (params.nodeId && inputSource(program.doc, params.nodeId, 'reconstruction')) || program.latent.decoded;
  if (!rebuilt) throw new Error('This graph has no decoder output to show.');
  const [top, bottom] = tf.tidy(() => {
    const x = imageTensor(tf, test, firstN(count));
    const outs = program.run(program.feeds({ image: x, label: labelTensor(tf, test, firstN(count)) }), original ? [original, rebuilt] : [rebuilt], false);
    return original ? outs : [x, outs[0]];
  });
  try {
    const a = await greyImages(tf, top);
    const b = await greyImages(tf, bottom);
    if (a.c !== b.c || a.w !== b.w) throw new Error(`The originals are ${a.h}×${a.w}×${a.c} but the reconstructions ${b.h}×${b.w}×${b.c}; they must match.`);
    const image = newImage(count * a.w, a.h + b.h, a.c);
    for (let k = 0; k < count; k++) {
      blit(image, a.pixels, k, a.h, a.w, 0, k);
      blit(image, b.pixels, k, b.h, b.w, 1, k);
    }
    return { kind: 'reconstructions', nodeId: params.nodeId ?? '', image, count };
  } finally {
    top.dispose();
    bottom.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The latent metrics

/**
 * k-NN (k = 5) accuracy: the μ of the first `testSamples` test images classified by majority vote
 * among the μ of the first `trainSamples` training images; mean and variance of μ per dimension and
 * the KL term per dimension over those test images.
 */
export async function latentMetrics(tf: Tf, program: Program, train: ImageSet, test: ImageSet, opts: LatentMetricsOptions = {}): Promise<LatentMetrics> {
  const k = opts.k ?? 5;
  const trainSamples = Math.min(opts.trainSamples ?? 5000, train.count);
  const testSamples = Math.min(opts.testSamples ?? 1000, test.count);
  const mean = opts.mean === undefined ? program.latent.mean : opts.mean;
  if (!mean) throw new Error('This graph has no latent mean to measure.');
  const logVar = opts.logVar === undefined ? findLogVar(program.doc) : opts.logVar;
  const [trainMu] = await runOnImages(tf, program, train, firstN(trainSamples), [mean]);
  const [testMu, testLogVar] = await runOnImages(tf, program, test, firstN(testSamples), logVar ? [mean, logVar] : [mean]);
  const dims = testMu.size;
  const { mean: meanPerDim, variance: variancePerDim } = meanAndVariance(testMu.values, dims);
  return {
    knnAccuracy: knnAccuracy(trainMu.values, train.labels.subarray(0, trainSamples), testMu.values, test.labels.subarray(0, testSamples), dims, k),
    k,
    meanPerDim,
    variancePerDim,
    klPerDim: testLogVar ? klPerDimension(testMu.values, testLogVar.values, dims) : [],
    trainSamples,
    testSamples,
  };
}

/**
 * The class of each query point by majority vote of its k nearest reference points (squared
 * Euclidean distance, brute force). A tied vote goes to the tied class with the nearest neighbour;
 * equally distant neighbours are taken in reference order.
 */
export function knnPredict(ref: Float32Array, refLabels: ArrayLike<number>, query: Float32Array, dims: number, k = 5): Uint8Array {
  const nRef = ref.length / dims;
  const nQuery = query.length / dims;
  const kk = Math.min(k, nRef);
  const out = new Uint8Array(nQuery);
  const bestD = new Float64Array(kk);
  const bestI = new Int32Array(kk);
  const votes = new Int32Array(256);
  for (let q = 0; q < nQuery; q++) {
    bestD.fill(Infinity);
    bestI.fill(-1);
    const qo = q * dims;
    for (let r = 0; r < nRef; r++) {
      const ro = r * dims;
      let d = 0;
      for (let j = 0; j < dims; j++) {
        const diff = query[qo + j] - ref[ro + j];
        d += diff * diff;
      }
      if (d >= bestD[kk - 1]) continue;
      // Insert, keeping bestD sorted ascending (a later point never displaces an equal earlier one).
      let p = kk - 1;
      while (p > 0 && bestD[p - 1] > d) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = d;
      bestI[p] = r;
    }
    let winner = 0;
    let most = 0;
    for (let p = 0; p < kk; p++) votes[refLabels[bestI[p]]]++;
    // In order of distance: the first class with the top count wins.
    for (let p = 0; p < kk; p++) {
      const label = refLabels[bestI[p]];
      if (votes[label] > most) {
        most = votes[label];
        winner = label;
      }
    }
    for (let p = 0; p < kk; p++) votes[refLabels[bestI[p]]] = 0;
    out[q] = winner;
  }
  return out;
}

/** The fraction of query points whose k-NN prediction is their label. */
export function knnAccuracy(
  ref: Float32Array,
  refLabels: ArrayLike<number>,
  query: Float32Array,
  queryLabels: ArrayLike<number>,
  dims: number,
  k = 5,
): number {
  const predicted = knnPredict(ref, refLabels, query, dims, k);
  if (predicted.length === 0) return 0;
  let right = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === queryLabels[i]) right++;
  return right / predicted.length;
}

/** Mean and (population) variance of each dimension of row-major points. */
export function meanAndVariance(values: Float32Array, dims: number): { mean: number[]; variance: number[] } {
  const n = values.length / dims;
  const mean = new Array<number>(dims).fill(0);
  const variance = new Array<number>(dims).fill(0);
  if (n === 0) return { mean, variance };
  for (let i = 0; i < values.length; i++) mean[i % dims] += values[i];
  for (let j = 0; j < dims; j++) mean[j] /= n;
  for (let i = 0; i < values.length; i++) variance[i % dims] += (values[i] - mean[i % dims]) ** 2;
  for (let j = 0; j < dims; j++) variance[j] /= n;
  return { mean, variance };
}

export interface Pca2 {
  mean: number[];
  /** Unit vectors, the first of the larger variance; each with its largest entry positive. */
  components: [number[], number[]];
  /** The variance along each component. */
  variances: [number, number];
  /** Interleaved (PC1, PC2) per point. */
  projected: Float32Array;
}

/** The top two principal components of row-major points, by power iteration on their covariance. */
export function pca2(values: Float32Array, dims: number): Pca2 {
  const n = values.length / dims;
  const { mean } = meanAndVariance(values, dims);
  const cov = Array.from({ length: dims }, () => new Float64Array(dims));
  for (let i = 0; i < n; i++) {
    const o = i * dims;
    for (let a = 0; a < dims; a++) {
      const da = values[o + a] - mean[a];
      for (let b = a; b < dims; b++) cov[a][b] += da * (values[o + b] - mean[b]);
    }
  }
  for (let a = 0; a < dims; a++)
    for (let b = a; b < dims; b++) {
      cov[a][b] /= Math.max(1, n);
      cov[b][a] = cov[a][b];
    }
  const first = topEigen(cov, []);
  const second = topEigen(cov, [first.vector]);
  const projected = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    let p1 = 0;
    let p2 = 0;
    for (let j = 0; j < dims; j++) {
      const d = values[i * dims + j] - mean[j];
      p1 += d * first.vector[j];
      p2 += d * second.vector[j];
    }
    projected[2 * i] = p1;
    projected[2 * i + 1] = p2;
  }
  return { mean, components: [first.vector, second.vector], variances: [first.value, second.value], projected };
}

/** The leading eigenvector of a symmetric matrix, orthogonal to `against` (power iteration with deflation by projection). */
function topEigen(m: Float64Array[], against: number[][]): { vector: number[]; value: number } {
  const d = m.length;
  const orthogonalise = (v: number[]) => {
    for (const u of against) {
      const dot = v.reduce((s, x, i) => s + x * u[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * u[i];
    }
    return v;
  };
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const times = (v: number[]) => m.map((row) => row.reduce((s, x, i) => s + x * v[i], 0));
  // Start from a column of the matrix that is not (almost) in the span of `against`, else any unit vector that is not.
  let v: number[] | null = null;
  let best = 0;
  for (let j = 0; j < d; j++) {
    const c = orthogonalise(Array.from(m[j]));
    const len = norm(c);
    if (len > best) [best, v] = [len, c];
  }
  if (!v || best < 1e-300) {
    for (let j = 0; j < d && !v; j++) {
      const e = orthogonalise(Array.from({ length: d }, (_, i) => (i === j ? 1 : 0)));
      if (norm(e) > 1e-6) v = e;
    }
    v ??= new Array<number>(d).fill(0);
    const len = norm(v) || 1;
    return { vector: signed(v.map((x) => x / len)), value: 0 };
  }
  v = v.map((x) => x / best);
  for (let iter = 0; iter < 2000; iter++) {
    const next = orthogonalise(times(v));
    const len = norm(next);
    if (len < 1e-300) break;
    const unit = next.map((x) => x / len);
    const change = Math.min(norm(unit.map((x, i) => x - v![i])), norm(unit.map((x, i) => x + v![i])));
    v = unit;
    if (change < 1e-13) break;
  }
  const mv = times(v);
  return { vector: signed(v), value: v.reduce((s, x, i) => s + x * mv[i], 0) };
}

/** Flips a vector so that its largest-magnitude entry is positive (a fixed sign for PCA axes). */
function signed(v: number[]): number[] {
  let big = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i;
  return v[big] < 0 ? v.map((x) => -x) : v;
}

// ---------------------------------------------------------------------------------------------
// Every output node of a document

export interface PlotData {
  train: ImageSet;
  /** The test images: the scatter, the reconstructions and the metrics draw from them. */
  test: ImageSet;
  classNames: readonly string[];
}

export interface ComputePlotsOptions {
  /** Latent metrics: false to skip them, or their options (default: computed when the graph has μ). */
  metrics?: boolean | LatentMetricsOptions;
  /** Only these output nodes (default: all). */
  nodes?: string[];
}

export interface ComputedPlots {
  plots: Plot[];
  metrics?: LatentMetrics;
  /** Output nodes that drew nothing, and why (a problem in the graph, a missing wire); metrics that failed, under the scatter's id. */
  skipped: { nodeId: string; reason: string }[];
}

/**
 * Every output node of `doc` (latent grid, latent scatter, reconstructions), each with its
 * resolved params, and the latent metrics (μ read where the first scatter reads it). Output nodes
 * with a diagnostic are skipped; so is one whose plot fails, with the reason.
 */
export async function computePlots(tf: Tf, program: Program, doc: GraphDocument, data: PlotData, opts: ComputePlotsOptions = {}): Promise<ComputedPlots> {
  const analysis = doc === program.doc ? program.analysis : analyze(doc);
  const plots: Plot[] = [];
  const skipped: ComputedPlots['skipped'] = [];
  const outputs = nodesWithRole(doc.nodes, 'plot').filter(({ node }) => !opts.nodes || opts.nodes.includes(node.id));
  for (const { node, role } of outputs) {
    const problem = analysis.diagnostics.find((d) => d.node === node.id);
    if (problem) {
      skipped.push({ nodeId: node.id, reason: problem.message });
      continue;
    }
    const p = resolveParams(nodeType(node.type)!, node.params);
    try {
      plots.push(await role.plot.compute({ tf, program, nodeId: node.id, test: data.test, classNames: data.classNames }, p));
    } catch (e) {
      skipped.push({ nodeId: node.id, reason: (e as Error).message });
    }
  }
  let metrics: LatentMetrics | undefined;
  if (opts.metrics !== false) {
    // μ is read where the first plot that shows the latent metrics reads it.
    const shown = nodesWithRole(doc.nodes, 'plot').find(({ node, role }) => role.plot.latentMetrics && role.plot.reads.mean && inputSource(doc, node.id, role.plot.reads.mean));
    const scatter = shown?.node;
    const mean = (shown && inputSource(doc, shown.node.id, shown.role.plot.reads.mean!)) || program.latent.mean;
    try {
      if (mean) metrics = await latentMetrics(tf, program, data.train, data.test, { mean, ...(typeof opts.metrics === 'object' ? opts.metrics : {}) });
    } catch (e) {
      skipped.push({ nodeId: scatter?.id ?? '', reason: `Latent metrics: ${(e as Error).message}` });
    }
  }
  return { plots, metrics, skipped };
}
