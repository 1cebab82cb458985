// Hostile and malformed documents, one case per way today's main failed: parse and analyze
// never throw, never flood or forge a line, and say everything at once.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allProblems, analyze, reachable } from '../../src/graph/analyze';
import { describeValue, quoted, safeText } from '../../src/graph/describe';
import type { GraphDocument } from '../../src/graph/document';
import { openText } from '../../src/graph/open';
import { describeDiagnostic, parse, parseText } from '../../src/graph/parse';
import { summaryJson, summaryText } from '../../src/cli/summary';
import { compile, CompileError } from '../../src/compile/compile';
import { preset, tf } from '../helpers';

type Json = Record<string, unknown> & { nodes: Record<string, unknown>[]; edges: { from: { node: string; port: string }; to: { node: string; port: string } }[] };
const raw = (name = 'beta-vae'): Json => JSON.parse(readFileSync(new URL(`../../presets/${name}.json`, import.meta.url), 'utf8'));
const nodeOf = (doc: Json, id: string) => doc.nodes.find((n) => n.id === id)!;
const lines = (text: string) => text.split('\n');
const messages = (ds: { message: string }[]) => ds.map((d) => d.message).join('\n');

describe('user values are echoed bounded and escaped', () => {
  it('a string: at most 60 characters, newlines and escape sequences escaped', () => {
    expect(safeText('a'.repeat(100_000))).toHaveLength(61);
    expect(quoted('x\ny\u001b[31mz')).toBe('"x\\ny\\e[31mz"');
    expect(describeValue([1, 2, 3])).toBe('[1, 2, 3]');
    expect(describeValue({ a: 1 })).toBe('an object');
  });
  it('a value nested 100,000 levels deep in "format": one short line, no stack overflow', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = parseText(`{"format": ${deep}, "version": 1, "nodes": [], "edges": []}`);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.diagnostics.map(describeDiagnostic)).toEqual(['This is not a Wirelab graph: "format" must be "wirelab.graph", got a list of 1 item.']);
    const obj = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const t = parseText(`{"format": "wirelab.graph", "version": ${obj}, "nodes": [], "edges": [], "training": ${deep}}`);
    expect(!t.ok && messages(t.diagnostics)).toMatch(/"version" is an object[^]*"training" must be an object, got a list of 1 item/);
  }, 60_000);
  it('a 100,000-character id with a newline cannot flood or forge a line', () => {
    const doc = raw();
    const id = 'evil\nnode reshape: all is well' + 'x'.repeat(100_000);
    doc.nodes.push({ id, type: 'lstm', params: {}, position: [0, 0] });
    doc.nodes.push({ id: id + '2', type: 'dense\u001b[2J', params: {}, position: [0, 0] });
    doc.nodes.push({ id, type: 'dense', params: {}, position: [0, 0] });
    const r = parse(doc);
    const all = allProblems(r).map(describeDiagnostic);
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const line of all) {
      expect(line).not.toMatch(/\n/);
      expect(line.length).toBeLessThan(300);
    }
    expect(all.join('\n')).toMatch(/evil\\nnode reshape/);
  });
});

