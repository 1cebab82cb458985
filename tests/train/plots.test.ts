// The output nodes' plots and the latent metrics: on a β-VAE trained briefly on real Fashion-MNIST
// (wasm backend), and the pure helpers on hand-computed numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/compile/compile';
import { seededRandom, take, toFloats, type Dataset } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { train } from '../../src/train/train';
import {
  computePlots,
  findLogVar,
  klPerDimension,
  knnAccuracy,
  knnPredict,
  latentGrid,
  latentMetrics,
  latentScatter,
  meanAndVariance,
  pca2,
  reconstructions,
  runOnImages,
} from '../../src/train/plots';
import type { LatentScatterPlot } from '../../src/train/plot-types';
import { preset, tf, wasmBackend } from '../helpers';

let data: Dataset;
let program: Program;

beforeAll(async () => {
  await wasmBackend();
  data = await loadDatasetFromDisk('fashion-mnist');
  program = compile(preset('beta-vae'), tf);
  // A few steps, so that tiles and points differ from one another.
  await train({ tf, program, data: take(data.train, 256), settings: { optimizer: 'rmsprop', learningRate: 0.005, batchSize: 32, epochs: 1, seed: 2 } }).done;
}, 60_000);
afterAll(() => program.dispose());

/** What a decoded value becomes as a grey byte. */
const byte = (v: number) => new Uint8ClampedArray([v * 255])[0];

describe('latent grid', () => {
  // np.linspace(-2, 2, 10), as numpy prints it.
  const linspace = [-2.0, -1.5555555555555556, -1.1111111111111112, -0.6666666666666667, -0.22222222222222232, 0.22222222222222232, 0.6666666666666665, 1.1111111111111107, 1.5555555555555554, 2.0];

  it('decodes the tutorial’s linspace, top row +scale, each tile the decoder’s image of its point', async () => {
    const plot = await latentGrid(tf, program, { nodeId: 'grid', n: 10, scale: 2 });
    expect(plot.xs).toHaveLength(10);
    plot.xs.forEach((x, i) => expect(Math.abs(x - linspace[i])).toBeLessThan(1e-12));
    plot.ys.forEach((y, i) => expect(Math.abs(y - linspace[9 - i])).toBeLessThan(1e-12));
    expect([plot.image.width, plot.image.height]).toEqual([280, 280]);
    const tiles = new Set<string>();
    for (let i = 0; i < 10; i++)
      for (let j = 0; j < 10; j++) {
        const alone = tf.tidy(() => program.decode(tf.tensor2d([[linspace[j], linspace[9 - i]]])).dataSync());
        let worst = 0;
        let sum = 0;
        for (let y = 0; y < 28; y++)
          for (let x = 0; x < 28; x++) {
            const got = plot.image.pixels[(i * 28 + y) * 280 + j * 28 + x];
            worst = Math.max(worst, Math.abs(got - byte(alone[y * 28 + x])));
            sum += got;
          }
        expect(worst, `tile ${i},${j}`).toBeLessThanOrEqual(1);
        tiles.add(String(sum));
      }
    expect(tiles.size).toBeGreaterThan(50);
  }, 60_000);

  it('with more than 2 latent dimensions varies dimX and dimY and holds the others at 0', async () => {
    const doc = preset('beta-vae');
    for (const id of ['z_mean', 'z_log_var']) doc.nodes.find((n) => n.id === id)!.params.units = 3;
    const p3 = compile(doc, tf);
    const fed: Float32Array[] = [];
    const spy: Program = { ...p3, run: (feeds, targets, training) => (fed.push(feeds.get('sampling.z')!.dataSync() as Float32Array), p3.run(feeds, targets, training)) };
    const plot = await latentGrid(tf, spy, { nodeId: 'grid', n: 4, scale: 1.5, dimX: 0, dimY: 2 });
    expect(fed).toHaveLength(1);
    const z = fed[0];
    expect(z).toHaveLength(4 * 4 * 3);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        const k = (i * 4 + j) * 3;
        expect([z[k], z[k + 1], z[k + 2]]).toEqual([Math.fround(plot.xs[j]), 0, Math.fround(plot.ys[i])]);
      }
    expect(plot.ys[0]).toBe(1.5);
    p3.dispose();
  });
});

