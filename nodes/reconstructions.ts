import { defineNode, describeShape, noWeights, type Problem } from './define';
import { reconstructions } from '../src/train/plots';

export interface ReconstructionsParams {
  [k: string]: number;
  count: number;
}

export const reconstructionsNode = defineNode<ReconstructionsParams>({
  type: 'reconstructions',
  label: 'Reconstructions',
  category: 'output',
  doc: {
    summary: 'Shows test images beside what the model rebuilds from them: how much survives the bottleneck.',
    formula: '\\hat x = \\text{decoder}(\\mu(x))',
    keras: (p) => `z_mean, _, _ = encoder.predict(x_test[:${p.count}])\nx_hat = decoder.predict(z_mean)`,
    shapes: 'Inputs original and reconstruction: (batch, h, w, c), the same shape.',
  },
  inputs: [
    { name: 'original', label: 'original', kind: 'tensor' },
    { name: 'reconstruction', label: 'reconstruction', kind: 'tensor' },
  ],
  outputs: [],
  params: {
    count: { kind: 'int', label: 'Images', default: 8, min: 1, max: 32, help: 'How many test images to show.', brief: (v) => `${v} images` },
  },
  role: {
    kind: 'plot',
    plot: {
      reads: { original: 'original', decoded: 'reconstruction' },
      images: (p) => 2 * Number(p.count),
      compute: ({ tf, program, nodeId, test }, p) => reconstructions(tf, program, test, { nodeId, count: Number(p.count) }),
    },
  },
  inferShape(inputs) {
    const problems: Problem[] = [];
    if (!inputs.original) problems.push({ port: 'original', message: 'Reconstructions needs the original: wire the Dataset’s image into "original".' });
    if (!inputs.reconstruction) problems.push({ port: 'reconstruction', message: 'Reconstructions needs the decoder’s output in "reconstruction".' });
    if (inputs.original && inputs.reconstruction && inputs.original.join() !== inputs.reconstruction.join())
      problems.push({
        port: 'reconstruction',
        message: `Original is ${describeShape(inputs.original)} but the reconstruction is ${describeShape(inputs.reconstruction)}; they must match.`,
      });
    return problems.length ? { ok: false, problems } : { ok: true, outputs: {} };
  },
  paramCount: () => 0,
  build: () => ({ apply: () => ({}), weights: noWeights }),
});
