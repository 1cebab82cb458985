import { defineNode, noWeights } from './define';

export interface DatasetParams {
  [k: string]: string;
  dataset: 'fashion-mnist' | 'mnist';
}

/** The images the model learns from. Its outputs are fed by the training loop, one batch at a time. */
export const datasetNode = defineNode<DatasetParams>({
  type: 'dataset',
  label: 'Dataset',
  category: 'data',
  doc: {
    summary: 'Feeds a batch of 28×28 grey images (pixel values scaled to 0–1) and their class labels.',
    formula: 'x = \\text{pixels} / 255 \\in [0, 1]^{28 \\times 28 \\times 1}',
    keras: '(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()\nx = np.expand_dims(x, -1).astype("float32") / 255',
    shapes: 'Outputs image: (batch, 28, 28, 1); label: (batch,).',
  },
  inputs: [],
  outputs: [
    { name: 'image', label: 'image', kind: 'tensor' },
    { name: 'label', label: 'label', kind: 'labels' },
  ],
  params: {
    dataset: {
      kind: 'select',
      label: 'Dataset',
      default: 'fashion-mnist',
      help: 'Fashion-MNIST: 70,000 photos of clothes in 10 classes. MNIST: handwritten digits.',
      options: [
        { value: 'fashion-mnist', label: 'Fashion-MNIST' },
        { value: 'mnist', label: 'MNIST' },
      ],
    },
  },
  inferShape: () => ({ ok: true, outputs: { image: [28, 28, 1], label: [] } }),
  paramCount: () => 0,
  // The compiler feeds the batch in place of running this node.
  build: () => ({ apply: () => ({}), weights: noWeights }),
});
