// What every export shares: a node type without an exporter stops it with a message that names the
// type; node ids that are not Python names (keywords, dashes, digits first) still give a file that runs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeType, nodeTypes } from '../../nodes';
import { exportKeras } from '../../src/export/keras';
import { exportTorch } from '../../src/export/torch';
import { analyze } from '../../src/graph/analyze';
import type { GraphDocument } from '../../src/graph/document';
import { preset } from '../helpers';
import { PYTHON, run, tempDir } from './python';

/** The β-VAE with its node ids renamed. */
function renamed(names: Record<string, string>): GraphDocument {
  const doc = preset('beta-vae');
  const id = (x: string) => names[x] ?? x;
  return {
    ...doc,
    nodes: doc.nodes.map((n) => ({ ...n, id: id(n.id) })),
    edges: doc.edges.map((e) => ({ from: { ...e.from, node: id(e.from.node) }, to: { ...e.to, node: id(e.to.node) } })),
  };
}

describe('export plan', () => {
  it('has an exporter for every node type that trains (the Dataset is the loader; plots draw in the app)', () => {
    const trains = nodeTypes.filter((d) => d.category !== 'data' && d.role?.kind !== 'plot');
    expect(trains.length).toBeGreaterThanOrEqual(22);
    expect(trains.filter((d) => !d.toTorch || !d.toKeras).map((d) => d.type)).toEqual([]);
  });

  it('names the node type that has no exporter yet', () => {
    const dense = nodeType('dense')!;
    const toTorch = dense.toTorch;
    try {
      delete dense.toTorch;
      expect(() => exportTorch(preset('beta-vae'))).toThrow('Cannot export Dense yet: this node type has no PyTorch exporter.');
      expect(() => exportKeras(preset('beta-vae'))).not.toThrow();
    } finally {
      dense.toTorch = toTorch;
    }
  });

  it('refuses a graph with problems, naming them', () => {
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'reshape')!.params.targetShape = [7, 7, 32];
    expect(() => exportTorch(doc)).toThrow(/Fix the graph first:\nnode reshape: Reshape to \[7, 7, 32\] needs 1,568 elements/);
  });

  it('turns any node id into a Python name, and the weights still map by our ids', async () => {
    const doc = renamed({ conv1: 'class', conv2: '2nd conv', dense: 'dense-16', z_mean: 'μ', z_log_var: 'z log var', deconv3: 'self' });
    const dir = await tempDir('names');
    const file = path.join(dir, 'model.py');
    const code = exportTorch(doc);
    await writeFile(file, code);
    await writeFile(path.join(dir, 'keras.py'), exportKeras(doc));
    await run(PYTHON, ['-m', 'py_compile', path.join(dir, 'keras.py')]);
    expect(code).toContain('("2nd conv/kernel", "encoder.n2nd_conv.weight", (3, 2, 0, 1))');
    expect(code).toContain('self.class_ = nn.Conv2d(');
    const summary = JSON.parse((await run(PYTHON, [file, '--summary'])).stdout) as { parts: { name: string; params: number }[]; layers: { id: string }[] };
    expect(summary.parts.map((p) => p.params)).toEqual(analyze(doc).parts.map((p) => p.params));
    expect(summary.layers.map((l) => l.id)).toContain('z log var');
  }, 60_000);
});
