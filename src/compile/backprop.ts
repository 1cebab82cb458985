// The fast step's forward and backward over the graph, without tfjs's tape: each node's `step`
// runs its forward and hands back how to compute its gradients, and the gradients flow from the
// Objective back over the wires in reverse run order (summed where a port feeds several wires).
// No tape means no saved-tensor copies, no gradient of the images, and no per-op bookkeeping
// kernels; the nodes' own backwards use fused kernels (see fused-ops.ts). A node without a `step`
// (Add, Concatenate, a layer with an unfused activation...) is differentiated by tfjs for that node
// alone: its forward runs again under a local tape in the backward. Metrics are computed in the
// same forward, with no gradient.
import type * as tfjs from '@tensorflow/tfjs';
import type { BuiltNode, NodeDefinition, StepPart, Tensor, Tf } from '../../nodes/define';
import { portKey, type PortRef } from '../graph/document';

export interface GraphParts {
  order: string[];
  built: Map<string, BuiltNode>;
  defs: Map<string, NodeDefinition>;
  incoming: Map<string, { port: string; from: PortRef }[]>;
  /** Nodes the Objective needs. */
  needed: Set<string>;
  /** Nodes the metrics need beyond those (run forward only, in training mode as the reference step runs them). */
  metricNeeded: Set<string>;
  /** Each metric's node and output port. */
  metricPorts: PortRef[];
  objectiveId: string;
  termIds: string[];
  variables: tfjs.Variable[];
}

export interface Gradients {
  total: tfjs.Scalar;
  terms: tfjs.Scalar[];
  metrics: tfjs.Scalar[];
  /** In the order of `variables`. */
  grads: tfjs.Tensor[];
}

/**
 * Whether the whole step can run without the global tape: every node on the training path has a
 * fast step, or may be run twice (its forward again in the backward). A node that keeps state
 * (BatchNormalization's moving averages) would update it twice, so it needs its own step; so would a
 * node that draws noise (Sampling, Dropout have theirs).
 */
export function canBackprop(g: GraphParts): boolean {
  const trains = nodesWithGradient(g);
  return g.order.every((id) => {
    const b = g.built.get(id);
    return !g.needed.has(id) || !b || !trains.has(id) || !!b.step || !b.state?.().length;
  });
}

/**
 * A node without a fast step, differentiated by tfjs: the forward as `apply` runs it, and in the
 * backward the same forward again under a local tape for the vector-Jacobian product (only this
 * node's ops are recorded). Needs a node that computes the same thing twice (no noise, no state).
 */
function tapeStep(tf: Tf, node: BuiltNode, inputs: Record<string, Tensor[]>): StepPart {
  const outputs = node.apply(inputs, { training: true });
  return {
    outputs,
    backward(grads, wanted) {
      const ports = Object.keys(inputs).filter((p) => wanted.has(p));
      const weights = node.weights().map((w) => w.variable);
      // One tensor per wire: the tape sums a tensor's gradients over all its uses, so a value wired
      // in twice (Add(x, x)) gets a copy for its second wire, and each wire its own gradient.
      const seen = new Set<Tensor>();
      const own = Object.fromEntries(Object.entries(inputs).map(([p, ts]) => [p, wanted.has(p) ? ts.map((t) => (seen.has(t) ? tf.clone(t) : (seen.add(t), t))) : ts]));
      const xs = [...ports.flatMap((p) => own[p]), ...weights];
      const withGrad = Object.keys(outputs).filter((o) => grads[o]);
      if (!withGrad.length || !xs.length) return { inputs: {}, weights: [] };
      // One output (every such node today): its gradient is dy; several: Σ⟨output, dy⟩ has them all.
      const f =
        withGrad.length === 1
          ? () => node.apply(own, { training: true })[withGrad[0]]
          : () => {
              const out = node.apply(own, { training: true });
              return tf.addN(withGrad.map((o) => tf.sum(tf.mul(out[o], grads[o]!))));
            };
      const { value, grads: dxs } = tf.engine().gradients(f, xs, withGrad.length === 1 ? grads[withGrad[0]] : undefined, true);
      value.dispose();
      const byPort: Record<string, (Tensor | undefined)[]> = {};
      let k = 0;
      for (const p of ports) byPort[p] = own[p].map(() => dxs[k++] ?? undefined);
      return { inputs: byPort, weights: weights.map((_, i) => dxs[k + i]) };
    },
  };
}