describe('analyze never runs shape inference on rejected params', () => {
  for (const targetShape of ['7,7,64', 3136, true, [7, -7, 64]])
    it(`Reshape with targetShape ${JSON.stringify(targetShape)}: a diagnostic, no throw`, () => {
      const doc = raw();
      (nodeOf(doc, 'reshape').params as Record<string, unknown>).targetShape = targetShape;
      const r = parse(doc);
      expect(r.ok).toBe(true);
      const a = analyze((r as { doc: GraphDocument }).doc);
      expect(messages(a.diagnostics.filter((d) => d.node === 'reshape'))).toMatch(/Target shape \(targetShape\) must be a list of positive whole numbers/);
      // Downstream of the rejected node stays quiet, and the summary says "?", never nonsense.
      expect(a.diagnostics.filter((d) => d.node === 'deconv1')).toEqual([]);
      const text = summaryText((r as { doc: GraphDocument }).doc, a);
      expect(text).toMatch(/reshape \(Reshape\)\s+\?\s+\?/);
      expect(text).toMatch(/Total params: \?/);
      expect(text).not.toMatch(/NaN|Infinity|-\d/);
    });
  it('a string where a number belongs: no "Total params: 0288…" concatenation', () => {
    const doc = raw();
    (nodeOf(doc, 'dec_dense').params as Record<string, unknown>).units = '0288';
    const d = (parse(doc) as { doc: GraphDocument }).doc;
    const a = analyze(d);
    expect(summaryText(d, a)).toMatch(/Total params: \?/);
    expect(summaryJson(d, a).parts.find((p) => p.name === 'decoder')!.params).toBeNull();
  });
  it('param names and ids that JavaScript objects inherit are never taken as real', () => {
    const doc = raw();
    nodeOf(doc, 'dense').params = JSON.parse('{"units": 16, "__proto__": [1], "constructor": 3, "toString": 1}');
    const r = parse(doc);
    expect(r.ok).toBe(true);
    const a = analyze((r as { doc: GraphDocument }).doc);
    const said = messages(a.diagnostics.filter((d) => d.node === 'dense'));
    expect(said).toMatch(/no param "__proto__"/);
    expect(said).toMatch(/no param "constructor"/);
    expect(said).toMatch(/no param "toString"/);
    for (const id of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const bad = raw();
      bad.nodes.push({ id, type: 'flatten', params: {}, position: [0, 0] });
      const p = parse(bad);
      expect(!p.ok && messages(p.diagnostics)).toMatch(/reserved by JavaScript/);
    }
  });
});

describe('wires', () => {
  it('260,000 copies of one wire: one diagnostic with the count, no stack overflow, no doubled loss', () => {
    const doc = raw();
    const wire = doc.edges.find((e) => e.to.node === 'objective')!;
    for (let i = 0; i < 260_000; i++) doc.edges.push(wire);
    const d = (parse(doc) as { doc: GraphDocument }).doc;
    const a = analyze(d);
    const dup = a.diagnostics.filter((x) => /there 260,001 times; keep one/.test(x.message));
    expect(dup).toHaveLength(1);
    expect(dup[0].node).toBe('objective');
    expect(() => compile(d, tf)).toThrow(CompileError);
    expect(reachable(['a'], (id) => (id === 'a' ? Array.from({ length: 300_000 }, () => 'b') : [])).size).toBe(2);
  }, 60_000);
  it('the same wire twice into the Objective is reported, and compile refuses rather than doubling the loss', () => {
    const doc = preset('beta-vae');
    doc.edges.push({ ...doc.edges.find((e) => e.to.node === 'objective')! });
    const a = analyze(doc);
    expect(messages(a.diagnostics)).toMatch(/is there 2 times; keep one/);
    expect(() => compile(doc, tf)).toThrow(/there 2 times/);
  });
  it('two Objectives: the second is reported', () => {
    const doc = preset('beta-vae');
    doc.nodes.push({ id: 'objective2', type: 'objective', params: {}, position: [0, 0] });
    const a = analyze(doc);
    expect(a.diagnostics.filter((d) => d.node === 'objective2').map((d) => d.message).join()).toMatch(/one Objective and this is a second one/);
    expect(() => compile(doc, tf)).toThrow(CompileError);
  });
  it('a cycle marks the nodes on it, not those downstream of it', () => {
    const doc = preset('beta-vae');
    // deconv1 → deconv2 → deconv3 → (back into) deconv1 replaces reshape → deconv1: a loop of three.
    doc.edges = doc.edges.filter((e) => e.to.node !== 'deconv1');
    doc.edges.push({ from: { node: 'deconv3', port: 'output' }, to: { node: 'deconv1', port: 'input' } });
    const a = analyze(doc);
    const onCycle = a.diagnostics.filter((d) => /on a cycle/.test(d.message)).map((d) => d.node).sort();
    expect(onCycle).toEqual(['deconv1', 'deconv2', 'deconv3']);
    // bce and the objective sit downstream: quiet.
    expect(a.diagnostics.filter((d) => d.node === 'bce' || d.node === 'objective')).toEqual([]);
  });
  it('a node wired to itself is on a cycle', () => {
    const doc = preset('beta-vae');
    doc.edges = doc.edges.filter((e) => e.to.node !== 'flatten');
    doc.edges.push({ from: { node: 'flatten', port: 'output' }, to: { node: 'flatten', port: 'input' } });
    const onCycle = analyze(doc).diagnostics.filter((d) => /on a cycle/.test(d.message)).map((d) => d.node);
    expect(onCycle).toEqual(['flatten']);
  });
});

