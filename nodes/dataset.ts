import { defineNode, noWeights } from './define';

/**
 * The images the model learns from. Its outputs are fed by the training loop, one batch at a time;
 * which dataset is a training setting (`training.dataset`), so it is named in one place only.
 */
export const datasetNode = defineNode<Record<string, never>>({
  type: 'dataset',
  label: 'Dataset',
  category: 'data',
  doc: {
    summary: 'Feeds a batch of the training set’s images (pixel values scaled to 0–1) and their class labels; the image shape is the dataset’s (28×28×1 for Fashion-MNIST).',
    formula: 'x = \\text{pixels} / 255 \\in [0, 1]^{h \\times w \\times c}',
    keras: '(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()\nx = np.expand_dims(x, -1).astype("float32") / 255',
    shapes: 'Outputs image: (batch, h, w, c), the dataset’s image shape; label: (batch,), integer class indices.',
  },
  inputs: [],
  outputs: [
    { name: 'image', label: 'image', kind: 'tensor' },
    { name: 'label', label: 'label', kind: 'labels' },
  ],
  params: {},
  role: { kind: 'dataset', image: 'image', label: 'label' },
  // The shape is the dataset's (src/graph/datasets.ts, or the user's own images).
  inferShape: (_inputs, _p, ctx) => ({ ok: true, outputs: { image: [...ctx.dataset.shape], label: [] } }),
  paramCount: () => 0,
  // The compiler feeds the batch in place of running this node.
  build: () => ({ apply: () => ({}), weights: noWeights }),
});