/** Nodes that own weights or read from one that does: gradients flow through them. */
function nodesWithGradient(g: GraphParts): Set<string> {
  const out = new Set<string>();
  for (const id of g.order) {
    const b = g.built.get(id);
    if ((b && b.weights().length > 0) || (g.incoming.get(id) ?? []).some((e) => out.has(e.from.node))) out.add(id);
  }
  return out;
}

/** One forward and backward; call inside a tidy. `feeds` are the batch's port values. */
export function backprop(tf: Tf, g: GraphParts, feeds: Map<string, Tensor>, one: tfjs.Scalar): Gradients {
  const trains = nodesWithGradient(g);
  const values = new Map(feeds);
  const parts = new Map<string, StepPart>();
  for (const id of g.order) {
    const forMetrics = !g.needed.has(id) && g.metricNeeded.has(id);
    if ((!g.needed.has(id) && !forMetrics) || !g.built.has(id)) continue;
    const def = g.defs.get(id)!;
    if (def.outputs.length && def.outputs.every((o) => values.has(`${id}.${o.name}`))) continue;
    const inputs: Record<string, Tensor[]> = {};
    for (const { port, from } of g.incoming.get(id) ?? []) {
      const v = values.get(portKey(from));
      if (!v) throw new Error(`No value for ${portKey(from)}, needed by ${id}.${port}.`);
      (inputs[port] ??= []).push(v);
    }
    const node = g.built.get(id)!;
    let out: Record<string, Tensor>;
    if (trains.has(id) && !forMetrics) {
      const part = node.step ? node.step(inputs) : tapeStep(tf, node, inputs);
      parts.set(id, part);
      out = part.outputs;
    } else out = node.apply(inputs, { training: true });
    for (const [port, t] of Object.entries(out)) values.set(`${id}.${port}`, t);
  }
  const total = values.get(`${g.objectiveId}.total`) as tfjs.Scalar;
  const terms = g.termIds.map((id) => values.get(`${id}.loss`) as tfjs.Scalar);
  const metrics = g.metricPorts.map((p) => values.get(portKey(p)) as tfjs.Scalar);

  // Backward: d total / d total = 1, kept by the caller (no scalar made per step).
  const grads = new Map<string, Tensor>([[`${g.objectiveId}.total`, one]]);
  const weightGrads = new Map<tfjs.Variable, Tensor>();
  for (const id of [...g.order].reverse()) {
    const part = parts.get(id);
    if (!part) continue;
    const def = g.defs.get(id)!;
    const dOut: Record<string, Tensor | undefined> = {};
    let any = id === g.objectiveId;
    for (const o of def.outputs) {
      dOut[o.name] = grads.get(`${id}.${o.name}`);
      any ||= !!dOut[o.name];
    }
    if (id === g.objectiveId) dOut.total = one;
    if (!any) continue;
    const wires = g.incoming.get(id) ?? [];
    const wanted = new Set(wires.filter((e) => trains.has(e.from.node)).map((e) => e.port));
    const back = part.backward(dOut, wanted);
    const seen: Record<string, number> = {};
    for (const { port, from } of wires) {
      const k = seen[port] ?? 0;
      seen[port] = k + 1;
      const d = back.inputs[port]?.[k];
      if (!d || !trains.has(from.node)) continue;
      const key = portKey(from);
      const prev = grads.get(key);
      grads.set(key, prev ? tf.add(prev, d) : d);
    }
    g.built
      .get(id)!
      .weights()
      .forEach((w, i) => {
        if (back.weights[i]) weightGrads.set(w.variable, back.weights[i]);
      });
  }
  return {
    total,
    terms,
    metrics,
    grads: g.variables.map((v) => {
      const d = weightGrads.get(v);
      if (!d) throw new Error(`The fast step found no gradient for ${v.name}.`);
      return d;
    }),
  };
}