describe('the file itself', () => {
  it('a UTF-8 byte-order mark is fine', () => {
    const text = readFileSync(new URL('../../presets/beta-vae.json', import.meta.url), 'utf8');
    expect(parseText('\ufeff' + text).ok).toBe(true);
  });
  it('a version says what is wrong with it', () => {
    const v = (version: unknown) => {
      const r = parse({ ...raw(), version });
      return r.ok ? '' : messages(r.diagnostics);
    };
    expect(v('1')).toMatch(/"version" must be the number 1, not the text "1"; remove the quotes/);
    expect(v(7)).toMatch(/version 7, made by a newer Wirelab; this Wirelab reads versions 1 to 2/);
    expect(v(undefined)).toMatch(/"version" is missing/);
    expect(v(-3)).toMatch(/"version" is -3; this Wirelab reads versions 1 to 2, given as a number/);
  });
  it('a structural problem does not hide the semantic ones', () => {
    const doc = raw();
    nodeOf(doc, 'conv1').params = [32, 3];
    (nodeOf(doc, 'beta').params as Record<string, unknown>).beta = 'ten';
    (nodeOf(doc, 'dense').params as Record<string, unknown>).unitz = 16;
    const r = openText(JSON.stringify(doc));
    expect(r.ok).toBe(false);
    const said = (r as { diagnostics: { node?: string; message: string }[] }).diagnostics;
    expect(said.find((d) => d.node === 'conv1')!.message).toMatch(/"params" must be an object/);
    expect(said.find((d) => d.node === 'beta')!.message).toMatch(/must be a number/);
    expect(said.find((d) => d.node === 'dense')!.message).toMatch(/Dense has no param "unitz"/);
    // conv2 lost its input with conv1: it does not add noise.
    expect(said.filter((d) => d.node === 'conv2')).toEqual([]);
  });
  it('training settings have upper limits', () => {
    const r = parse({ ...raw(), training: { batchSize: 1e9, learningRate: 1e6, limit: 1e12, seed: 2 ** 40, epochs: 1e9 } });
    const said = !r.ok ? messages(r.diagnostics) : '';
    expect(said).toMatch(/training.batchSize must be a whole number from 1 to 65,536, got 1000000000/);
    expect(said).toMatch(/training.learningRate must be a number from 0 to 10/);
    expect(said).toMatch(/training.limit must be a whole number from 0 to 10,000,000/);
    expect(said).toMatch(/training.seed must be a whole number from 0 to 4,294,967,295/);
    expect(said).toMatch(/training.epochs must be a whole number from 1 to 100,000/);
  });
});

describe('big documents stay linear', () => {
  it('a chain of 50,000 Flattens analyses (linear: about a second)', () => {
    const doc = preset('beta-vae');
    let prev = 'flatten';
    for (let i = 0; i < 50_000; i++) {
      const id = `f${i}`;
      doc.nodes.push({ id, type: 'flatten', params: {}, position: [0, 0] });
      doc.edges.push({ from: { node: prev, port: 'output' }, to: { node: id, port: 'input' } });
      prev = id;
    }
    const a = analyze(doc);
    expect(a.nodes.f49999.outputs.output).toEqual([3136]);
  }, 60_000);
});
