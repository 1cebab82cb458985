// Generated malformed and hostile documents through everything a file meets: parse, open, analyze,
// the summary and compile (tfjs, cpu backend). Each yields a result or diagnostics; nothing throws
// (a CompileError is a list of diagnostics), and no printed line runs over 300 characters.
// Deterministic: the generator is seeded, so a failure names a case that reproduces.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { allProblems, analyze } from '../../src/graph/analyze';
import { openText } from '../../src/graph/open';
import { describeDiagnostic, parseText } from '../../src/graph/parse';
import { summaryJson, summaryText } from '../../src/cli/summary';
import { formatDiagnostics } from '../../src/cli/args';
import { compile, CompileError } from '../../src/compile/compile';
import { seededRandom } from '../../src/train/data';

type Obj = Record<string, unknown>;
const presetText = (name: string) => readFileSync(new URL(`../../presets/${name}.json`, import.meta.url), 'utf8');
const PRESETS = ['beta-vae', 'vae-beta0', 'autoencoder'].map(presetText);

const random = seededRandom(20261126);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

const deepList = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);
const HOSTILE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'evil\nnode objective: all is well',
  '\u001b[2J\u001b[31mred',
  'tab\there\r\nCRLF',
  'bidi\u202eevil',
  'x'.repeat(100_000),
  '',
  ' ',
  '\\',
  '"quoted"',
  '😀'.repeat(50),
  'a.b',
];
// Values of every JSON kind, many wrong for any field they land in.
const WRONG_VALUES: (() => unknown)[] = [
  () => null,
  () => true,
  () => 0,
  () => -1,
  () => 1.5,
  () => 1e308,
  () => -1e308,
  () => 2 ** 53 + 2,
  () => 65_536,
  () => 1e9,
  () => '',
  () => '7, 7, 64',
  () => 'x'.repeat(200_000),
  () => pick(HOSTILE_NAMES),
  () => [],
  () => [7, 7, 64],
  () => [-1, 0, 3.5],
  () => [1e9, 1e9, 1e9],
  () => ['a', 'b'],
  () => [[1, 2], [3]],
  () => ({}),
  () => ({ value: 3 }),
  () => Array.from({ length: 100 }, (_, i) => i),
];
const wrongValue = () => pick(WRONG_VALUES)();

interface Case {
  name: string;
  text: string;
}

/** A preset, changed by `n` random mutations (only those named in `only`, when given). */
function mutated(n: number, only?: readonly string[]): Case {
  const doc = JSON.parse(pick(PRESETS)) as Obj & { nodes: Obj[]; edges: Obj[]; training: Obj };
  const said: string[] = [];
  const anyNode = () => doc.nodes[int(doc.nodes.length)] ?? {};
  const anyEdge = () => doc.edges[int(doc.edges.length)];
  const mutations: [string, () => void][] = [
    ['param value', () => ((anyNode().params as Obj)[pick(['units', 'filters', 'kernelSize', 'strides', 'padding', 'activation', 'targetShape', 'beta', 'reduction', 'n', 'useBias'])] = wrongValue())],
    ['param name', () => ((anyNode().params as Obj)[pick(HOSTILE_NAMES)] = 1)],
    ['params kind', () => (anyNode().params = wrongValue())],
    ['id', () => (anyNode().id = pick(HOSTILE_NAMES))],
    ['id kind', () => (anyNode().id = wrongValue())],
    ['type', () => (anyNode().type = pick([...HOSTILE_NAMES, 'dense', 'objective', 'sampling', 'reshape', 'lstm']))],
    ['label', () => (anyNode().label = pick(HOSTILE_NAMES))],
    ['position', () => (anyNode().position = wrongValue())],
    ['node kind', () => (doc.nodes[int(doc.nodes.length)] = wrongValue() as Obj)],
    ['drop node', () => doc.nodes.splice(int(doc.nodes.length), 1)],
    ['second objective', () => doc.nodes.push({ id: `objective${int(99)}`, type: 'objective', params: {}, position: [0, 0] })],
    ['duplicate wire', () => {
      const e = anyEdge();
      for (let i = 0, k = pick([1, 2, 1000]); i < k; i++) doc.edges.push(e);
    }],
    ['dangling wire', () => doc.edges.push({ from: { node: pick(HOSTILE_NAMES), port: 'output' }, to: { node: (anyNode().id as string) ?? 'x', port: 'input' } })],
    ['wrong port', () => {
      const e = anyEdge() as { from: Obj; to: Obj } | undefined;
      if (e) e[pick(['from', 'to'] as const)].port = pick([...HOSTILE_NAMES, 'output', 'input', 'z', 'loss', 'losses', 'mean', 'logVar']);
    }],
    ['cycle', () => {
      const [a, b] = [anyNode(), anyNode()];
      doc.edges.push({ from: { node: a.id, port: 'output' }, to: { node: b.id, port: 'input' } });
    }],
    ['rewire', () => {
      const e = anyEdge() as { from: Obj; to: Obj } | undefined;
      if (e) e.from.node = anyNode().id;
    }],
    ['edge kind', () => (doc.edges[int(doc.edges.length)] = wrongValue() as Obj)],
    ['training value', () => (doc.training[pick(['batchSize', 'learningRate', 'epochs', 'seed', 'limit', 'optimizer', 'dataset'])] = wrongValue())],
    ['training kind', () => (doc.training = wrongValue() as Obj)],
    ['top field', () => (doc[pick(['format', 'version', 'name', 'nodes', 'edges'])] = wrongValue())],
    ['version', () => (doc.version = pick(['1', 2, 0, -1, 1.5, '2']))],
    ['name', () => (doc.name = pick(HOSTILE_NAMES))],
  ];
  const allowed = only ? mutations.filter(([what]) => only.includes(what)) : mutations;
  for (let i = 0; i < n; i++) {
    const [what, apply] = pick(allowed);
    said.push(what);
    // An earlier mutation may have made this one meaningless (nodes is no longer a list): skip it.
    try {
      apply();
    } catch {
      said.pop();
    }
  }
  const text = JSON.stringify(doc);
  return { name: `preset + ${said.join(', ')}`, text: random() < 0.1 ? '\ufeff' + text : text };
}

