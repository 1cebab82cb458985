// The layers added in node library v2: shapes against tfjs-layers' computeOutputShape, parameter
// counts against Keras's formulas, values against tfjs's own ops, and diagnostics that say how to fix.
import { describe, expect, it } from 'vitest';
import { maxPooling2dNode } from '../../nodes/max-pooling2d';
import { averagePooling2dNode } from '../../nodes/average-pooling2d';
import { globalAveragePooling2dNode } from '../../nodes/global-average-pooling2d';
import { upSampling2dNode } from '../../nodes/up-sampling2d';
import { dropoutNode } from '../../nodes/dropout';
import { batchNormalizationNode } from '../../nodes/batch-normalization';
import { activationNode } from '../../nodes/activation';
import { addNode } from '../../nodes/add';
import { concatenateNode } from '../../nodes/concatenate';
import { mseNode } from '../../nodes/mse';
import { categoricalCrossEntropyNode } from '../../nodes/categorical-cross-entropy';
import { accuracyNode } from '../../nodes/accuracy';
import { defaultParams, type InferResult, type NodeDefinition } from '../../nodes/define';
import { buildContext, inferContext, tf } from '../helpers';

const out = (r: InferResult) => (r.ok ? [null, ...r.outputs.output] : r.problems.map((p) => p.message).join(' '));
const infer = (def: NodeDefinition, input: number[], params = {}) => def.inferShape({ input }, { ...defaultParams(def), ...params }, inferContext({ input }));

describe('pooling and resizing shapes equal tfjs’s computeOutputShape', () => {
  it('MaxPooling2D and AveragePooling2D over sizes, pools 1–4, strides and padding', () => {
    let n = 0;
    for (const size of [5, 7, 8, 13, 28])
      for (const pool of [1, 2, 3, 4])
        for (const strides of [0, 1, 2, 3])
          for (const padding of ['valid', 'same'] as const) {
            if (padding === 'valid' && pool > size) continue;
            const input = [size, size + 1, 3];
            const kerasStrides = strides || undefined;
            for (const [node, layer] of [
              [maxPooling2dNode, tf.layers.maxPooling2d({ poolSize: pool, strides: kerasStrides, padding })],
              [averagePooling2dNode, tf.layers.averagePooling2d({ poolSize: pool, strides: kerasStrides, padding })],
            ] as const) {
              expect(out(infer(node, input, { poolSize: pool, strides, padding })), `${node.type} n=${size} k=${pool} s=${strides} ${padding}`).toEqual(layer.computeOutputShape([null, ...input]));
              n++;
            }
          }
    expect(n).toBeGreaterThan(200);
  });
  it('GlobalAveragePooling2D, UpSampling2D, Dropout, BatchNormalization, Activation', () => {
    expect(out(infer(globalAveragePooling2dNode, [7, 7, 64]))).toEqual(tf.layers.globalAveragePooling2d({}).computeOutputShape([null, 7, 7, 64]));
    for (const size of [1, 2, 3]) expect(out(infer(upSampling2dNode, [7, 5, 8], { size }))).toEqual(tf.layers.upSampling2d({ size: [size, size] }).computeOutputShape([null, 7, 5, 8]));
    expect(out(infer(dropoutNode, [128]))).toEqual(tf.layers.dropout({ rate: 0.5 }).computeOutputShape([null, 128]));
    expect(out(infer(batchNormalizationNode, [14, 14, 32]))).toEqual(tf.layers.batchNormalization({}).computeOutputShape([null, 14, 14, 32]));
    expect(out(infer(activationNode, [10]))).toEqual(tf.layers.activation({ activation: 'softmax' }).computeOutputShape([null, 10]));
  });
  it('a window larger than a valid input, or a vector into a pooling layer, is a diagnostic with the fix', () => {
    expect(out(infer(maxPooling2dNode, [2, 2, 1], { poolSize: 3 }))).toMatch(/use padding "same" or a smaller pool size/);
    expect(out(infer(maxPooling2dNode, [64]))).toMatch(/needs an image \[height, width, channels\].*Reshape/);
  });
});

describe('parameter counts follow Keras’s formulas', () => {
  it('BatchNormalization: 4·c in all, γ and β trainable (2·c), the moving mean and variance not (2·c)', () => {
    const p = defaultParams(batchNormalizationNode);
    expect(batchNormalizationNode.paramCount({ input: [14, 14, 32] }, p)).toBe(64);
    expect(batchNormalizationNode.stateCount!({ input: [14, 14, 32] }, p)).toBe(64);
    expect(batchNormalizationNode.paramCount({ input: [16] }, p)).toBe(32);
    // tfjs-layers, as Keras, makes the same four weights: gamma, beta trainable, moving_mean, moving_variance not.
    const layer = tf.layers.batchNormalization({});
    layer.build([null, 14, 14, 32]);
    const count = (ws: { shape: (number | null)[] }[]) => ws.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
    expect([count(layer.trainableWeights), count(layer.nonTrainableWeights)]).toEqual([64, 64]);
    layer.weights.forEach((w) => w.dispose());
  });
  it('every other new layer has none', () => {
    for (const def of [maxPooling2dNode, averagePooling2dNode, globalAveragePooling2dNode, upSampling2dNode, dropoutNode, activationNode])
      expect(def.paramCount({ input: [8, 8, 3] }, defaultParams(def))).toBe(0);
  });
});

