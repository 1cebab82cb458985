// Non-trainable state (BatchNormalization's moving mean and variance): built in training and
// inference mode, saved and loaded with the weights, restored when a loss turns NaN, and counted
// apart from the trainable parameters as Keras counts them.
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile';
import { loadWeights, saveWeights } from '../../src/compile/weights';
import { analyze } from '../../src/graph/analyze';
import { emptyDocument, type GraphDocument } from '../../src/graph/document';
import { train } from '../../src/train/train';
import type { ImageSet } from '../../src/train/data';
import { preset, tf } from '../helpers';

function small(): GraphDocument {
  const doc = emptyDocument('bn');
  const n = (id: string, type: string, params = {}) => ({ id, type, params, position: [0, 0] as [number, number] });
  doc.nodes = [n('data', 'dataset'), n('conv', 'conv2d', { filters: 4, strides: 2 }), n('bn', 'batch-normalization'), n('flat', 'flatten'), n('dense', 'dense', { units: 10 }), n('ce', 'categorical-cross-entropy'), n('objective', 'objective'), n('acc', 'accuracy')];
  const w = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
  doc.edges = [w('data', 'image', 'conv', 'input'), w('conv', 'output', 'bn', 'input'), w('bn', 'output', 'flat', 'input'), w('flat', 'output', 'dense', 'input'), w('dense', 'output', 'ce', 'logits'), w('data', 'label', 'ce', 'labels'), w('ce', 'loss', 'objective', 'losses'), w('dense', 'output', 'acc', 'scores'), w('data', 'label', 'acc', 'labels')];
  return doc;
}

const images = (count: number, seed = 1): ImageSet => {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  return { pixels: Uint8Array.from({ length: count * 784 }, () => rand() * 255), labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, shape: [28, 28, 1] };
};
const read = (vs: { variable: { dataSync(): ArrayLike<number> } }[]) => vs.map((v) => Array.from(v.variable.dataSync()));

describe('non-trainable state', () => {
  it('the VAE with BatchNormalization counts 2·c non-trainable per BatchNormalization, and exposes them as state', () => {
    const doc = preset('vae-batchnorm');
    const a = analyze(doc);
    expect(a.parts.map((p) => [p.name, p.params, p.nonTrainable])).toEqual([
      ['encoder', 69076 + 2 * 32 + 2 * 64, 2 * 32 + 2 * 64],
      ['decoder', 65089 + 2 * 64 + 2 * 32, 2 * 64 + 2 * 32],
    ]);
    const program = compile(doc, tf);
    expect(program.state.length).toBe(8);
    expect(program.state.reduce((n, v) => n + v.size, 0)).toBe(384);
    expect(program.namedWeights().map((w) => w.name)).toEqual(expect.arrayContaining(['bn1/gamma', 'bn1/beta', 'bn1/moving_mean', 'bn1/moving_variance']));
    program.dispose();
  });

  it('is saved and loaded with the weights', async () => {
    const doc = small();
    const a = compile(doc, tf);
    const b = compile(doc, tf);
    // One training step moves a's moving statistics away from their initial 0 and 1.
    await train({ tf, program: a, data: images(32), settings: { optimizer: 'adam', learningRate: 0.001, batchSize: 32, epochs: 1, seed: 1 } }).done;
    const moved = read(a.namedWeights().filter((w) => w.name.startsWith('bn/moving')));
    expect(moved[0].some((v) => v !== 0)).toBe(true);
    loadWeights(tf, b, await saveWeights(tf, a));
    expect(read(b.namedWeights().filter((w) => w.name.startsWith('bn/moving')))).toEqual(moved);
    a.dispose();
    b.dispose();
  });

  it('is restored with the weights when a loss becomes NaN', async () => {
    const program = compile(small(), tf);
    let lastGood: number[][] | null = null;
    const result = await train({
      tf,
      program,
      data: images(64, 3),
      settings: { optimizer: 'sgd', learningRate: 1e12, batchSize: 8, epochs: 5, seed: 2 },
      onStep: () => {
        lastGood = read(program.namedWeights().filter((w) => w.name.startsWith('bn/')));
      },
    }).done;
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/became (NaN|Infinity|-Infinity)/);
    const now = read(program.namedWeights().filter((w) => w.name.startsWith('bn/')));
    expect(now.flat().every(Number.isFinite)).toBe(true);
    if (lastGood) expect(now).toEqual(lastGood);
    program.dispose();
  });

  it('trains in training mode and reports accuracy as a metric, not a loss term', async () => {
    const program = compile(small(), tf);
    expect(program.terms.map((t) => t.label)).toEqual(['Softmax cross-entropy']);
    expect(program.metrics.map((m) => m.label)).toEqual(['Accuracy']);
    const steps: Record<string, number>[] = [];
    await train({ tf, program, data: images(32), settings: { optimizer: 'adam', learningRate: 0.001, batchSize: 16, epochs: 1, seed: 1 }, onStep: (r) => void steps.push(r.losses) }).done;
    expect(Object.keys(steps[0]).sort()).toEqual(['Accuracy', 'Softmax cross-entropy', 'total']);
    // The total is the objective's sum: the loss term alone, the metric is not in it.
    expect(steps[0].total).toBeCloseTo(steps[0]['Softmax cross-entropy'], 5);
    expect(steps[0].Accuracy).toBeGreaterThanOrEqual(0);
    expect(steps[0].Accuracy).toBeLessThanOrEqual(1);
    program.dispose();
  });
});
