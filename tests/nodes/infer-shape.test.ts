// inferShape agrees with tfjs-layers' own computeOutputShape ("shape" cases, no tensors involved).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { conv2dNode } from '../../nodes/conv2d';
import { conv2dTransposeNode } from '../../nodes/conv2d-transpose';
import { denseNode } from '../../nodes/dense';
import { flattenNode } from '../../nodes/flatten';
import { reshapeNode } from '../../nodes/reshape';
import { nodeTypes } from '../../nodes';
import { defaultParams, docText } from '../../nodes/define';
import { inferContext } from '../helpers';

const cases: { size: number; kernel: number; stride: number; padding: 'same' | 'valid' }[] = [];
for (const size of [5, 7, 8, 13, 28])
  for (const kernel of [1, 2, 3, 4, 5])
    for (const stride of [1, 2, 3]) for (const padding of ['same', 'valid'] as const) if (padding === 'same' || kernel <= size) cases.push({ size, kernel, stride, padding });

describe('Conv2D and Conv2DTranspose shapes equal tfjs’s computeOutputShape', () => {
  it(`covers ${cases.length} cases of size, kernel 1–5, strides 1–3 and padding`, () => {
    for (const { size, kernel, stride, padding } of cases) {
      const params = { filters: 4, kernelSize: kernel, strides: stride, padding, activation: 'linear', useBias: true };
      const input = [size, size + 1, 3];
      for (const [node, layer] of [
        [conv2dNode, tf.layers.conv2d({ filters: 4, kernelSize: kernel, strides: stride, padding })],
        [conv2dTransposeNode, tf.layers.conv2dTranspose({ filters: 4, kernelSize: kernel, strides: stride, padding })],
      ] as const) {
        const ours = node.inferShape({ input }, params, inferContext({ input }));
        const theirs = layer.computeOutputShape([null, ...input]) as (number | null)[];
        const where = `${node.label} n=${size} k=${kernel} s=${stride} ${padding}`;
        expect(ours.ok && [null, ...ours.outputs.output], where).toEqual(theirs);
      }
    }
  });
  it('Dense, Flatten and Reshape too', () => {
    const dense = denseNode.inferShape({ input: [3136] }, { units: 16, activation: 'relu', useBias: true }, inferContext({ input: [3136] }));
    expect(dense.ok && [null, ...dense.outputs.output]).toEqual(tf.layers.dense({ units: 16 }).computeOutputShape([null, 3136]));
    const flat = flattenNode.inferShape({ input: [7, 7, 64] }, {}, inferContext({ input: [7, 7, 64] }));
    expect(flat.ok && [null, ...flat.outputs.output]).toEqual(tf.layers.flatten().computeOutputShape([null, 7, 7, 64]));
    const re = reshapeNode.inferShape({ input: [3136] }, { targetShape: [7, 7, 64] }, inferContext({ input: [3136] }));
    expect(re.ok && [null, ...re.outputs.output]).toEqual(tf.layers.reshape({ targetShape: [7, 7, 64] }).computeOutputShape([null, 3136]));
  });
  it('a kernel larger than a valid input is a diagnostic, not a negative size', () => {
    const r = conv2dNode.inferShape({ input: [2, 2, 1] }, { filters: 1, kernelSize: 5, strides: 1, padding: 'valid', activation: 'linear', useBias: true }, inferContext({ input: [2, 2, 1] }));
    expect(r.ok).toBe(false);
  });
});

describe('every node definition', () => {
  for (const def of nodeTypes)
    it(`${def.type} carries its teaching text and valid defaults`, () => {
      expect(def.doc.summary.length).toBeGreaterThan(20);
      expect(docText(def.doc.formula, defaultParams(def)).length).toBeGreaterThan(3);
      expect(docText(def.doc.keras, defaultParams(def)).length).toBeGreaterThan(3);
      for (const spec of Object.values(def.params)) expect(spec.help.length).toBeGreaterThan(5);
      expect(Object.keys(defaultParams(def))).toEqual(Object.keys(def.params));
    });
});
