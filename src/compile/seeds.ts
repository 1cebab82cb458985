// Seeds for everything random in a model: each node draws from its own generator, seeded by
// training.seed and the node's id (not build order), so the same seed gives the same initial
// weights and the same Sampling noise, step by step, on the same backend.
import type { BuildContext, Tf } from '../../nodes/define';
import { seededRandom } from '../train/data';

/** FNV-1a: a node id as a 32-bit number. */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The random part of a node's BuildContext. */
export function nodeRandomness(tf: Tf, seed: number, nodeId: string): Pick<BuildContext, 'nextSeed' | 'kernelInitializer'> {
  const random = seededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashId(nodeId)) >>> 0);
  // Never 0: tfjs treats a seed of 0 as "no seed" and draws from Math.random.
  const nextSeed = () => 1 + Math.floor(random() * 0xfffffffe);
  return {
    nextSeed,
    // Glorot uniform is Keras's (and tfjs's) default for Dense and the convolutions; only the seed is ours.
    kernelInitializer: () => tf.initializers.glorotUniform({ seed: nextSeed() }),
  };
}
