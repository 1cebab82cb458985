// The node contract, checked over every registered node type: the built layer's output shapes equal
// inferShape's, its weights hold exactly the counted parameters (trainable and not), gradients reach
// every trainable weight, nothing leaks tensors, and the teaching text is filled in. A new node type
// passes this without touching the test, unless no input shape below fits it.
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { nodeTypes } from '../../nodes';
import { defaultParams, docText, product, type NodeDefinition, type Tensor } from '../../nodes/define';
import type { Shape } from '../../src/graph/document';
import { buildContext, inferContext, tf } from '../helpers';

/** Shapes tried on every tensor port, in order; the first combination inferShape accepts is used. */
const CANDIDATES: Shape[] = [[8, 8, 3], [10], [6, 6, 4], [3136]];
const BATCH = 4;

/** For each input port: the shape of each of its wires (two wires on a multi-wire port). */
function fittingInputs(def: NodeDefinition): { inputs: Record<string, Shape>; wires: Record<string, Shape[]>; outputs: Record<string, Shape> } | null {
  const tensorPorts = def.inputs.filter((p) => p.kind === 'tensor');
  const combos: Shape[][] = [[]];
  for (let i = 0; i < tensorPorts.length; i++) combos.splice(0, combos.length, ...combos.flatMap((c) => CANDIDATES.map((s) => [...c, s])));
  const params = defaultParams(def);
  for (const combo of combos) {
    const wires: Record<string, Shape[]> = {};
    for (const p of def.inputs) {
      const shape = p.kind === 'tensor' ? combo[tensorPorts.indexOf(p)] : [];
      wires[p.name] = p.multiple ? [shape, shape] : [shape];
    }
    const inputs = Object.fromEntries(Object.entries(wires).map(([k, v]) => [k, v[0]]));
    const r = def.inferShape(inputs, params, inferContext(inputs, wires));
    if (r.ok) return { inputs, wires, outputs: r.outputs };
  }
  return null;
}

const sizeOf = (vs: { variable: { size: number } }[]) => vs.reduce((n, v) => n + v.variable.size, 0);

describe('every registered node type meets the contract', () => {
  for (const def of nodeTypes) {
    describe(def.type, () => {
      it('has its teaching text, params help and Keras equivalent', () => {
        expect(def.label.length).toBeGreaterThan(1);
        expect(def.doc.summary.length).toBeGreaterThan(30);
        // The formula and the Keras line may be written from the node's params and input shapes.
        const wiring = fittingInputs(def);
        const text = (t: typeof def.doc.keras) => docText(t, defaultParams(def), wiring?.inputs ?? {});
        expect(text(def.doc.formula).length).toBeGreaterThan(3);
        expect(text(def.doc.keras).length).toBeGreaterThan(5);
        expect(def.doc.shapes.length).toBeGreaterThan(5);
        for (const [name, spec] of Object.entries(def.params)) {
          expect(spec.help.length, name).toBeGreaterThan(10);
          expect(spec.label.length, name).toBeGreaterThan(0);
        }
        expect(Object.keys(defaultParams(def))).toEqual(Object.keys(def.params));
        // The inspector typesets the formula with KaTeX: it must parse.
        expect(() => katex.renderToString(text(def.doc.formula), { throwOnError: true, displayMode: true, trust: false, output: 'html' })).not.toThrow();
      });

      it('infers shapes for some input, and the built node agrees: shapes, parameter counts, gradients, no leaks', () => {
        const fit = fittingInputs(def);
        expect(fit, `no input shape in ${JSON.stringify(CANDIDATES)} fits ${def.type}; add one`).not.toBeNull();
        const { inputs, wires, outputs } = fit!;
        // Plot nodes are drawn by their role's compute (tested in tests/train/plots.test.ts), the Dataset is fed by the loop.
        if (def.role?.kind === 'plot' || def.role?.kind === 'dataset') return;
        const params = defaultParams(def);
        const before = tf.memory().numTensors;
        const built = def.build(buildContext(def.type, inputs, wires), params);
        const weights = built.weights();
        const state = built.state?.() ?? [];
        expect(sizeOf(weights), 'trainable weights = paramCount').toBe(def.paramCount(inputs, params));
        expect(sizeOf(state), 'non-trainable state = stateCount').toBe(def.stateCount?.(inputs, params) ?? 0);
        expect(weights.every((w) => w.variable.trainable)).toBe(true);

        const classes = 10;
        const feed = (): Record<string, Tensor[]> =>
          Object.fromEntries(
            def.inputs.map((p) => [
              p.name,
              wires[p.name].map((shape, k) =>
                p.kind === 'labels'
                  ? tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i * 3 + k) % classes), 'int32')
                  : p.kind === 'loss'
                    ? tf.scalar(0.5 + k)
                    : tf.randomUniform([BATCH, ...shape], 0.05, 0.95, 'float32', 11 + k),
              ),
            ]),
          );
        // The values a node yields: its declared outputs, plus the objective's total or a metric's number.
        const role = def.role;
        const expected: Record<string, Shape> = { ...outputs };
        if (role?.kind === 'objective') expected[role.total] = [];
        if (role?.kind === 'metric') expected[role.output] = [];
        const kinds = Object.fromEntries(def.outputs.map((o) => [o.name, o.kind]));
        for (const training of [true, false]) {
          tf.tidy(() => {
            const out = built.apply(feed(), { training });
            expect(Object.keys(out).sort()).toEqual(Object.keys(expected).sort());
            for (const [port, shape] of Object.entries(expected)) {
              const want = kinds[port] === 'tensor' ? [BATCH, ...shape] : shape;
              expect(out[port].shape, `${port} (training ${training})`).toEqual(want);
              expect(Array.from(out[port].dataSync()).every(Number.isFinite)).toBe(true);
            }
          });
        }

        if (weights.length) {
          tf.tidy(() => {
            const x = feed();
            // A fixed random weighting of every output, so no gradient cancels by symmetry (BatchNormalization's γ under a plain sum).
            const { grads } = tf.variableGrads(() => {
              const out = built.apply(x, { training: true });
              return tf.addN(Object.values(out).map((t, i) => tf.sum(tf.mul(t, tf.randomNormal(t.shape, 0, 1, 'float32', 5 + i))))) as ReturnType<typeof tf.scalar>;
            }, weights.map((w) => w.variable));
            for (const w of weights) {
              const g = grads[w.variable.name];
              expect(g, `gradient for ${w.name}`).toBeDefined();
              const values = g.dataSync();
              expect(values.length).toBe(product(w.variable.shape));
              expect(Array.from(values).some((v) => v !== 0), `gradient reaches ${w.name}`).toBe(true);
            }
          });
        }
        built.dispose?.();
        expect(tf.memory().numTensors, 'tensors left after dispose').toBe(before);
      });
    });
  }
});
