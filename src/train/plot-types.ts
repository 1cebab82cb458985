// What the output nodes draw, as plain data: computed where tfjs runs (the worker, the CLI),
// and only these pixels and points cross to the page.

/** An image, row-major, values 0–255: grey (one channel, the default), RGB or RGBA, interleaved. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8ClampedArray;
  /** Values per pixel: 1 (grey, the default), 3 (RGB) or 4 (RGBA). */
  channels?: number;
}

export interface LatentGridPlot {
  kind: 'latent-grid';
  nodeId: string;
  n: number;
  /** Tick values: x left to right, y top to bottom (top is +scale, as the tutorial). */
  xs: number[];
  ys: number[];
  dimX: number;
  dimY: number;
  /** The n×n decoded images tiled into one. */
  image: GreyImage;
}

export interface LatentScatterPlot {
  kind: 'latent-scatter';
  nodeId: string;
  /** Interleaved x, y per point. */
  points: Float32Array;
  labels: Uint8Array;
  /** Index of each point's test image, so hovering can show it. */
  imageIndex: Uint32Array;
  classNames: readonly string[];
  axes: [string, string];
  /** 'dims': two latent dimensions as they are; 'pca': the top two principal components of μ. */
  projection: 'dims' | 'pca';
  /** How many dimensions μ has. */
  latentDims: number;
}

export interface ReconstructionsPlot {
  kind: 'reconstructions';
  nodeId: string;
  /** Originals on the top row, reconstructions below. */
  image: GreyImage;
  count: number;
}

export type Plot = LatentGridPlot | LatentScatterPlot | ReconstructionsPlot;

export interface LatentMetrics {
  /** k-NN (k = 5) accuracy of a test image's class from its μ among the training μ's. */
  knnAccuracy: number;
  k: number;
  meanPerDim: number[];
  variancePerDim: number[];
  /** The KL term of each latent dimension, averaged over the test images. */
  /** Empty when the graph has no log σ² (a plain autoencoder). */
  klPerDim: number[];
  /** How many training and test images the metrics were computed on. */
  trainSamples: number;
  testSamples: number;
}
