// The Keras script compiles and holds the layers, parts and losses as wired (TensorFlow cannot be
// installed here, so Python's own parser reads it); the tfjs LayersModels load with
// tf.loadLayersModel over HTTP and compute what our compiled graph computes.
import { createServer, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile';
import { exportKeras } from '../../src/export/keras';
import { exportTorch } from '../../src/export/torch';
import { writeLayersModels } from '../../src/cli/export-command';
import { analyze } from '../../src/graph/analyze';
import type { GraphDocument } from '../../src/graph/document';
import { toFloats } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { presets } from '../../presets';
import { preset, tf } from '../helpers';
import { PYTHON, run, tempDir, writeModel } from './python';

// Python's ast: every `layers.X(...)(...)` call with its arguments, the keras.Model calls, and the lines of
// compute() (the forward pass train_step and test_step share).
const READ_SCRIPT = String.raw`
import ast, json, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
out = {"layers": [], "models": [], "compute": [], "functions": []}
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
        call = node.value
        target = node.targets[0].id if isinstance(node.targets[0], ast.Name) else None
        inner = call.func
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and getattr(inner.func.value, "id", None) == "layers":
            out["layers"].append({"var": target, "class": inner.func.attr, "args": [ast.literal_eval(a) for a in inner.args],
                                  "kwargs": {k.arg: ast.literal_eval(k.value) for k in inner.keywords}, "input": ast.unparse(call.args[0])})
        if isinstance(call.func, ast.Attribute) and call.func.attr == "Model" and getattr(call.func.value, "id", None) == "keras":
            out["models"].append({"var": target, "inputs": ast.unparse(call.args[0]), "outputs": ast.unparse(call.args[1])})
    if isinstance(node, ast.FunctionDef):
        out["functions"].append(node.name)
        if node.name == "compute":
            out["compute"] = [ast.unparse(s) for s in ast.walk(node) if isinstance(s, ast.Assign)]
print(json.dumps(out))
`;

interface ReadScript {
  layers: { var: string; class: string; args: (number | number[])[]; kwargs: Record<string, string | number | boolean>; input: string }[];
  models: { var: string; inputs: string; outputs: string }[];
  compute: string[];
  functions: string[];
}

const KERAS_CLASS: Record<string, string> = {
  conv2d: 'Conv2D',
  'conv2d-transpose': 'Conv2DTranspose',
  dense: 'Dense',
  flatten: 'Flatten',
  reshape: 'Reshape',
  'max-pooling2d': 'MaxPooling2D',
  'average-pooling2d': 'AveragePooling2D',
  'global-average-pooling2d': 'GlobalAveragePooling2D',
  'up-sampling2d': 'UpSampling2D',
  dropout: 'Dropout',
  'batch-normalization': 'BatchNormalization',
  add: 'Add',
  concatenate: 'Concatenate',
};

describe('Keras export', () => {
  it('writes a script that compiles, with each layer as wired, a functional model per part and the losses in train_step', async () => {
    const dir = await tempDir('keras');
    await writeFile(path.join(dir, 'read.py'), READ_SCRIPT);
    for (const p of presets) {
      const doc = preset(p.file);
      const analysis = analyze(doc);
      const file = path.join(dir, `${p.file}.py`);
      await writeFile(file, exportKeras(doc));
      await run(PYTHON, ['-m', 'py_compile', file]);
      const read = JSON.parse((await run(PYTHON, [path.join(dir, 'read.py'), file])).stdout) as ReadScript;
      const layerIds = analysis.parts.flatMap((x) => x.nodes);
      expect(read.layers.map((l) => l.var), p.file).toEqual(layerIds);
      for (const l of read.layers) {
        const node = doc.nodes.find((n) => n.id === l.var)!;
        expect(l.class).toBe(KERAS_CLASS[node.type]);
        expect(l.kwargs.name).toBe(node.id);
        // The wires in, in the document's order (Add and Concatenate take a list); the Dataset's image is data_image where its label is read too.
        const from = doc.edges.filter((e) => e.to.node === node.id).map((e) => (e.from.node === 'data' ? (p.file === 'cnn-classifier' ? 'data_image' : 'data') : e.from.node));
        expect(l.input, `${p.file} ${node.id}`).toBe(from.length > 1 ? `[${from.join(', ')}]` : from[0]);
        if (node.type === 'conv2d' || node.type === 'conv2d-transpose') {
          expect(l.args).toEqual([node.params.filters, node.params.kernelSize]);
          expect(l.kwargs.strides ?? 1).toBe(node.params.strides);
          expect(l.kwargs.padding ?? 'valid').toBe(node.params.padding);
          expect(l.kwargs.activation ?? 'linear').toBe(node.params.activation);
        }
        if (node.type === 'dense') expect([l.args[0], l.kwargs.activation ?? 'linear']).toEqual([node.params.units, node.params.activation]);
        if (node.type === 'reshape') expect(l.args[0]).toEqual(node.params.targetShape);
        if (node.type === 'max-pooling2d') expect([l.kwargs.pool_size, l.kwargs.padding ?? 'valid']).toEqual([node.params.poolSize, node.params.padding]);
        if (node.type === 'dropout') expect(l.args[0]).toBe(node.params.rate);
        if (node.type === 'batch-normalization') expect([l.kwargs.momentum, l.kwargs.epsilon]).toEqual([node.params.momentum, node.params.epsilon]);
      }
      expect(read.models.map((m) => m.var)).toEqual(analysis.parts.map((x) => x.name));
      expect(read.functions).toEqual(expect.arrayContaining(['compute', 'train_step', 'test_step']));
      const step = read.compute.join('\n');
      // Every part runs in the mode of the step: Dropout and BatchNormalization depend on it.
      for (const part of analysis.parts) expect(step).toMatch(new RegExp(`= self\\.${part.name}\\(.*, training=training\\)`));
      if (doc.nodes.some((n) => n.type === 'bce')) expect(step).toMatch(/bce = ops\.mean\(keras\.losses\.binary_crossentropy\(data, (deconv3|out)\)\) \* \(28 \* 28\)/);
      expect(step).toMatch(/total = /);
      if (p.file === 'cnn-classifier') {
        expect(step).toMatch(/data_image, data_label = data/);
        expect(step).toMatch(/ce = ops\.mean\(keras\.losses\.sparse_categorical_crossentropy\(data_label, logits, from_logits=True\)\)/);
        expect(step).toMatch(/accuracy = ops\.mean\(ops\.cast\(ops\.equal\(ops\.cast\(ops\.argmax\(logits, axis=-1\), .int32.\), ops\.cast\(data_label, .int32.\)\), .float32.\)\)/);
        expect(step).toMatch(/total = ce$/m);
      }
      if (p.file === 'unet-autoencoder') expect(read.layers.find((l) => l.var === 'skip')?.input).toBe('[up1, enc2]');
      if (p.file === 'beta-vae') {
        expect(read.models).toContainEqual({ var: 'encoder', inputs: 'data', outputs: '[z_mean, z_log_var]' });
        expect(read.models).toContainEqual({ var: 'decoder', inputs: 'sampling', outputs: 'deconv3' });
        expect(step).toMatch(/sampling = self\.sampling\(\[z_mean, z_log_var\]\)/);
        expect(step).toMatch(/kl = -0\.5 \* ops\.mean\(1 \+ z_log_var - ops\.square\(z_mean\) - ops\.exp\(z_log_var\)\)/);
        expect(step).toMatch(/beta = kl \* 10\.0/);
        expect(step).toMatch(/total = bce \+ beta/);
      }
      if (p.file === 'vae-beta0') expect(step).toMatch(/beta = kl \* 0\.0/);
    }
  }, 120_000);

  it('says which graphs it cannot express: a layer in no model part (PyTorch keeps it on the training module)', async () => {
    const base = preset('beta-vae');
    // A second KL on its own pair of Dense layers: they feed a loss, but neither Sampling nor the decoder.
    const doc: GraphDocument = {
      ...base,
      nodes: [
        ...base.nodes,
        { id: 'aux_mean', type: 'dense', params: { units: 2 }, position: [0, 0] },
        { id: 'aux_log_var', type: 'dense', params: { units: 2 }, position: [0, 0] },
        { id: 'aux_kl', type: 'kl', params: {}, position: [0, 0] },
      ],
      edges: [
        ...base.edges,
        { from: { node: 'dense', port: 'output' }, to: { node: 'aux_mean', port: 'input' } },
        { from: { node: 'dense', port: 'output' }, to: { node: 'aux_log_var', port: 'input' } },
        { from: { node: 'aux_mean', port: 'output' }, to: { node: 'aux_kl', port: 'mean' } },
        { from: { node: 'aux_log_var', port: 'output' }, to: { node: 'aux_kl', port: 'logVar' } },
        { from: { node: 'aux_kl', port: 'loss' }, to: { node: 'objective', port: 'losses' } },
      ],
    };
    expect(() => exportKeras(doc)).toThrow(/"aux_mean", "aux_log_var" belong to no model part/);
    const dir = await tempDir('loose');
    const file = path.join(dir, 'model.py');
    await writeFile(file, exportTorch(doc));
    const summary = JSON.parse((await run(PYTHON, [file, '--summary'])).stdout) as { layers: { id: string; params: number }[] };
    expect(summary.layers.find((l) => l.id === 'aux_mean')?.params).toBe(34);
  }, 60_000);
});

describe('tfjs LayersModel export', () => {
  let server: Server;
  let url = '';
  let root = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = await tempDir('layers');
    server = createServer((req, res) => {
      readFile(path.join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname)))
        .then((body) => res.end(body))
        .catch(() => res.writeHead(404).end());
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('writes model.json files that tf.loadLayersModel accepts, computing what our graph computes, for every preset', async () => {
    const data = await loadDatasetFromDisk('fashion-mnist');
    const images = tf.tensor4d(toFloats(data.test, [0, 1, 2, 3, 4, 5, 6, 7]), [8, 28, 28, 1]);
    const points = tf.randomNormal([8, 2]) as Tensor2D;
    for (const p of presets) {
      const doc = preset(p.file);
      const analysis = analyze(doc);
      const program = compile(doc, tf);
      await writeModel(tf, program, path.join(root, p.file, 'trained'));
      const written = await writeLayersModels(doc, path.join(root, p.file, 'layers'), path.join(root, p.file, 'trained'));
      expect(written.map((f) => path.basename(path.dirname(f)))).toEqual(analysis.parts.map((x) => x.name));
      const load = (part: string) => tf.loadLayersModel(`${url}/${p.file}/layers/${part}/model.json`);
      const close = async (a: Tensor, b: Tensor) => {
        expect(a.shape).toEqual(b.shape);
        const diff = (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
        expect(diff).toBeLessThan(1e-4);
      };
      for (const part of analysis.parts) {
        const model = await load(part.name);
        // tfjs counts every weight; ours splits trainable and not (BatchNormalization's moving statistics).
        expect(model.countParams(), `${p.file} ${part.name}`).toBe(part.params + part.nonTrainable);
        model.dispose();
      }
      if (analysis.parts.length === 1) {
        // One model, image → its outputs (a reconstruction, a classifier's logits), in inference mode on both sides.
        const model = await load('model');
        const part = analysis.parts[0];
        const last = part.nodes[part.nodes.length - 1];
        await close(model.predict(images) as Tensor, program.run(program.feeds({ image: images }), [{ node: last, port: 'output' }])[0]);
        model.dispose();
      } else {
        const encoder = await load('encoder');
        const [mu, logVar] = encoder.predict(images) as Tensor[];
        const ours = program.run(new Map([['data.image', images]]), [{ node: 'z_mean', port: 'output' }, { node: 'z_log_var', port: 'output' }]);
        await close(mu, ours[0]);
        await close(logVar, ours[1]);
        const decoder = await load('decoder');
        await close(decoder.predict(points) as Tensor, program.decode(points));
        encoder.dispose();
        decoder.dispose();
      }
      program.dispose();
    }
  }, 180_000);
});
