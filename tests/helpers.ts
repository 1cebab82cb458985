// Shared by the Node tests: the presets as documents, and the fastest Node backend.
import { nodeRandomness } from '../src/compile/seeds';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/compile/backend-node';
import { parse } from '../src/graph/parse';
import { DEFAULT_TRAINING, type GraphDocument } from '../src/graph/document';
import { datasetInfo } from '../src/graph/datasets';
import type { BuildContext, InferContext } from '../nodes/define';

export function preset(name: string): GraphDocument {
  const r = parse(JSON.parse(readFileSync(new URL(`../presets/${name}.json`, import.meta.url), 'utf8')));
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.doc;
}

export async function wasmBackend(): Promise<typeof tf> {
  await useNodeBackend(tf, 'wasm');
  return tf;
}

export { tf };

/** What inferShape sees for single wires on Fashion-MNIST (multi-wire ports: pass `wires`). */
export function inferContext(inputs: Record<string, number[]>, wires: Record<string, number[][]> = {}): InferContext {
  return { wires: { ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, [v]])), ...wires }, dataset: datasetInfo(DEFAULT_TRAINING) };
}

/** A BuildContext for building one node by hand, with tfjs's own transposed conv. */
export function buildContext(nodeId: string, inputShapes: Record<string, number[]>, wires: Record<string, number[][]> = {}): BuildContext {
  const ctx = inferContext(inputShapes, wires);
  return {
    tf,
    nodeId,
    inputShapes,
    inputWires: ctx.wires,
    dataset: ctx.dataset,
    conv2dTranspose: (x, f, out, s, pad) => tf.conv2dTranspose(x, f, out, s, pad),
    ...nodeRandomness(tf, 1, nodeId),
  };
}
