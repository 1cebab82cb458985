import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, CompileError, type Program } from '../../src/compile/compile';
import { nodeRandomness } from '../../src/compile/seeds';
import { loadWeights, saveWeights } from '../../src/compile/weights';
import { take, toFloats, type ImageSet } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { klNode } from '../../nodes/kl';
import { bceNode } from '../../nodes/bce';
import { buildContext, preset, tf, wasmBackend } from '../helpers';
import { handWrittenVae } from '../../bench/hand-written-vae';

let images: ImageSet;
beforeAll(async () => {
  await wasmBackend();
  images = take((await loadDatasetFromDisk('fashion-mnist')).test, 16);
});

const batch = (n: number) => tf.tensor4d(toFloats(images, Array.from({ length: n }, (_, i) => i)), [n, 28, 28, 1]);

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('compile', () => {
  let program: Program;
  beforeAll(() => (program = compile(preset('beta-vae'), tf)));
  afterAll(() => program.dispose());

  it('lists the trainable variables explicitly: 134,165 weights in 18 tensors', () => {
    expect(program.variables).toHaveLength(18);
    expect(program.variables.reduce((s, v) => s + v.size, 0)).toBe(69076 + 65089);
  });

  it('names each loss term by its node’s label', () => {
    expect(program.terms.map((t) => t.label).sort()).toEqual(['kl_loss', 'reconstruction_loss', 'β·kl_loss'].sort());
  });

  it('runs the same forward pass as a hand-built tfjs model given the same weights', () => {
    const hand = handWrittenVae(tf);
    const ours = program.namedWeights();
    const theirs = [...hand.encoder.trainableWeights, ...hand.decoder.trainableWeights];
    expect(theirs.map((w) => w.shape)).toEqual(ours.map((w) => w.variable.shape));
    hand.encoder.setWeights(ours.slice(0, 10).map((w) => w.variable));
    hand.decoder.setWeights(ours.slice(10).map((w) => w.variable));
    tf.tidy(() => {
      const x = batch(8);
      const [mu, logVar, image] = program.run(new Map([['data.image', x]]), [
        { node: 'z_mean', port: 'output' },
        { node: 'z_log_var', port: 'output' },
        { node: 'deconv3', port: 'output' },
      ]);
      const [hMu, hLogVar] = hand.encoder.predict(x) as tf.Tensor[];
      expect(maxDiff(mu, hMu)).toBeLessThan(1e-5);
      expect(maxDiff(logVar, hLogVar)).toBeLessThan(1e-5);
      // Outside training, Sampling returns μ: the decoded image is decoder(μ).
      expect(maxDiff(image, hand.decoder.predict(hMu) as tf.Tensor)).toBeLessThan(1e-5);
      expect(maxDiff(program.decode(mu as tf.Tensor2D), image)).toBeLessThan(1e-6);
      expect(maxDiff(program.encode(x), mu)).toBeLessThan(1e-6);
    });
  });

  it('computes the tutorial’s loss: BCE·784 + 10·KL', () => {
    tf.tidy(() => {
      const x = batch(8);
      const [mu, logVar, image] = program.run(new Map([['data.image', x]]), [
        { node: 'z_mean', port: 'output' },
        { node: 'z_log_var', port: 'output' },
        { node: 'deconv3', port: 'output' },
      ]);
      const bce = tf.mul(tf.mean(tf.metrics.binaryCrossentropy(x, image)), 784);
      const kl = tf.mul(-0.5, tf.mean(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar))));
      const [total, rec, klOut] = program.run(new Map([['data.image', x]]), [
        { node: 'objective', port: 'total' },
        { node: 'bce', port: 'loss' },
        { node: 'kl', port: 'loss' },
      ]);
      // tfjs's binaryCrossentropy goes through logits, log(p / (1 − p)), and rounds ~2e-5 away from
      // the exact value in float32 (ours is within 1e-8 of a float64 sum): 0.05 on ~543 is 1e-4.
      expect(rec.dataSync()[0]).toBeCloseTo(bce.dataSync()[0], 1);
      expect(klOut.dataSync()[0]).toBeCloseTo(kl.dataSync()[0], 5);
      expect(total.dataSync()[0]).toBeCloseTo(bce.dataSync()[0] + 10 * kl.dataSync()[0], 1);
    });
  });

  it('saves and loads its weights in tfjs format', async () => {
    const saved = await saveWeights(tf, program);
    expect(saved.json.weightsManifest[0].weights).toHaveLength(18);
    const other = compile(preset('beta-vae'), tf);
    loadWeights(tf, other, saved);
    tf.tidy(() => {
      expect(maxDiff(other.encode(batch(4)), program.encode(batch(4)))).toBe(0);
    });
    other.dispose();
    const ae = compile(preset('autoencoder'), tf);
    expect(() => loadWeights(tf, ae, saved)).toThrow(/different graph|needs/);
    ae.dispose();
  });

  it('every preset compiles', () => {
    for (const name of ['beta-vae', 'vae-beta0', 'autoencoder']) compile(preset(name), tf).dispose();
  });

  it('refuses a graph with a problem on the training path, with its diagnostics', () => {
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'reshape')!.params.targetShape = [7, 7, 32];
    expect(() => compile(doc, tf)).toThrow(CompileError);
  });
});

describe('loss nodes on known numbers', () => {
  it('KL equals its closed form, in both reductions', () => {
    const mu = [1, 0, 0.5, -1];
    const lv = [0, Math.log(2), -1, 0];
    // Per element: −½(1 + lv − μ² − e^lv)
    const per = mu.map((m, i) => -0.5 * (1 + lv[i] - m * m - Math.exp(lv[i])));
    const meanAll = per.reduce((a, b) => a + b) / 4;
    const sumLatent = (per[0] + per[1] + per[2] + per[3]) / 2;
    for (const [reduction, expected] of [['mean', meanAll], ['sum-latent', sumLatent]] as const) {
      const node = klNode.build(buildContext('kl', { mean: [2], logVar: [2] }), { reduction });
      const value = tf.tidy(() => node.apply({ mean: [tf.tensor2d(mu, [2, 2])], logVar: [tf.tensor2d(lv, [2, 2])] }, { training: true }).loss.dataSync()[0]);
      expect(value).toBeCloseTo(expected, 6);
    }
  });

  it('BCE equals tfjs’s binary cross-entropy', () => {
    tf.tidy(() => {
      const x = batch(4);
      const p = tf.sigmoid(tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 7));
      const reference = tf.mean(tf.metrics.binaryCrossentropy(x, p)).dataSync()[0];
      for (const [reduction, factor] of [['mean', 1], ['mean-x-pixels', 784], ['sum', 784]] as const) {
        const node = bceNode.build(buildContext('bce', { target: [28, 28, 1], prediction: [28, 28, 1] }), { reduction });
        expect(node.apply({ target: [x], prediction: [p] }, { training: true }).loss.dataSync()[0]).toBeCloseTo(reference * factor, 3);
      }
    });
  });
});
