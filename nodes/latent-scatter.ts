import { defineNode, describeShape, noWeights, type Problem } from './define';
import { latentScatter } from '../src/train/plots';

export interface LatentScatterParams {
  [k: string]: number | string;
  samples: number;
  projection: 'dims' | 'pca';
  dimX: number;
  dimY: number;
}

export const latentScatterNode = defineNode<LatentScatterParams>({
  type: 'latent-scatter',
  label: 'Latent scatter',
  category: 'output',
  doc: {
    summary: 'Encodes test images and plots each one’s μ, coloured by its class: do similar clothes land near each other?',
    formula: '\\mu(x_i) \\text{ for test images } x_i, \\text{ coloured by } y_i',
    keras: (p) =>
      p.projection === 'pca'
        ? `z_mean, _, _ = encoder.predict(x_test[:${p.samples}])\nxy = PCA(n_components=2).fit_transform(z_mean)\nplt.scatter(xy[:, 0], xy[:, 1], c=y_test[:${p.samples}])`
        : `z_mean, _, _ = encoder.predict(x_test[:${p.samples}])\nplt.scatter(z_mean[:, ${p.dimX}], z_mean[:, ${p.dimY}], c=y_test[:${p.samples}])`,
    shapes: 'Inputs mean: (batch, d); label: (batch,).',
  },
  inputs: [
    { name: 'mean', label: 'μ', kind: 'tensor' },
    { name: 'label', label: 'label', kind: 'labels' },
  ],
  outputs: [],
  params: {
    samples: { kind: 'int', label: 'Test images', default: 5000, min: 100, max: 10000, help: 'How many test images to encode and plot.', brief: (v) => `${v.toLocaleString('en-US')} images` },
    projection: {
      kind: 'select',
      label: 'Projection',
      default: 'dims',
      help: 'Which 2-D view of a latent space with more than 2 dimensions.',
      brief: (v) => (v === 'pca' ? 'PCA' : null),
      options: [
        { value: 'dims', label: 'two dimensions' },
        { value: 'pca', label: 'PCA' },
      ],
    },
    dimX: { kind: 'int', label: 'x dimension', default: 0, min: 0, max: 255, help: 'Latent dimension along the x axis.', brief: (v, p) => (p.projection === 'pca' ? null : `dims ${v}, ${p.dimY}`) },
    dimY: { kind: 'int', label: 'y dimension', default: 1, min: 0, max: 255, help: 'Latent dimension along the y axis.', brief: () => null },
  },
  role: {
    kind: 'plot',
    plot: {
      reads: { mean: 'mean' },
      latentMetrics: true,
      images: (p) => Math.min(Number(p.samples), 10000),
      compute: ({ tf, program, nodeId, test, classNames }, p) =>
        latentScatter(tf, program, test, classNames, { nodeId, samples: Number(p.samples), projection: p.projection === 'pca' ? 'pca' : 'dims', dimX: Number(p.dimX), dimY: Number(p.dimY) }),
    },
  },
  inferShape(inputs, p) {
    const problems: Problem[] = [];
    if (!inputs.mean) problems.push({ port: 'mean', message: 'Latent scatter needs μ: wire the encoder’s mean into "mean".' });
    else if (inputs.mean.length !== 1) problems.push({ port: 'mean', message: `Latent scatter needs a latent vector, got ${describeShape(inputs.mean)}.` });
    else if (p.projection === 'dims' && Math.max(p.dimX, p.dimY) >= inputs.mean[0])
      problems.push({ port: 'mean', message: `μ has ${inputs.mean[0]} dimensions; set x and y dimension below ${inputs.mean[0]}.` });
    if (!inputs.label) problems.push({ port: 'label', message: 'Latent scatter needs the labels: wire the Dataset’s label into "label".' });
    return problems.length ? { ok: false, problems } : { ok: true, outputs: {} };
  },
  paramCount: () => 0,
  build: () => ({ apply: () => ({}), weights: noWeights }),
});
