// A worker thread of data-parallel training (src/train/parallel.ts): its own tfjs instance on its
// own core, the same compiled program; per step it takes the current weights and a shard of the
// batch and returns the shard's losses and gradient. It never updates weights itself.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend, type NodeBackendName } from '../compile/backend-node';
import { compile } from '../compile/compile';
import { assignFlat, flatten, shardGradients, variableSizes } from './shard';
import type { FromWorker, ToWorker, WorkerSetup } from './parallel-protocol';

const port = parentPort!;
const setup = workerData as WorkerSetup;

try {
  await useNodeBackend(tf, setup.backend as NodeBackendName);
  const program = compile(setup.doc, tf, { seed: setup.seed });
  const one = setup.fast ? tf.keep(tf.scalar(1)) : undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type !== 'step') return;
    const start = performance.now();
    try {
      for (const [nodeId, name, value] of message.params) program.setParam(nodeId, name, value);
      assignFlat(tf, program, message.weights);
      const image = tf.tensor4d(message.images, message.shape);
      const label = message.label && tf.tensor1d(message.label.values, message.label.dtype);
      const result = shardGradients(tf, program, { image, label }, one);
      tf.dispose([image, ...(label ? [label] : [])]);
      const grads = flatten(result.grads);
      const losses = Float32Array.from(result.losses.dataSync());
      tf.dispose([result.losses, ...result.grads]);
      const reply: FromWorker = { type: 'shard', id: message.id, losses, grads, ms: performance.now() - start };
      port.postMessage(reply, [grads.buffer, losses.buffer]);
    } catch (e) {
      port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'ready', backend: tf.getBackend(), sizes: variableSizes(program) } satisfies FromWorker);
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies FromWorker);
}
