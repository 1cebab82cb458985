// Does the fast step compute what the reference step computes? Trains the same graph from the
// same weights on the same batches both ways and compares the weights. Used by the Node tests (cpu,
// Dawn's WebGPU) and by the browser test (Chromium's WebGPU), so it lives with the core.
import type { Tf } from '../../nodes/define';
import { compile } from '../compile/compile';
import type { GraphDocument, OptimizerName } from '../graph/document';
import { createTrainingStep, type StepKind } from './step';

export interface StepComparison {
  optimizer: OptimizerName;
  steps: number;
  /**
   * The largest, over variables and kept state (moving averages), of ‖fast − reference‖ / ‖reference‖ (L2 over the variable).
   * Element by element the steps differ by float32 rounding (the two backwards sum in different
   * orders: ~1e-6 of a gradient), and RMSprop and Adam divide by √v, so an element whose gradient
   * is nearly zero moves by noise; over a variable the norm measures what training sees.
   */
  worstRelative: number;
  worstVariable: string;
  /** The same, as max|fast − reference| / max|reference| (element by element). */
  worstElementwise: number;
  /** The total loss of the last step, both ways. */
  lastLoss: { fast: number; reference: number };
  /** The last step's [total, ...terms, ...metrics], both ways. */
  lastValues: { fast: number[]; reference: number[] };
}

/**
 * `batches` are images [n, ...shape] as flat floats, `labels` their classes (for graphs that read them). Sampling's ε comes from Math.random through
 * tfjs's randomNormal; both runs draw the same ε by replaying one seeded sequence.
 */
export async function compareSteps(tf: Tf, doc: GraphDocument, batches: Float32Array[], imageShape: number[], optimizer: OptimizerName, learningRate = 0.001, labels?: ArrayLike<number>[]): Promise<StepComparison> {
  const first = compile(doc, tf);
  const initial = first.variables.map((v) => v.clone());
  first.dispose();
  const runOnce = async (kind: StepKind) => {
    const program = compile(doc, tf);
    program.variables.forEach((v, i) => v.assign(initial[i]));
    const step = createTrainingStep(tf, program, optimizer, learningRate, kind);
    const random = Math.random;
    let seed = 20240611;
    Math.random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    let values: number[] = [];
    try {
      for (const [b, floats] of batches.entries()) {
        const n = floats.length / imageShape.reduce((a, b) => a * b, 1);
        const image = tf.tensor4d(floats, [n, ...imageShape] as [number, number, number, number]);
        const label = labels ? tf.tensor1d(Array.from(labels[b]), 'int32') : undefined;
        const losses = step.run(image, label);
        image.dispose();
        label?.dispose();
        values = Array.from(await losses.data());
        losses.dispose();
      }
    } finally {
      Math.random = random;
    }
    const weights = await Promise.all([...program.variables, ...program.state].map(async (v) => ({ name: v.name, values: (await v.data()) as Float32Array })));
    step.dispose();
    program.dispose();
    return { weights, values };
  };
  const reference = await runOnce('reference');
  const fast = await runOnce('fast');
  initial.forEach((t) => t.dispose());
  let worstRelative = 0;
  let worstVariable = '';
  let worstElementwise = 0;
  reference.weights.forEach((r, i) => {
    const f = fast.weights[i].values;
    let diff = 0;
    let scale = 0;
    let diff2 = 0;
    let scale2 = 0;
    for (let j = 0; j < r.values.length; j++) {
      const d = Number.isFinite(f[j]) ? Math.abs(f[j] - r.values[j]) : Infinity;
      diff = Math.max(diff, d);
      scale = Math.max(scale, Math.abs(r.values[j]));
      diff2 += d * d;
      scale2 += r.values[j] * r.values[j];
    }
    worstElementwise = Math.max(worstElementwise, diff / (scale || 1));
    const rel = Math.sqrt(diff2 / (scale2 || 1));
    if (!(rel <= worstRelative)) {
      worstRelative = rel;
      worstVariable = r.name;
    }
  });
  return {
    optimizer,
    steps: batches.length,
    worstRelative,
    worstVariable,
    worstElementwise,
    lastLoss: { fast: fast.values[0], reference: reference.values[0] },
    lastValues: { fast: fast.values, reference: reference.values },
  };
}