describe('values against tfjs’s own ops', () => {
  it('UpSampling2D repeats pixels as tf.image.resizeNearestNeighbor does for whole factors', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 3);
      const node = upSampling2dNode.build(buildContext('up', { input: [3, 4, 5] }), { size: 2 });
      const ours = node.apply({ input: [x] }, { training: false }).output;
      const theirs = tf.image.resizeNearestNeighbor(x as ReturnType<typeof tf.tensor4d>, [6, 8]);
      expect(Array.from(ours.dataSync())).toEqual(Array.from(theirs.dataSync()));
      node.dispose?.();
    });
  });
  it('Activation matches tfjs-layers’ activations and Keras’s LeakyReLU (α 0.3) and GELU (erf)', () => {
    tf.tidy(() => {
      const x = tf.linspace(-3, 3, 25).reshape([1, 25]);
      for (const name of ['relu', 'sigmoid', 'tanh', 'softmax', 'elu'] as const) {
        const ours = activationNode.build(buildContext('a', { input: [25] }), { activation: name, alpha: 1 }).apply({ input: [x] }, { training: true }).output;
        const theirs = tf.layers.activation({ activation: name }).apply(x) as ReturnType<typeof tf.tensor>;
        expect(Array.from(ours.dataSync()).map((v) => v.toFixed(5)), name).toEqual(Array.from(theirs.dataSync()).map((v) => v.toFixed(5)));
      }
      const leaky = activationNode.build(buildContext('a', { input: [25] }), { activation: 'leaky-relu', alpha: 0.3 }).apply({ input: [x] }, { training: true }).output.dataSync();
      expect(leaky[0]).toBeCloseTo(-0.9, 5);
      const gelu = activationNode.build(buildContext('a', { input: [25] }), { activation: 'gelu', alpha: 0.3 }).apply({ input: [tf.tensor2d([[1, -1]])] }, { training: true }).output.dataSync();
      expect(gelu[0]).toBeCloseTo(0.841345, 5); // x·Φ(x) at 1
      expect(gelu[1]).toBeCloseTo(-0.158655, 5);
    });
  });
  it('Dropout drops about rate of the values and scales the rest while training; passes through otherwise', () => {
    tf.tidy(() => {
      const node = dropoutNode.build(buildContext('d', { input: [1000] }), { rate: 0.25 });
      const x = tf.ones([4, 1000]);
      const y = node.apply({ input: [x] }, { training: true }).output.dataSync();
      const zeros = y.filter((v) => v === 0).length / y.length;
      expect(zeros).toBeGreaterThan(0.2);
      expect(zeros).toBeLessThan(0.3);
      expect(y.find((v) => v !== 0)).toBeCloseTo(1 / 0.75, 5);
      expect(Array.from(node.apply({ input: [x] }, { training: false }).output.dataSync()).every((v) => v === 1)).toBe(true);
    });
  });
  it('BatchNormalization: batch statistics and moving averages while training, the moving ones in inference', () => {
    const node = batchNormalizationNode.build(buildContext('bn', { input: [3] }), { momentum: 0.9, epsilon: 0.001 });
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 10, -2],
        [3, 14, -2],
      ]);
      const y = node.apply({ input: [x] }, { training: true }).output.arraySync() as number[][];
      // Per channel: mean (2, 12, −2), variance (1, 4, 0) → ±1/√(1.001), ±2/√(4.001), 0.
      expect(y[0][0]).toBeCloseTo(-1 / Math.sqrt(1.001), 5);
      expect(y[1][1]).toBeCloseTo(2 / Math.sqrt(4.001), 5);
      expect(y[0][2]).toBeCloseTo(0, 5);
      const [mean, variance] = node.state!().map((s) => Array.from(s.variable.dataSync()));
      expect(mean.map((v) => +v.toFixed(5))).toEqual([0.2, 1.2, -0.2]);
      expect(variance.map((v) => +v.toFixed(5))).toEqual([1, 1.3, 0.9]);
      // Inference uses them: (x − 0.2)/√(1 + 0.001) for channel 0.
      const z = node.apply({ input: [tf.tensor2d([[1.2, 1.2, -0.2]])] }, { training: false }).output.dataSync();
      expect(z[0]).toBeCloseTo(1 / Math.sqrt(1.001), 5);
      // Inference leaves the moving statistics alone.
      expect(Array.from(node.state!()[0].variable.dataSync()).map((v) => +v.toFixed(5))).toEqual([0.2, 1.2, -0.2]);
    });
    node.dispose?.();
  });
  it('softmax cross-entropy equals tfjs’s softmaxCrossEntropy with one-hot labels; accuracy counts argmax hits', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([
        [2, 0.5, -1, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 3, 0, 0, 0, 0, 0, 0, 1],
        [0.1, 0.2, 0.3, 0, 0, 0, 0, 0, 0, 0],
      ]);
      const labels = tf.tensor1d([0, 9, 2], 'int32');
      const loss = categoricalCrossEntropyNode.build(buildContext('ce', { logits: [10], labels: [] }), {}).apply({ logits: [logits], labels: [labels] }, { training: true }).loss.dataSync()[0];
      const reference = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), logits).dataSync()[0];
      expect(loss).toBeCloseTo(reference, 5);
      const acc = accuracyNode.build(buildContext('acc', { scores: [10], labels: [] }), {}).apply({ scores: [logits], labels: [labels] }, { training: false }).accuracy.dataSync()[0];
      expect(acc).toBeCloseTo(2 / 3, 6);
    });
  });
  it('MSE equals tfjs’s meanSquaredError', () => {
    tf.tidy(() => {
      const a = tf.randomUniform([3, 4, 4, 1], 0, 1, 'float32', 1);
      const b = tf.randomUniform([3, 4, 4, 1], 0, 1, 'float32', 2);
      const ours = mseNode.build(buildContext('mse', { target: [4, 4, 1], prediction: [4, 4, 1] }), {}).apply({ target: [a], prediction: [b] }, { training: true }).loss.dataSync()[0];
      expect(ours).toBeCloseTo(tf.losses.meanSquaredError(a, b).dataSync()[0], 6);
    });
  });
});

