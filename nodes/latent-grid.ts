import { defineNode, describeShape, noWeights, type Problem } from './define';
import { latentGrid } from '../src/train/plots';

export interface LatentGridParams {
  [k: string]: number;
  n: number;
  scale: number;
  dimX: number;
  dimY: number;
}

export const latentGridNode = defineNode<LatentGridParams>({
  type: 'latent-grid',
  label: 'Latent grid',
  category: 'output',
  doc: {
    summary:
      'Decodes an evenly spaced n×n grid of latent points and tiles the images, showing what the decoder draws at each place in the latent space.',
    formula: 'z_{ij} = \\big(\\text{linspace}(-s, s, n)_j,\\; \\text{linspace}(s, -s, n)_i\\big), \\quad \\text{tile}_{ij} = \\text{decoder}(z_{ij})',
    keras: (p) =>
      `n, scale = ${p.n}, ${Number.isInteger(p.scale) ? p.scale.toFixed(1) : p.scale}\ngrid_x = np.linspace(-scale, scale, n)\ngrid_y = np.linspace(-scale, scale, n)[::-1]\n` +
      `z = np.zeros(latent_dim); z[${p.dimX}], z[${p.dimY}] = xi, yi  # for each xi in grid_x, yi in grid_y\nx_decoded = decoder.predict(np.array([z]))`,
    shapes: 'Inputs latent: (batch, d), the decoder’s input; image: (batch, h, w, c), its output.',
  },
  inputs: [
    { name: 'latent', label: 'latent z', kind: 'tensor' },
    { name: 'image', label: 'decoded image', kind: 'tensor' },
  ],
  outputs: [],
  params: {
    n: { kind: 'int', label: 'Grid size', default: 10, min: 2, max: 30, help: 'Images per row and per column.', brief: (v) => `${v}×${v} images` },
    scale: { kind: 'float', label: 'Scale', default: 2, min: 0.1, max: 10, step: 0.1, help: 'The grid spans −scale to +scale on each axis.', brief: (v) => `±${v}` },
    dimX: { kind: 'int', label: 'x dimension', default: 0, min: 0, max: 255, help: 'Latent dimension along the x axis; others are held at 0.', brief: (v, p) => `dims ${v}, ${p.dimY}` },
    dimY: { kind: 'int', label: 'y dimension', default: 1, min: 0, max: 255, help: 'Latent dimension along the y axis.', brief: () => null },
  },
  role: {
    kind: 'plot',
    plot: {
      reads: { latent: 'latent', decoded: 'image' },
      images: (p) => Number(p.n) ** 2,
      compute: ({ tf, program, nodeId }, p) => latentGrid(tf, program, { nodeId, n: Number(p.n), scale: Number(p.scale), dimX: Number(p.dimX), dimY: Number(p.dimY) }),
    },
  },
  inferShape(inputs, p) {
    const problems: Problem[] = [];
    if (!inputs.latent) problems.push({ port: 'latent', message: 'Latent grid needs the latent z: wire Sampling’s z (or the bottleneck layer) into "latent".' });
    else if (inputs.latent.length !== 1) problems.push({ port: 'latent', message: `Latent grid needs a latent vector, got ${describeShape(inputs.latent)}.` });
    else if (Math.max(p.dimX, p.dimY) >= inputs.latent[0])
      problems.push({ port: 'latent', message: `The latent space has ${inputs.latent[0]} dimensions (0–${inputs.latent[0] - 1}); set x and y dimension below ${inputs.latent[0]}.` });
    if (!inputs.image) problems.push({ port: 'image', message: 'Latent grid needs the decoded image: wire the decoder’s last layer into "image".' });
    else if (inputs.image.length !== 3) problems.push({ port: 'image', message: `Latent grid draws images [h, w, channels], got ${describeShape(inputs.image)}.` });
    return problems.length ? { ok: false, problems } : { ok: true, outputs: {} };
  },
  paramCount: () => 0,
  build: () => ({ apply: () => ({}), weights: noWeights }),
});
