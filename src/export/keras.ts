// The graph as Keras 3: a functional keras.Model per model part, and a training model whose
// train_step computes the losses as wired, the way the Keras VAE tutorial writes it. Also the
// parts as tfjs LayersModels (model.json with modelTopology), for the graphs tfjs-layers can express.
import type { GraphDocument, PortRef } from '../graph/document';
import { pyJson, pyTuple, type KerasExport } from './contract';
import { ExportError, planExport, type ExportPlan, type PartPlan } from './plan';

const count = (n: number) => n.toLocaleString('en-US');

function kerasPlan(doc: GraphDocument): { plan: ExportPlan; exportOf: (id: string) => KerasExport } {
  const plan = planExport(doc, 'toKeras');
  if (plan.loose.length)
    throw new ExportError(`Cannot export to Keras: ${plan.loose.map((id) => `"${id}"`).join(', ')} belong${plan.loose.length > 1 ? '' : 's'} to no model part (neither feeds Sampling nor is fed by it).`);
  const exported = new Map<string, KerasExport>();
  const exportOf = (id: string) => {
    let e = exported.get(id);
    if (!e) exported.set(id, (e = plan.def(id).toKeras!(plan.exportNode(id))));
    return e;
  };
  return { plan, exportOf };
}

export function exportKeras(doc: GraphDocument): string {
  const { plan, exportOf } = kerasPlan(doc);
  const ids = plan.steps.flatMap((s) => ('part' in s ? s.part.nodes : [s.node]));
  const helpers = new Map<string, string>();
  for (const id of ids) for (const [k, v] of Object.entries(exportOf(id).helpers ?? {})) helpers.set(k, v);
  const shape = (r: PortRef) => pyTuple(plan.analysis.nodes[r.node].outputs[r.port]);
  const refs = (rs: PortRef[]) => (rs.length === 1 ? plan.value(rs[0]) : `[${rs.map((r) => plan.value(r)).join(', ')}]`);
  const lines = (id: string, indent: string) => Object.entries(exportOf(id).outputs).map(([port, expr]) => `${indent}${id === plan.objective ? 'total' : plan.value({ node: id, port })} = ${expr}`);

  const parts = plan.parts.flatMap((p) => [
    `# ${p.name}: ${count(p.params)} trainable parameters, as Wirelab's summary counts them.`,
    ...p.inputs.map((r) => `${plan.value(r)} = keras.Input(shape=${shape(r)}, name="${plan.value(r)}")`),
    ...p.nodes.flatMap((id) => lines(id, '')),
    `${p.name} = keras.Model(${refs(p.inputs)}, ${refs(p.outputs)}, name="${p.name}")`,
    '',
  ]);
  const own = plan.steps.flatMap((s) => ('node' in s && exportOf(s.node).module ? [s.node] : []));
  // Dropout and BatchNormalization follow `training`: the batch's statistics in train_step, the moving ones in test_step.
  const body = plan.steps.flatMap((s) =>
    'part' in s ? [`        ${s.part.outputs.map((r) => plan.value(r)).join(', ')} = self.${s.part.name}(${refs(s.part.inputs)}, training=training)`] : lines(s.node, '        '),
  );
  const partNames = plan.parts.map((p) => p.name).join(', ');
  const reported = [...plan.terms, ...plan.metrics];
  const terms = reported.map((t) => plan.value({ node: t.nodeId, port: t.port }));
  const image = plan.value(plan.image.ref);
  const unpack = plan.label ? `${image}, ${plan.value(plan.label)} = data` : `${image} = data[0] if isinstance(data, tuple) else data`;
  const weights = plan.parts.flatMap((p) =>
    p.nodes.flatMap((id) => (exportOf(id).weights ?? []).map((w, i) => `    (${JSON.stringify(`${id}/${w}`)}, "${p.name}", "${plan.name(id)}", ${i}),`)),
  );
  return `#!/usr/bin/env python3
"""${plan.doc.name.replace(/"""/g, "'''").replace(/\\/g, '\\\\')} — exported from Wirelab as Keras 3 (TensorFlow backend).

A functional model per part (${plan.parts.map((p) => `${p.name}: ${count(p.params)} parameters`).join(', ')}) and a training model
whose train_step computes the losses as wired, the way the Keras VAE tutorial writes it.

    python3 model_keras.py --data public/data/${plan.doc.training.dataset} --epochs 10
--init path/to/model starts from weights the app or the CLI saved (the layouts are Keras's already);
--save writes weights the app opens. Keras starts from its own initialisers (Glorot uniform), Wirelab from
Glorot normal, so fresh runs differ in their first steps.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse
import gzip
import json
import struct

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


${[...helpers.values()].map((h) => `${h}\n\n\n`).join('')}${parts.join('\n')}

class Objective(keras.Model):
    """The graph as it trains: the model parts${own.length ? `, ${own.map((id) => plan.name(id)).join(', ')}` : ''} and the losses wired into the Objective."""

    def __init__(self, ${partNames}, **kwargs):
        super().__init__(**kwargs)
${plan.parts.map((p) => `        self.${p.name} = ${p.name}`).join('\n')}
${own.map((id) => `        self.${plan.name(id)} = ${exportOf(id).module}`).join('\n')}
        self.trackers = [keras.metrics.Mean(name=n) for n in ["loss", ${reported.map((t) => `"${plan.name(t.nodeId)}"`).join(', ')}]]

    @property
    def metrics(self):
        return self.trackers

    def compute(self, data, training):
        """The forward pass up to the Objective: the total, then each loss term${plan.metrics.length ? ' and metric' : ''}."""
        ${unpack}
${body.join('\n')}
        return total, [${terms.join(', ')}]

    def report(self, total, values):
        for tracker, value in zip(self.trackers, [total] + values):
            tracker.update_state(value)
        return dict(zip(["loss", ${reported.map((t) => JSON.stringify(t.label)).join(', ')}], [t.result() for t in self.trackers]))

    def train_step(self, data):
        with tf.GradientTape() as tape:
            total, values = self.compute(data, training=True)
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self.report(total, values)

    def test_step(self, data):
        return self.report(*self.compute(data, training=False))


IMAGE_SHAPE = ${pyTuple(plan.image.shape)}
SETTINGS = ${pyJson(doc.training)}
GRAPH = ${pyJson(doc)}
PARTS = {${plan.parts.map((p) => `"${p.name}": ${p.name}`).join(', ')}}
# Our saved weights → (part, layer, index in layer.weights); the layouts are the same.
WEIGHTS = [
${weights.join('\n')}
]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = struct.unpack(f">{rank}I", raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_split(folder, split):
    """One split's images (floats in [0, 1], channels last) and integer labels."""
    images = read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz")).reshape((-1,) + IMAGE_SHAPE)
    return images.astype("float32") / 255, read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz")).astype("int32")


def load_images(folder, limit):
    """The train and test images together, as the tutorial does (and Wirelab trains), with their labels."""
    splits = [load_split(folder, s) for s in ("train", "t10k")]
    images, labels = np.concatenate([s[0] for s in splits]), np.concatenate([s[1] for s in splits])
    return (images[:limit], labels[:limit]) if limit else (images, labels)


def make_optimizer(name, lr):
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, rho=0.9, epsilon=1e-7)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    return keras.optimizers.SGD(learning_rate=lr)


def load_wirelab_weights(folder):
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        meta = json.load(f)
    tensors = {}
    for group in meta["weightsManifest"]:
        blob = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            n = int(np.prod(spec["shape"]))
            tensors[spec["name"]] = np.frombuffer(blob, dtype="<f4", count=n, offset=offset).reshape(spec["shape"])
            offset += 4 * n
    for name, part, layer, index in WEIGHTS:
        PARTS[part].get_layer(layer).weights[index].assign(tensors[name])


def save_wirelab_weights(folder):
    os.makedirs(folder, exist_ok=True)
    specs, chunks = [], []
    for name, part, layer, index in WEIGHTS:
        value = np.asarray(PARTS[part].get_layer(layer).weights[index].numpy(), dtype="<f4")
        specs.append({"name": name, "shape": list(value.shape), "dtype": "float32"})
        chunks.append(value.tobytes())
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        f.write(b"".join(chunks))
    with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
        json.dump({"format": "wirelab-weights", "generatedBy": "Wirelab Keras export", "graph": GRAPH,
                   "weightsManifest": [{"paths": ["weights.bin"], "weights": specs}]}, f, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=f'Train "{GRAPH["name"]}", exported from Wirelab.')
    parser.add_argument("--data", default=os.path.join("public", "data", SETTINGS["dataset"]))
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    parser.add_argument("--batch-size", type=int, default=SETTINGS["batchSize"])
    parser.add_argument("--lr", type=float, default=SETTINGS["learningRate"])
    parser.add_argument("--optimizer", choices=["rmsprop", "adam", "sgd"], default=SETTINGS["optimizer"])
    parser.add_argument("--limit", type=int, default=SETTINGS["limit"])
    parser.add_argument("--init", help="start from a Wirelab model folder (model.json + weights.bin)")
    parser.add_argument("--save", default=os.path.join("runs", "keras-model"), help="write the trained weights to this folder in Wirelab's format ('' to skip)")
    args = parser.parse_args()
    for part in PARTS.values():
        part.summary()
    if args.init:
        load_wirelab_weights(args.init)
    images, labels = load_images(args.data, args.limit)
    objective = Objective(${partNames})
    objective.compile(optimizer=make_optimizer(args.optimizer, args.lr))
    objective.fit(${plan.label ? 'images, labels' : 'images'}, epochs=args.epochs, batch_size=args.batch_size, shuffle=True)${
      plan.metrics.length
        ? `
    # The test split in inference mode (Dropout off, BatchNormalization's moving statistics): the test accuracy.
    test_images, test_labels = load_split(args.data, "t10k")
    objective.evaluate(test_images, test_labels, batch_size=500)`
        : ''
    }
    if args.save:
        save_wirelab_weights(args.save)


if __name__ == "__main__":
    main()
`;
}

