// The tutorial's Keras code ported by hand to tfjs (tfjs-layers models and a custom train step):
// the yardstick the compiled graph is measured against, and checked against in the tests.
import type * as tfjs from '@tensorflow/tfjs';

type TF = typeof tfjs;
type S = tfjs.SymbolicTensor;

export function handWrittenVae(tf: TF) {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', strides: 2, padding: 'same' }).apply(input) as S;
  x = tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', strides: 2, padding: 'same' }).apply(x) as S;
  x = tf.layers.flatten().apply(x) as S;
  x = tf.layers.dense({ units: 16, activation: 'relu' }).apply(x) as S;
  const zMean = tf.layers.dense({ units: 2 }).apply(x) as S;
  const zLogVar = tf.layers.dense({ units: 2 }).apply(x) as S;
  const encoder = tf.model({ inputs: input, outputs: [zMean, zLogVar] });

  const latent = tf.input({ shape: [2] });
  let y = tf.layers.dense({ units: 7 * 7 * 64, activation: 'relu' }).apply(latent) as S;
  y = tf.layers.reshape({ targetShape: [7, 7, 64] }).apply(y) as S;
  y = tf.layers.conv2dTranspose({ filters: 64, kernelSize: 3, activation: 'relu', strides: 2, padding: 'same' }).apply(y) as S;
  y = tf.layers.conv2dTranspose({ filters: 32, kernelSize: 3, activation: 'relu', strides: 2, padding: 'same' }).apply(y) as S;
  y = tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, activation: 'sigmoid', padding: 'same' }).apply(y) as S;
  const decoder = tf.model({ inputs: latent, outputs: y });

  const optimizer = tf.train.rmsprop(0.001, 0.9, 0, 1e-7);
  const variables = [...encoder.trainableWeights, ...decoder.trainableWeights].map((w) => w.read() as tfjs.Variable);

  /** One step of the tutorial's train_step: loss = mean(bce)·784 + 10·KL. Returns the loss tensor. */
  const trainStep = (images: tfjs.Tensor4D): tfjs.Scalar =>
    optimizer.minimize(
      () => {
        const [mu, logVar] = encoder.apply(images, { training: true }) as tfjs.Tensor[];
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), tf.randomNormal(mu.shape)));
        const reconstruction = decoder.apply(z, { training: true }) as tfjs.Tensor;
        const bce = tf.mul(tf.mean(tf.metrics.binaryCrossentropy(images, reconstruction)), 28 * 28);
        const kl = tf.mul(-0.5, tf.mean(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar))));
        return tf.add(bce, tf.mul(10, kl)) as tfjs.Scalar;
      },
      true,
      variables,
    )!;

  return { encoder, decoder, trainStep, dispose: () => optimizer.dispose() };
}