describe('several wires into one port, in order', () => {
  it('Add sums every wire; with two different shapes it names both wires and says how to fix it', () => {
    const ok = addNode.inferShape({ inputs: [8, 8, 16] }, {}, inferContext({}, { inputs: [[8, 8, 16], [8, 8, 16], [8, 8, 16]] }));
    expect(ok.ok && [null, ...ok.outputs.output]).toEqual(tf.layers.add({}).computeOutputShape([[null, 8, 8, 16], [null, 8, 8, 16], [null, 8, 8, 16]]));
    const bad = addNode.inferShape({ inputs: [14, 14, 32] }, {}, { ...inferContext({}, { inputs: [[14, 14, 32], [14, 14, 16]] }), from: { inputs: ['conv2', 'skip'] } });
    expect(bad.ok).toBe(false);
    const message = !bad.ok ? bad.problems[0].message : '';
    expect(message).toMatch(/wire 1 \(from conv2\) is \[14, 14, 32\] but wire 2 \(from skip\) is \[14, 14, 16\]/);
    expect(message).toMatch(/32 filters|Concatenate/);
    const one = addNode.inferShape({ inputs: [4] }, {}, inferContext({}, { inputs: [[4]] }));
    expect(!one.ok && one.problems[0].message).toMatch(/at least two wires/);
    tf.tidy(() => {
      const node = addNode.build(buildContext('add', {}, { inputs: [[2], [2], [2]] }), {});
      const y = node.apply({ inputs: [tf.tensor2d([[1, 2]]), tf.tensor2d([[10, 20]]), tf.tensor2d([[100, 200]])] }, { training: true }).output;
      expect(Array.from(y.dataSync())).toEqual([111, 222]);
    });
  });
  it('Concatenate stacks channels in wire order and matches tfjs’s shape; mismatched sizes name both wires', () => {
    const r = concatenateNode.inferShape({ inputs: [14, 14, 32] }, {}, inferContext({}, { inputs: [[14, 14, 32], [14, 14, 16]] }));
    expect(r.ok && [null, ...r.outputs.output]).toEqual(tf.layers.concatenate({}).computeOutputShape([[null, 14, 14, 32], [null, 14, 14, 16]]));
    const bad = concatenateNode.inferShape({ inputs: [14, 14, 32] }, {}, inferContext({}, { inputs: [[14, 14, 32], [7, 7, 16]] }));
    expect(!bad.ok && bad.problems[0].message).toMatch(/wire 1 is \[14, 14, 32\] but wire 2 is \[7, 7, 16\].*UpSampling2D/);
    tf.tidy(() => {
      const node = concatenateNode.build(buildContext('cat', {}, { inputs: [[1], [2]] }), {});
      const ab = node.apply({ inputs: [tf.tensor2d([[1]]), tf.tensor2d([[2, 3]])] }, { training: true }).output.dataSync();
      const ba = node.apply({ inputs: [tf.tensor2d([[2, 3]]), tf.tensor2d([[1]])] }, { training: true }).output.dataSync();
      expect([Array.from(ab), Array.from(ba)]).toEqual([
        [1, 2, 3],
        [2, 3, 1],
      ]);
    });
  });
  it('the classifier’s losses check the class count against the dataset', () => {
    const r = categoricalCrossEntropyNode.inferShape({ logits: [5], labels: [] }, {}, inferContext({ logits: [5], labels: [] }));
    expect(!r.ok && r.problems[0].message).toMatch(/10 classes but "logits" has 5 values; give the last Dense layer 10 units/);
  });
});