/** One part as a tfjs LayersModel: model.json's `modelTopology`, and which of our weights it holds under which name. */
export interface LayersModelExport {
  name: string;
  modelTopology: Record<string, unknown>;
  /** Our weight name (`node/kernel`) → the LayersModel's (`layer/kernel`), in the model's order. */
  weights: { ours: string; theirs: string }[];
}

/**
 * The model parts as tfjs LayersModels. Sampling (a custom layer) and the losses are not layers
 * tfjs-layers knows, so a VAE becomes two models: the encoder (image → μ, log σ²) and the decoder
 * (z → image); a graph without Sampling becomes one.
 */
export function exportLayersModels(doc: GraphDocument): LayersModelExport[] {
  const { plan, exportOf } = kerasPlan(doc);
  return plan.parts.map((part) => layersModel(plan, part, exportOf));
}

function layersModel(plan: ExportPlan, part: PartPlan, exportOf: (id: string) => KerasExport): LayersModelExport {
  const inside = new Set(part.nodes);
  const source = (r: PortRef) => (inside.has(r.node) ? plan.name(r.node) : plan.value(r));
  const layers: Record<string, unknown>[] = part.inputs.map((r) => ({
    name: plan.value(r),
    class_name: 'InputLayer',
    config: { batch_input_shape: [null, ...plan.analysis.nodes[r.node].outputs[r.port]], dtype: 'float32', sparse: false, name: plan.value(r) },
    inbound_nodes: [],
  }));
  const weights: LayersModelExport['weights'] = [];
  for (const id of part.nodes) {
    const layer = exportOf(id).layer;
    if (!layer) throw new ExportError(`tfjs-layers cannot express ${plan.def(id).label} "${id}": it has no such layer.`);
    const wired = plan.doc.edges.filter((e) => e.to.node === id);
    layers.push({ name: plan.name(id), class_name: layer.className, config: layer.config, inbound_nodes: [wired.map((e) => [source(e.from), 0, 0, {}])] });
    for (const w of exportOf(id).weights ?? []) weights.push({ ours: `${id}/${w}`, theirs: `${plan.name(id)}/${w}` });
  }
  return {
    name: part.name,
    modelTopology: {
      class_name: 'Model',
      config: { name: part.name, layers, input_layers: part.inputs.map((r) => [plan.value(r), 0, 0]), output_layers: part.outputs.map((r) => [source(r), 0, 0]) },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weights,
  };
}
