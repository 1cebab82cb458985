// analyze() on a generated 1,000-node graph, many times (for --cpu-prof).
import { readFileSync } from 'node:fs';
import { analyze } from '../src/graph/analyze';
import { parse } from '../src/graph/parse';
import type { GraphDocument } from '../src/graph/document';

const r = parse(JSON.parse(readFileSync('presets/autoencoder.json', 'utf8')));
if (!r.ok) throw new Error('preset');
const doc: GraphDocument = { ...r.doc, nodes: [{ id: 'data', type: 'dataset', params: {}, position: [0, 0] }, { id: 'flat', type: 'flatten', params: {}, position: [0, 0] }], edges: [{ from: { node: 'data', port: 'image' }, to: { node: 'flat', port: 'input' } }] };
let prev = 'flat';
for (let i = 0; i < 997; i++) {
  doc.nodes.push({ id: `d${i}`, type: 'dense', params: { units: 8 }, position: [i, 0] });
  doc.edges.push({ from: { node: prev, port: 'output' }, to: { node: `d${i}`, port: 'input' } });
  prev = `d${i}`;
}
doc.nodes.push({ id: 'objective', type: 'objective', params: {}, position: [0, 0] });
for (let i = 0; i < 50; i++) analyze(doc);
const t0 = performance.now();
for (let i = 0; i < 200; i++) analyze(doc);
console.log(`${((performance.now() - t0) / 200).toFixed(2)} ms per analyze of ${doc.nodes.length} nodes`);