/** Hand-picked shapes no mutation reaches: wrong JSON, deep nesting, huge files. */
function specials(): Case[] {
  const base = JSON.parse(PRESETS[0]) as Obj & { nodes: Obj[]; edges: Obj[] };
  const withField = (key: string, raw: string) => ({ name: `${key} = ${raw.slice(0, 20)}…`, text: JSON.stringify({ ...base, [key]: '@@' }).replace('"@@"', raw) });
  const chain = (n: number): Obj => {
    const nodes: Obj[] = [...base.nodes];
    const edges: Obj[] = [...base.edges];
    for (let i = 0; i < n; i++) {
      nodes.push({ id: `f${i}`, type: 'flatten', params: {}, position: [i, i] });
      edges.push({ from: { node: i ? `f${i - 1}` : 'flatten', port: 'output' }, to: { node: `f${i}`, port: 'input' } });
    }
    return { ...base, nodes, edges };
  };
  return [
    { name: 'empty text', text: '' },
    { name: 'not JSON', text: '{ nodes: [' },
    { name: 'a number', text: '42' },
    { name: 'a string', text: '"wirelab.graph"' },
    { name: 'null', text: 'null' },
    { name: 'a list', text: '[]' },
    { name: 'only a BOM', text: '\ufeff' },
    { name: 'deep list', text: deepList(100_000) },
    { name: 'deep object', text: deepObject(100_000) },
    withField('format', deepList(100_000)),
    withField('version', deepObject(100_000)),
    withField('name', deepList(50_000)),
    withField('nodes', deepList(100_000)),
    withField('edges', `[${deepObject(50_000)}]`),
    withField('training', deepObject(100_000)),
    { name: 'deep params', text: JSON.stringify(base).replace('"params":{', `"params":{"deep":${deepList(100_000)},`) },
    { name: 'a 5 MB name', text: JSON.stringify({ ...base, name: 'n\n'.repeat(2_500_000) }) },
    { name: '20,000 unknown nodes', text: JSON.stringify({ ...base, nodes: Array.from({ length: 20_000 }, (_, i) => ({ id: `n${i}`, type: 'lstm\n' + i, params: {} })) }) },
    { name: '20,000 bad nodes', text: JSON.stringify({ ...base, nodes: Array.from({ length: 20_000 }, (_, i) => ({ id: i })) }) },
    { name: 'a chain of 20,000 Flattens', text: JSON.stringify(chain(20_000)) },
    { name: '100,000 copies of a wire', text: JSON.stringify({ ...base, edges: [...base.edges, ...Array.from({ length: 100_000 }, () => base.edges[3])] }) },
    { name: 'a two-node loop', text: JSON.stringify({ ...base, edges: [...base.edges, { from: { node: 'deconv3', port: 'output' }, to: { node: 'conv1', port: 'input' } }] }) },
  ];
}

// Mostly anything goes; a few only rename and relabel, so that hostile labels reach compile's loss terms.
const cases: Case[] = [
  ...specials(),
  ...Array.from({ length: 120 }, (_, i) => mutated(1 + (i % 6))),
  ...Array.from({ length: 12 }, (_, i) => mutated(1 + (i % 3), ['label', 'name', 'position'])),
];

/** Sum of the weights compile would allocate; huge (valid) layers are analysed but not built here. */
const weightCount = (a: ReturnType<typeof analyze>) => Object.values(a.nodes).reduce((s, n) => s + (n.known ? n.params : 0), 0);

function checkLines(text: string, where: string) {
  for (const line of text.split('\n')) if (line.length > 300) throw new Error(`${where}: a line of ${line.length} characters: ${line.slice(0, 120)}…`);
}

describe('fuzz: hostile documents through parse, open, analyze, summary and compile', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it(`has at least 100 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(100));

  let built = 0;
  for (const [i, c] of cases.entries())
    it(`#${i}: ${c.name.slice(0, 100).replace(/[^\x20-\x7e]/g, '?')}`, () => {
      const parsed = parseText(c.text);
      const problems = allProblems(parsed);
      if (!parsed.ok) expect(problems.length).toBeGreaterThan(0);
      checkLines(formatDiagnostics(problems), 'diagnostics');
      for (const d of problems) checkLines(describeDiagnostic(d), 'a diagnostic');
      const opened = openText(c.text);
      if (!opened.ok) checkLines(opened.diagnostics.map(describeDiagnostic).join('\n'), 'open');
      if (!parsed.ok) return;

      const analysis = analyze(parsed.doc);
      checkLines(summaryText(parsed.doc, analysis), 'summary');
      const json = summaryJson(parsed.doc, analysis);
      for (const n of json.nodes) expect(n.params === null || (Number.isSafeInteger(n.params) && n.params >= 0)).toBe(true);
      if (weightCount(analysis) > 5e6) return;
      try {
        tf.tidy(() => compile(parsed.doc, tf).dispose());
        built++;
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        expect(e.diagnostics.length).toBeGreaterThan(0);
        checkLines(e.diagnostics.map(describeDiagnostic).join('\n'), 'compile');
      }
      // Generous: the big cases take a second or two alone, several on a loaded machine; a hang still fails.
    }, 60_000);

  it('some cases still compile (the mutations are not all fatal)', () => expect(built).toBeGreaterThanOrEqual(12));
});
