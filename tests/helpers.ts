// Shared by the Node tests: the presets as documents, and the fastest Node backend.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/compile/backend-node';
import { parse } from '../src/graph/parse';
import type { GraphDocument } from '../src/graph/document';

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
