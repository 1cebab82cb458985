// The dataset registry: each dataset's image shape and class names, the one place that says what a
// sample looks like. The Dataset node's output shape, the data pipeline, the plots and the CLI read
// it from here (the loaders, which need I/O, are in src/train/data.ts). A user's own images are
// described in the document itself (`training.custom`), since only the user has the files.
import type { DatasetInfo } from '../../nodes/define';
import type { DatasetName, TrainingSettings } from './document';

export interface RegisteredDataset extends DatasetInfo {
  label: string;
  /** The four IDX files, served under data/<name>/ (public/data in the repo). */
  files: { trainImages: string; trainLabels: string; testImages: string; testLabels: string };
}

const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export const DATASETS: Record<Exclude<DatasetName, 'custom'>, RegisteredDataset> = {
  'fashion-mnist': {
    name: 'fashion-mnist',
    label: 'Fashion-MNIST',
    shape: [28, 28, 1],
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    files: MNIST_FILES,
  },
  mnist: {
    name: 'mnist',
    label: 'MNIST',
    shape: [28, 28, 1],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    files: MNIST_FILES,
  },
};

export const isRegisteredDataset = (name: string): name is Exclude<DatasetName, 'custom'> => Object.prototype.hasOwnProperty.call(DATASETS, name);

/** What the graph's training data looks like: a registered dataset, or the user's own images as the document describes them. */
export function datasetInfo(training: Pick<TrainingSettings, 'dataset' | 'custom'>): DatasetInfo {
  if (training.dataset === 'custom' && training.custom) return { name: training.custom.name, shape: [...training.custom.shape], classNames: training.custom.classNames };
  const d = isRegisteredDataset(training.dataset) ? DATASETS[training.dataset] : DATASETS['fashion-mnist'];
  return { name: d.name, shape: [...d.shape], classNames: d.classNames };
}

/** Values per image: height × width × channels. */
export const imageSize = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
