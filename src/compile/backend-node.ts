/**
 * Choosing a tfjs backend for training in Node (CLI, benchmarks, tests).
 *
 * 'cpu'       tfjs's cpu backend with the fast conv filter gradients registered.
 * 'wasm'      @tensorflow/tfjs-backend-wasm (XNNPACK) with the fast conv filter
 *             gradients registered — required there, as the wasm backend has no
 *             Conv2DBackpropFilter kernel.
 * 'cpu-stock' tfjs's cpu backend with tfjs's own gradients, for comparison.
 *
 * The gradient registry is global to tfjs: selecting 'cpu-stock' restores tfjs's
 * own conv gradients, selecting 'cpu' or 'wasm' installs the fast ones.
 */
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { registerFastConvGradients, unregisterFastConvGradients } from './conv-gradient';
import { registerWasmKernels } from './wasm-kernels';

type TF = typeof tfjs;

export type NodeBackendName = 'cpu' | 'wasm' | 'cpu-stock';

/** Directory (with trailing separator) holding tfjs-backend-wasm's .wasm binaries. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  // The package's Node entry (dist/tf-backend-wasm.node.js) sits next to the binaries.
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  return dirname(entry) + sep;
}

let wasmPathsSet = false;

async function loadWasmBackend(tf: TF): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet && tf.findBackend('wasm') === null) {
    // In Node the Emscripten loader reads the binary with fs from this prefix.
    // Must happen before the backend is first initialised.
    wasm.setWasmPaths(wasmBinaryDir());
    wasmPathsSet = true;
  }
}

/**
 * Sets the tfjs backend for Node and (for 'cpu' and 'wasm') registers the fast
 * conv gradients. Returns the tfjs backend name now active ('cpu' or 'wasm').
 * Throws if the backend cannot be initialised.
 */
export async function useNodeBackend(tf: TF, name: NodeBackendName): Promise<string> {
  const backend = name === 'wasm' ? 'wasm' : 'cpu';
  if (name === 'wasm') await loadWasmBackend(tf);
  // setBackend resolves false (after logging) when initialisation fails.
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) {
    throw new Error(`useNodeBackend: could not initialise the tfjs '${backend}' backend`);
  }
  await tf.ready();
  if (name === 'wasm') registerWasmKernels(tf);
  if (name === 'cpu-stock') unregisterFastConvGradients(tf);
  else registerFastConvGradients(tf);
  return tf.getBackend();
}

export interface FastestBackend {
  backend: 'wasm' | 'cpu';
  /** Why wasm was not used, when it was not. */
  fallbackReason?: string;
}

/** Tries the wasm backend, falling back to cpu (both with the fast conv gradients). */
export async function fastestNodeBackend(tf: TF): Promise<FastestBackend> {
  try {
    await useNodeBackend(tf, 'wasm');
    return { backend: 'wasm' };
  } catch (err) {
    const fallbackReason = err instanceof Error ? err.message : String(err);
    await useNodeBackend(tf, 'cpu');
    return { backend: 'cpu', fallbackReason };
  }
}
