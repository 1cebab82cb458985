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
    summary: 'Feeds a batch of the training set’s 28×28 grey images (pixel values scaled to 0–1) and their class labels.',
    formula: 'x = \\text{pixels} / 255 \\in [0, 1]^{28 \\times 28 \\times 1}',
    keras: '(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()\nx = np.expand_dims(x, -1).astype("float32") / 255',
    shapes: 'Outputs image: (batch, 28, 28, 1); label: (batch,).',
  },
  inputs: [],
  outputs: [
    { name: 'image', label: 'image', kind: 'tensor' },
    { name: 'label', label: 'label', kind: 'labels' },
  ],
  params: {},
  inferShape: () => ({ ok: true, outputs: { image: [28, 28, 1], label: [] } }),
  paramCount: () => 0,
  // The compiler feeds the batch in place of running this node.
  build: () => ({ apply: () => ({}), weights: noWeights }),
});