describe('latent scatter', () => {
  it('plots μ of the first test images with their labels', async () => {
    const plot = await latentScatter(tf, program, data.test, data.classNames, { nodeId: 'scatter', samples: 300 });
    expect(plot.points).toHaveLength(600);
    expect([...plot.labels]).toEqual([...data.test.labels.subarray(0, 300)]);
    expect(plot.imageIndex[299]).toBe(299);
    expect(plot.axes).toEqual(['z[0]', 'z[1]']);
    const mu = tf.tidy(() => program.encode(tf.tensor4d(toFloats(data.test, [0, 299]), [2, 28, 28, 1])).dataSync());
    expect(plot.points[0]).toBeCloseTo(mu[0], 5);
    expect(plot.points[599]).toBeCloseTo(mu[3], 5);
    const pca = await latentScatter(tf, program, data.test, data.classNames, { samples: 300, projection: 'pca' });
    expect(pca.axes).toEqual(['PC1', 'PC2']);
    // PCA of a 2-D latent space is a rotation about the mean: distances are kept.
    const d = (p: Float32Array, a: number, b: number) => Math.hypot(p[2 * a] - p[2 * b], p[2 * a + 1] - p[2 * b + 1]);
    expect(d(pca.points, 3, 170)).toBeCloseTo(d(plot.points, 3, 170), 4);
  });
});

describe('reconstructions', () => {
  it('puts the test images above the decoder’s image of their μ', async () => {
    const plot = await reconstructions(tf, program, data.test, { nodeId: 'recon', count: 5 });
    expect([plot.image.width, plot.image.height, plot.count]).toEqual([140, 56, 5]);
    const rebuilt = tf.tidy(() => program.decode(program.encode(tf.tensor4d(toFloats(data.test, [0, 1, 2, 3, 4]), [5, 28, 28, 1]))).dataSync());
    for (let k = 0; k < 5; k++)
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          expect(plot.image.pixels[y * 140 + k * 28 + x]).toBe(data.test.pixels[k * 784 + y * 28 + x]);
          expect(Math.abs(plot.image.pixels[(28 + y) * 140 + k * 28 + x] - byte(rebuilt[k * 784 + y * 28 + x]))).toBeLessThanOrEqual(1);
        }
  });
});

describe('latent metrics', () => {
  it('k-NN (k = 5) on known points, a tied vote going to the class of the nearest', () => {
    // 1-D reference points: class 0 at 0..4, class 1 at 10..14, class 2 at 5.4.
    const ref = Float32Array.from([0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 5.4]);
    const refLabels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2];
    // 2 → {2,1,3,0,4}: 0. 12 → 1. 7 → {5.4(2), 4(0), 10(1), 3(0), 11(1)}: 0 and 1 tie with 2 votes, 0's is nearer.
    // 8.5 → {10(1), 11(1), 5.4(2), 12(1), 4(0)}: 1.
    const query = Float32Array.from([2, 12, 7, 8.5]);
    expect([...knnPredict(ref, refLabels, query, 1, 5)]).toEqual([0, 1, 0, 1]);
    expect(knnAccuracy(ref, refLabels, query, [0, 1, 1, 1], 1, 5)).toBe(0.75);
    expect(knnAccuracy(ref, refLabels, Float32Array.from([5.5]), [2], 1, 1)).toBe(1);
    // 2-D: distances use both coordinates.
    const ref2 = Float32Array.from([0, 0, 0, 1, 5, 5, 5, 6, 6, 5]);
    expect([...knnPredict(ref2, [3, 3, 7, 7, 7], Float32Array.from([0.2, 0.4, 4.9, 5.2]), 2, 1)]).toEqual([3, 7]);
    expect(knnAccuracy(ref2, [3, 3, 7, 7, 7], Float32Array.from([0.2, 0.4, 4.9, 5.2]), [3, 7], 2, 3)).toBe(1);
  });

  it('mean, variance and KL per dimension on known numbers', () => {
    const mu = Float32Array.from([1, 2, 3, 6, 5, 1]);
    const { mean, variance } = meanAndVariance(mu, 2);
    expect(mean).toEqual([3, 3]);
    expect(variance[0]).toBeCloseTo(8 / 3, 12);
    expect(variance[1]).toBeCloseTo(14 / 3, 12);
    const m = [1, 0, 0.5, -1];
    const lv = [0, Math.log(2), -1, 0];
    const kl = klPerDimension(Float32Array.from(m), Float32Array.from(lv), 2);
    // dim 0: −½(1+0−1−1) = 0.5 and −½(1−1−0.25−e⁻¹); dim 1: −½(1+ln2−0−2) and −½(1+0−1−1) = 0.5.
    expect(kl[0]).toBeCloseTo((0.5 + -0.5 * (-0.25 - Math.exp(-1))) / 2, 6);
    expect(kl[1]).toBeCloseTo((-0.5 * (Math.log(2) - 1) + 0.5) / 2, 6);
  });

  it('PCA by power iteration finds the dominant axes of a 3-D set', () => {
    // A full factorial design, so the three directions are exactly uncorrelated.
    const axis = [0.6, 0.8, 0];
    const side = [0, 0, 1];
    const as = Array.from({ length: 21 }, (_, i) => -5 + i / 2);
    const points: number[] = [];
    for (const a of as)
      for (const b of [-1, 0, 1])
        for (const c of [-0.05, 0.05])
          // Along axis (big), along side (medium), along (−0.8, 0.6, 0) (small), about (1, −2, 3).
          points.push(a * axis[0] - 0.8 * c + 1, a * axis[1] + 0.6 * c - 2, b + 3);
    const values = Float32Array.from(points);
    const { components, variances, projected, mean } = pca2(values, 3);
    components[0].forEach((v, i) => expect(Math.abs(v - axis[i])).toBeLessThan(1e-6));
    components[1].forEach((v, i) => expect(Math.abs(v - side[i])).toBeLessThan(1e-6));
    expect(variances[0]).toBeCloseTo(as.reduce((s, a) => s + a * a, 0) / 21, 5);
    expect(variances[1]).toBeCloseTo(2 / 3, 5);
    mean.forEach((m, i) => expect(m).toBeCloseTo([1, -2, 3][i], 5));
    // Each point's coordinates are its offsets along the two axes.
    expect(projected[2 * 7]).toBeCloseTo(as[1], 5);
    expect(projected[2 * 7 + 1]).toBeCloseTo(-1, 5);
    expect(projected[2 * 125]).toBeCloseTo(as[20], 5);
    expect(projected[2 * 125 + 1]).toBeCloseTo(1, 5);
  });

  it('on the model: the helpers applied to μ and log σ² of the same images', async () => {
    const train = take(data.train, 600);
    const test = take(data.test, 200);
    const metrics = await latentMetrics(tf, program, train, test, { trainSamples: 600, testSamples: 200 });
    expect(findLogVar(program.doc)).toEqual({ node: 'z_log_var', port: 'output' });
    const [trainMu] = await runOnImages(tf, program, train, Array.from({ length: 600 }, (_, i) => i), [program.latent.mean!]);
    const [testMu, testLv] = await runOnImages(tf, program, test, Array.from({ length: 200 }, (_, i) => i), [program.latent.mean!, findLogVar(program.doc)!]);
    expect(metrics.knnAccuracy).toBe(knnAccuracy(trainMu.values, train.labels, testMu.values, test.labels, 2, 5));
    expect(metrics.knnAccuracy).toBeGreaterThan(0);
    expect(metrics.meanPerDim).toEqual(meanAndVariance(testMu.values, 2).mean);
    expect(metrics.klPerDim).toEqual(klPerDimension(testMu.values, testLv.values, 2));
    expect([metrics.k, metrics.trainSamples, metrics.testSamples]).toEqual([5, 600, 200]);
  });
});

