// Metrics (accuracy) and losses on a held-out set, in inference mode (Dropout passes everything,
// BatchNormalization uses its moving statistics): what a classifier's "test accuracy" means.
import type { Tf } from '../../nodes/define';
import type { Program } from '../compile/compile';
import { imageTensor, labelTensor, type ImageSet } from './data';

/** Each loss term and metric by its label, averaged over the images (each chunk weighted by its size). */
export async function evaluate(tf: Tf, program: Program, set: ImageSet, chunk = 500): Promise<Record<string, number>> {
  const named = [...program.terms, ...program.metrics];
  const sums = new Float64Array(named.length);
  if (!named.length || !set.count) return {};
  for (let start = 0; start < set.count; start += chunk) {
    const indices = Uint32Array.from({ length: Math.min(chunk, set.count - start) }, (_, i) => start + i);
    const stacked = tf.tidy(() => {
      const feeds = program.feeds({ image: imageTensor(tf, set, indices), label: labelTensor(tf, set, indices) });
      return tf.stack(program.run(feeds, named.map((t) => ({ node: t.nodeId, port: t.port })), false));
    });
    const values = await stacked.data();
    stacked.dispose();
    values.forEach((v, i) => (sums[i] += v * indices.length));
  }
  return Object.fromEntries(named.map((t, i) => [t.label, sums[i] / set.count]));
}
