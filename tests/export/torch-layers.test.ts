// Each layer's PyTorch form against our compiled graph, on the cases where Keras and PyTorch differ:
// asymmetric 'same' padding, 'valid', odd sizes, transposed convs with kernel < stride
// (output_padding) and > stride (crops), channels-last Flatten and Reshape, every activation; pooling
// with Keras's 'same' (asymmetric, over real pixels only), up-sampling, BatchNormalization (its moving
// statistics carried in by --init and out by --save), Add and Concatenate (channels), MSE.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile';
import { exportTorch } from '../../src/export/torch';
import { analyze } from '../../src/graph/analyze';
import { DEFAULT_TRAINING, type GraphDocument, type GraphEdge, type GraphNode, type Params } from '../../src/graph/document';
import { toFloats } from '../../src/train/data';
import { DATA_DIR, loadDatasetFromDisk } from '../../src/train/data-node';
import { tf, wasmBackend } from '../helpers';
import { PYTHON, readModel, relative, run, tempDir, writeModel } from './python';

beforeAll(() => wasmBackend());

/** data → layers in a chain → Flatten → two Dense heads → KL (sum over dims) → Objective. */
function chain(layers: { type: string; params: Params }[], activation = 'tanh'): GraphDocument {
  const nodes: GraphNode[] = [{ id: 'data', type: 'dataset', params: {}, position: [0, 0] }];
  const edges: GraphEdge[] = [];
  let last = 'data';
  let port = 'image';
  const add = (id: string, type: string, params: Params) => {
    nodes.push({ id, type, params, position: [0, 0] });
    edges.push({ from: { node: last, port }, to: { node: id, port: 'input' } });
    last = id;
    port = 'output';
  };
  layers.forEach((l, i) => add(`layer${i + 1}`, l.type, l.params));
  add('flat', 'flatten', {});
  const body = last;
  nodes.push(
    { id: 'mu', type: 'dense', params: { units: 3, activation }, position: [0, 0] },
    { id: 'lv', type: 'dense', params: { units: 3, activation: 'tanh' }, position: [0, 0] },
    { id: 'kl', type: 'kl', params: { reduction: 'sum-latent' }, position: [0, 0] },
    { id: 'objective', type: 'objective', params: {}, position: [0, 0] },
  );
  edges.push(
    { from: { node: body, port: 'output' }, to: { node: 'mu', port: 'input' } },
    { from: { node: body, port: 'output' }, to: { node: 'lv', port: 'input' } },
    { from: { node: 'mu', port: 'output' }, to: { node: 'kl', port: 'mean' } },
    { from: { node: 'lv', port: 'output' }, to: { node: 'kl', port: 'logVar' } },
    { from: { node: 'kl', port: 'loss' }, to: { node: 'objective', port: 'losses' } },
  );
  return { format: 'wirelab.graph', version: 2, name: 'layers', nodes, edges, training: { ...DEFAULT_TRAINING, optimizer: 'sgd', learningRate: 0, batchSize: 64 } };
}

const conv = (type: string, kernelSize: number, strides: number, padding: string, activation = 'relu', filters = 4) => ({ type, params: { filters, kernelSize, strides, padding, activation, useBias: true } });

const pool = (type: string, poolSize: number, strides: number, padding: string) => ({ type, params: { poolSize, strides, padding } });
const activation = (name: string, alpha = 0.3) => ({ type: 'activation', params: { activation: name, alpha } });

/** Two branches joined by Add, then Concatenate with a skip (channels), a sigmoid conv to an MSE against the image, and the chain's KL. */
function branches(): GraphDocument {
  const doc = chain([conv('conv2d', 3, 1, 'same', 'relu', 4)]);
  const node = (id: string, type: string, params: Params) => doc.nodes.push({ id, type, params, position: [0, 0] });
  const wire = (from: string, to: string, port = 'input') => doc.edges.push({ from: { node: from, port: from === 'data' ? 'image' : 'output' }, to: { node: to, port } });
  node('a', 'conv2d', conv('conv2d', 3, 1, 'same', 'tanh', 4).params);
  node('sum', 'add', {});
  node('skip', 'concatenate', {});
  node('out', 'conv2d', conv('conv2d', 3, 1, 'same', 'sigmoid', 1).params);
  node('mse', 'mse', {});
  wire('data', 'a');
  wire('layer1', 'sum', 'inputs');
  wire('a', 'sum', 'inputs');
  // The skip first: the order of the wires is the order of the channels.
  wire('data', 'skip', 'inputs');
  wire('sum', 'skip', 'inputs');
  wire('skip', 'out');
  wire('data', 'mse', 'target');
  wire('out', 'mse', 'prediction');
  doc.edges.push({ from: { node: 'mse', port: 'loss' }, to: { node: 'objective', port: 'losses' } });
  // The chain's body reads the Concatenate, so every branch feeds the KL too.
  doc.edges.find((e) => e.to.node === 'flat')!.from.node = 'skip';
  return doc;
}

