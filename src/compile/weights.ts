// Weights in tfjs's format: model.json with a weightsManifest, and the binary weights beside it.
// The graph document travels inside model.json, so a weights folder says which graph it belongs to.
// The optimizer's state (RMSprop's and Adam's accumulators, its step count) travels with them, as
// tfjs-layers saves it: the same weights.bin, manifest entries in the group 'optimizer', with the
// names tfjs's Optimizer.getWeights() gives ('iter', '<variable>/rms', …) — the variable's name
// replaced by the weight's stable name ('conv1/kernel/rms'), since tfjs's names change per compile.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { GraphDocument } from '../graph/document';
import type { Program } from './compile';

export interface SavedModel {
  /** model.json's content. `optimizer`: the optimizer whose state is in the manifest's 'optimizer' group, if any. */
  json: { format: 'wirelab-weights'; generatedBy: string; graph: GraphDocument; weightsManifest: tfjs.io.WeightsManifestConfig; optimizer?: string };
  /** weights.bin's content. */
  weights: ArrayBuffer;
}

/** A tensor with its name, as tfjs's Optimizer.getWeights() gives them. */
export type NamedTensor = Awaited<ReturnType<tfjs.Optimizer['getWeights']>>[number];

/** What saving and restoring need of an optimizer: tfjs's Optimizer API. */
export interface OptimizerWithState {
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weights: NamedTensor[]): Promise<void>;
}

/** The program's weights; with `optimizer`, its state too (`name` is the optimizer's, e.g. 'rmsprop'). */
export async function saveWeights(tf: Tf, program: Program, optimizer?: { name: string; state: OptimizerWithState } | null): Promise<SavedModel> {
  const named = program.namedWeights().map((w) => ({ name: w.name, tensor: w.variable as tfjs.Tensor }));
  const byVariable = new Map(program.namedWeights().map((w) => [w.variable.name, w.name]));
  const state = optimizer ? await optimizer.state.getWeights() : [];
  try {
    const own = state.map((s) => ({ name: stableName(s.name, byVariable), tensor: s.tensor }));
    const { data, specs } = await tf.io.encodeWeights([...named, ...own]);
    const withGroups = specs.map((s, i) => (i >= named.length ? { ...s, group: 'optimizer' as const } : s));
    return {
      json: {
        format: 'wirelab-weights',
        generatedBy: 'Wirelab',
        graph: program.doc,
        weightsManifest: [{ paths: ['weights.bin'], weights: withGroups }],
        ...(optimizer && state.length ? { optimizer: optimizer.name } : {}),
      },
      weights: data,
    };
  } finally {
    // getWeights() makes a new scalar for the step count; the accumulators are the optimizer's own.
    state.filter((s) => s.name === 'iter').forEach((s) => s.tensor.dispose());
  }
}

/** '<variable name>/rms' → '<weight name>/rms'. */
function stableName(name: string, byVariable: Map<string, string>): string {
  for (const [variable, weight] of byVariable) if (name.startsWith(`${variable}/`)) return `${weight}${name.slice(variable.length)}`;
  return name;
}

const isOptimizerEntry = (s: tfjs.io.WeightsManifestEntry) => s.group === 'optimizer';

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

/**
 * The saved optimizer state for `optimizer` (by name), ready for its setWeights(): 'iter' first,
 * then each accumulator kind in the order saved, one per variable in the program's order, renamed
 * to this compile's variables. Null, with the reason, when there is none or it does not fit; the
 * caller disposes the tensors once set.
 */
export function savedOptimizerState(tf: Tf, program: Program, saved: SavedModel, optimizer: string): { state: NamedTensor[] | null; reason: string | null } {
  const specs = saved.json.weightsManifest.flatMap((g) => g.weights);
  if (!specs.some(isOptimizerEntry)) return { state: null, reason: 'the saved weights have no optimizer state' };
  if (saved.json.optimizer !== optimizer) return { state: null, reason: `the optimizer state saved is ${saved.json.optimizer ?? 'of an unknown optimizer'}'s, not ${optimizer}'s` };
  const all = tf.io.decodeWeights(saved.weights, specs);
  const modelNames = new Set(specs.filter((s) => !isOptimizerEntry(s)).map((s) => s.name));
  modelNames.forEach((n) => all[n]?.dispose());
  const own = specs.filter(isOptimizerEntry);
  const used = new Set<string>();
  const fail = (reason: string) => {
    own.forEach((s) => all[s.name]?.dispose());
    return { state: null, reason };
  };
  const iter = all.iter;
  if (!iter) return fail('the optimizer state has no step count');
  const weights = program.namedWeights();
  const byVariable = new Map(weights.map((w) => [w.variable.name, w.name]));
  const state: NamedTensor[] = [{ name: 'iter', tensor: iter }];
  used.add('iter');
  const kinds: string[] = [];
  for (const s of own) {
    const owner = weights.find((w) => s.name.startsWith(`${w.name}/`));
    if (!owner) continue;
    const kind = s.name.slice(owner.name.length + 1);
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  for (const kind of kinds)
    for (const v of program.variables) {
      const weight = byVariable.get(v.name);
      const t = weight ? all[`${weight}/${kind}`] : undefined;
      if (!weight || !t) return fail(`the optimizer state has no "${kind}" for ${weight ?? v.name}`);
      if (t.shape.join() !== v.shape.join()) return fail(`the optimizer's "${weight}/${kind}" is ${t.shape.join('×')}, not ${v.shape.join('×')}`);
      state.push({ name: `${v.name}/${kind}`, tensor: t });
      used.add(`${weight}/${kind}`);
    }
  own.filter((s) => !used.has(s.name)).forEach((s) => all[s.name]?.dispose());
  return { state, reason: null };
}