describe('computePlots', () => {
  it('draws every output node with its params, and leaks no tensors', async () => {
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'scatter')!.params.samples = 200;
    doc.nodes.find((n) => n.id === 'grid')!.params.n = 5;
    const small = { train: take(data.train, 500), test: data.test, classNames: data.classNames };
    const opts = { metrics: { trainSamples: 500, testSamples: 100 } };
    await computePlots(tf, program, doc, small, opts);
    const before = tf.memory().numTensors;
    const out = await computePlots(tf, program, doc, small, opts);
    expect(tf.memory().numTensors).toBe(before);
    expect(out.skipped).toEqual([]);
    expect(out.plots.map((p) => `${p.kind}:${p.nodeId}`).sort()).toEqual(['latent-grid:grid', 'latent-scatter:scatter', 'reconstructions:recon']);
    const grid = out.plots.find((p) => p.kind === 'latent-grid')!;
    expect(grid.kind === 'latent-grid' && grid.image.width).toBe(140);
    const scatter = out.plots.find((p) => p.kind === 'latent-scatter')!;
    expect(scatter.kind === 'latent-scatter' && scatter.labels.length).toBe(200);
    expect(out.metrics?.testSamples).toBe(100);
  });

  it('skips an output node with a problem, and an autoencoder has no KL per dimension', async () => {
    const ae = compile(preset('autoencoder'), tf);
    const doc = preset('autoencoder');
    doc.edges = doc.edges.filter((e) => !(e.to.node === 'recon' && e.to.port === 'reconstruction'));
    const out = await computePlots(tf, ae, doc, { train: take(data.train, 100), test: take(data.test, 100), classNames: data.classNames }, { metrics: { testSamples: 50 } });
    expect(out.skipped.map((s) => s.nodeId)).toEqual(['recon']);
    expect(out.plots.map((p) => p.kind).sort()).toEqual(['latent-grid', 'latent-scatter']);
    expect(out.metrics?.klPerDim).toEqual([]);
    ae.dispose();
  });
});