const CASES: [string, GraphDocument][] = [
  ['conv same: asymmetric (k 4, s 1; k 3, s 2 on 13) and symmetric (k 5, s 3)', chain([conv('conv2d', 4, 1, 'same'), conv('conv2d', 5, 3, 'same'), conv('conv2d', 3, 2, 'same', 'elu')])],
  ['conv valid with odd sizes (k 3, s 2 on 28; k 2, s 3)', chain([conv('conv2d', 3, 2, 'valid', 'selu'), conv('conv2d', 2, 3, 'valid', 'softplus')])],
  ['transposed: k < s (output_padding), k > s (crops), valid and same', chain([conv('conv2d', 3, 2, 'same'), conv('conv2d-transpose', 2, 3, 'same', 'gelu'), conv('conv2d-transpose', 5, 2, 'valid', 'swish'), conv('conv2d-transpose', 4, 2, 'same', 'sigmoid', 2), conv('conv2d', 7, 4, 'valid', 'softmax')], 'linear')],
  ['max pooling: same with asymmetric padding (k 3, s 2 on 28; k 2 on 7), valid with strides (k 3, s 2)', chain([pool('max-pooling2d', 3, 2, 'same'), conv('conv2d', 3, 1, 'same', 'linear'), pool('max-pooling2d', 2, 0, 'valid'), pool('max-pooling2d', 2, 0, 'same'), pool('max-pooling2d', 3, 2, 'valid')])],
  ['average pooling: same over real pixels only (k 3, s 2 on 28; k 2 on 7), valid (k 2), then global average', chain([pool('average-pooling2d', 3, 2, 'same'), conv('conv2d', 3, 1, 'same', 'linear'), pool('average-pooling2d', 2, 0, 'valid'), pool('average-pooling2d', 2, 0, 'same'), pool('average-pooling2d', 2, 1, 'valid'), { type: 'global-average-pooling2d', params: {} }])],
  ['up-sampling and batch normalization (images and vectors), moving statistics in and out', chain([conv('conv2d', 3, 2, 'same', 'linear'), { type: 'batch-normalization', params: { momentum: 0.9, epsilon: 0.01 } }, { type: 'up-sampling2d', params: { size: 3 } }, conv('conv2d', 3, 3, 'valid'), { type: 'flatten', params: {} }, { type: 'batch-normalization', params: { momentum: 0.5, epsilon: 0.001 } }, { type: 'dropout', params: { rate: 0 } }])],
  ['activations: relu, sigmoid, tanh, softmax (channels), leaky relu, elu, gelu', chain([conv('conv2d', 3, 2, 'same', 'linear'), activation('leaky-relu', 0.2), activation('elu', 0.7), activation('gelu'), activation('softmax'), activation('tanh'), activation('sigmoid'), activation('relu')], 'linear')],
  ['add and concatenate (channels, in wire order), MSE', branches()],
  ['reshape between images and vectors, channels last', chain([conv('conv2d', 3, 2, 'same'), { type: 'flatten', params: {} }, { type: 'reshape', params: { targetShape: [7, 28, 4] } }, conv('conv2d-transpose', 3, 1, 'valid'), { type: 'reshape', params: { targetShape: [30, 9, 4] } }, conv('conv2d', 3, 1, 'valid'), { type: 'reshape', params: { targetShape: [784] } }, { type: 'dense', params: { units: 5, activation: 'softmax' } }], 'relu')],
];

describe('PyTorch layers', () => {
  it.each(CASES)('%s: the same forward loss as our graph, with our parameter count', async (_, doc) => {
    const analysis = analyze(doc);
    expect(analysis.diagnostics).toEqual([]);
    const dir = await tempDir('layers');
    const program = compile(doc, tf);
    const data = await loadDatasetFromDisk('fashion-mnist');
    const images = (from: number) => tf.tensor4d(toFloats(data.train, Array.from({ length: 64 }, (_, i) => from + i)), [64, 28, 28, 1]);
    // One training-mode pass on other images first, so BatchNormalization's moving statistics are not their initial 0 and 1.
    const other = images(64);
    tf.tidy(() => void program.losses({ image: other }));
    other.dispose();
    await writeModel(tf, program, path.join(dir, 'init'));
    const file = path.join(dir, 'model.py');
    await writeFile(file, exportTorch(doc));
    const summary = JSON.parse((await run(PYTHON, [file, '--summary'])).stdout) as { parts: { params: number }[] };
    expect(summary.parts[0].params).toBe(analysis.parts[0].params);
    // lr 0: step 1's loss is the forward pass; 64 images, one batch (the mean does not depend on their order).
    await run(PYTHON, [file, '--data', path.join(DATA_DIR, 'fashion-mnist'), '--limit', '64', '--steps', '1', '--device', 'cpu', '--init', path.join(dir, 'init'), '--log', path.join(dir, 'log.jsonl'), '--save', path.join(dir, 'trained')]);
    const theirs = JSON.parse((await readFile(path.join(dir, 'log.jsonl'), 'utf8')).trim()) as { loss: number };
    const batch = images(0);
    const ours = tf.tidy(() => program.losses({ image: batch }).total.dataSync()[0]);
    batch.dispose();
    expect(ours).toBeGreaterThan(1e-3);
    expect(relative(theirs.loss, ours)).toBeLessThan(1e-4);
    // The moving statistics after that step (momentum as Keras means it, the biased batch variance), saved in our names.
    const saved = await readModel(path.join(dir, 'trained'));
    const specs = saved.json.weightsManifest.flatMap((g) => g.weights);
    const decoded = tf.io.decodeWeights(saved.weights, specs);
    const moving = program.namedWeights().filter((w) => w.name.includes('/moving_'));
    if (doc.nodes.some((n) => n.type === 'batch-normalization')) expect(moving.length).toBeGreaterThan(0);
    for (const w of moving) {
      const a = w.variable.dataSync();
      const b = decoded[w.name].dataSync();
      // Variances are positive: relative (the unbiased variance PyTorch's own BatchNorm keeps is 1/63 more per batch); means near 0: absolute.
      const tolerance = (x: number) => (w.name.endsWith('/moving_variance') ? 1e-3 * x : 3e-5 * Math.max(1, Math.abs(x)));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `${w.name}[${i}]`).toBeLessThan(tolerance(a[i]));
    }
    Object.values(decoded).forEach((t) => t.dispose());
    program.dispose();
  }, 120_000);
});
