// Bundled by step-equality.spec.ts for the browser: tfjs with its webgpu backend and the core's
// step comparison, exposed as window.stepCheck.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { registerFastConvGradients } from '../../src/compile/conv-gradient';
import type { GraphDocument, OptimizerName } from '../../src/graph/document';
import { compareSteps } from '../../src/train/step-equality';

async function stepCheck(doc: GraphDocument, batches: number[][], optimizer: OptimizerName) {
  if (tf.getBackend() !== 'webgpu' && !(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  await tf.ready();
  registerFastConvGradients(tf);
  const r = await compareSteps(tf, doc, batches.map((b) => Float32Array.from(b)), [28, 28, 1], optimizer);
  return { ...r, backend: tf.getBackend() };
}

(globalThis as unknown as { stepCheck: typeof stepCheck }).stepCheck = stepCheck;
