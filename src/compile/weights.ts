// Weights in tfjs's format: model.json with a weightsManifest, and the binary weights beside it.
// The graph document travels inside model.json, so a weights folder says which graph it belongs to.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { GraphDocument } from '../graph/document';
import type { Program } from './compile';

export interface SavedModel {
  /** model.json's content. */
  json: { format: 'wirelab-weights'; generatedBy: string; graph: GraphDocument; weightsManifest: tfjs.io.WeightsManifestConfig };
  /** weights.bin's content. */
  weights: ArrayBuffer;
}

export async function saveWeights(tf: Tf, program: Program): Promise<SavedModel> {
  const named = program.namedWeights().map((w) => ({ name: w.name, tensor: w.variable as tfjs.Tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  return {
    json: { format: 'wirelab-weights', generatedBy: 'Wirelab', graph: program.doc, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] },
    weights: data,
  };
}

/** Loads saved weights into a compiled program; says which weight is missing or the wrong shape. */
export function loadWeights(tf: Tf, program: Program, saved: SavedModel): void {
  const specs = saved.json.weightsManifest.flatMap((g) => g.weights);
  const tensors = tf.io.decodeWeights(saved.weights, specs);
  try {
    for (const { name, variable } of program.namedWeights()) {
      const t = tensors[name];
      if (!t) throw new Error(`The saved weights have no "${name}"; they belong to a different graph.`);
      if (t.shape.join() !== variable.shape.join())
        throw new Error(`Saved weight "${name}" is ${t.shape.join('×')} but the graph needs ${variable.shape.join('×')}.`);
    }
    for (const { name, variable } of program.namedWeights()) variable.assign(tensors[name]);
  } finally {
    Object.values(tensors).forEach((t) => t.dispose());
  }
}
