import { describe, expect, it } from 'vitest';
import { presetDocument } from '../../src/stores/graphStore';
import { backendOrder } from '../../src/worker/backend';
import { backendFromQuery, readFromWorker, readToWorker, type FromWorker, type Report, type ToWorker } from '../../src/worker/protocol';
import { structureOf, weightsKey } from '../../src/worker/saved-weights';

describe('worker protocol', () => {
  it('reads ?backend= and ignores anything that is not a backend', () => {
    expect(backendFromQuery('?backend=webgpu')).toBe('webgpu');
    expect(backendFromQuery('?x=1&backend=wasm')).toBe('wasm');
    expect(backendFromQuery('?backend=cpu')).toBe('cpu');
    expect(backendFromQuery('?backend=webgl')).toBe('webgl');
    expect(backendFromQuery('?backend=cuda')).toBe('auto');
    expect(backendFromQuery('')).toBe('auto');
  });

  it('accepts every message to the worker, and survives structured cloning', () => {
    const doc = presetDocument('beta-vae');
    const messages: ToWorker[] = [
      { id: 1, type: 'start', doc, settings: doc.training, backend: 'auto', baseUrl: '/', resume: true, maxSteps: 3, markers: [{ step: 3, text: 'β 10 → 4', kind: 'param' }] },
      { id: 2, type: 'pause' },
      { id: 3, type: 'resume' },
      { id: 4, type: 'stop' },
      { id: 5, type: 'setParam', nodeId: 'beta', name: 'beta', value: 4 },
      { id: 6, type: 'setLearningRate', learningRate: 0.01 },
      { id: 7, type: 'export', doc },
      { id: 8, type: 'import', doc, files: { json: {}, weights: new ArrayBuffer(8) }, backend: 'wasm' },
    ];
    for (const m of messages) expect(readToWorker(structuredClone(m))).toEqual(m);
  });

  it('rejects malformed messages to the worker', () => {
    expect(readToWorker(null)).toBeNull();
    expect(readToWorker('start')).toBeNull();
    expect(readToWorker({ type: 'explode' })).toBeNull();
    expect(readToWorker({ id: 1, type: 'setLearningRate', learningRate: -1 })).toBeNull();
    expect(readToWorker({ id: 1, type: 'setLearningRate', learningRate: Number.NaN })).toBeNull();
    expect(readToWorker({ id: 1, type: 'setParam', nodeId: 3, name: 'beta', value: 1 })).toBeNull();
    expect(readToWorker({ id: 1, type: 'start', doc: null, settings: {} })).toBeNull();
    // Every request carries a positive whole id.
    expect(readToWorker({ type: 'stop' })).toBeNull();
    expect(readToWorker({ type: 'stop', id: 0 })).toBeNull();
    expect(readToWorker({ type: 'stop', id: '3' })).toBeNull();
    expect(readToWorker({ type: 'stop', id: 3 })).toEqual({ type: 'stop', id: 3 });
  });

  it('accepts every message from the worker and ignores strays', () => {
    const reports: Report[] = [
      {
        type: 'backend',
        info: { name: 'webgpu', requested: 'auto', adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true }, skipped: [], fastConvGradients: false, advice: 'x', suggest: 'wasm', selfTestMs: 12 },
      },
      { type: 'phase', phase: 'training' },
      { type: 'started', terms: ['bce'], stepsPerEpoch: 4, totalSteps: 8, images: 64, resumedFrom: null },
      { type: 'steps', steps: [{ epoch: 1, step: 1, stepInEpoch: 1, stepsPerEpoch: 4, totalSteps: 8, losses: { total: 1 }, samplesPerSecond: 10, elapsedMs: 5 }], memory: { numTensors: 3, numBytes: 12, numBytesInGPU: null } },
      { type: 'epoch', report: { epoch: 1, epochs: 2, losses: { total: 1 }, elapsedMs: 3 }, memory: { numTensors: 3, numBytes: 12, numBytesInGPU: 0 } },
      { type: 'saved', progress: { key: 'k', steps: 4, epochs: 1, losses: { total: 1 }, savedAt: 1, backend: 'cpu' } },
      { type: 'plots', plots: [], metrics: null, step: 4 },
      { type: 'notice', level: 'warning', text: 'device lost' },
      { type: 'done', result: { status: 'failed', steps: 3, epochs: 0, message: 'Step 3: NaN' } },
      { type: 'model', files: null, message: 'none' },
      { type: 'imported', ok: true, message: 'ok' },
      { type: 'ack' },
      { type: 'error', message: 'bad' },
    ];
    const messages: FromWorker[] = reports.map((r, i) => ({ ...r, re: i + 1 }));
    for (const m of messages) expect(readFromWorker(structuredClone(m))).toEqual(m);
    // A message that names no request is not trusted.
    expect(readFromWorker({ type: 'ack' })).toBeNull();
    expect(readFromWorker({ type: 'webpackOk' })).toBeNull();
    expect(readFromWorker(undefined)).toBeNull();
  });
});

describe('backend order', () => {
  it('tries WebGPU, WebGL, wasm, cpu; a forced one first; a lost one never', () => {
    expect(backendOrder('auto')).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(backendOrder('wasm')).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
    expect(backendOrder('auto', ['webgpu'])).toEqual(['webgl', 'wasm', 'cpu']);
    expect(backendOrder('webgpu', ['webgpu'])).toEqual(['webgl', 'wasm', 'cpu']);
  });
});

describe('weights key', () => {
  it('ignores positions, labels, β and training settings, but not layers or wires', () => {
    const doc = presetDocument('beta-vae');
    const key = weightsKey(doc);
    const moved = { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: [n.position[0] + 5, n.position[1]] as [number, number], label: 'x' })) };
    const beta = { ...doc, nodes: doc.nodes.map((n) => (n.type === 'beta-scale' ? { ...n, params: { ...n.params, beta: 2 } } : n)) };
    const settings = { ...doc, training: { ...doc.training, epochs: 3, learningRate: 0.1 } };
    expect(weightsKey(moved)).toBe(key);
    expect(weightsKey(beta)).toBe(key);
    expect(weightsKey(settings)).toBe(key);
    const wider = { ...doc, nodes: doc.nodes.map((n) => (n.id === 'dense' ? { ...n, params: { ...n.params, units: 32 } } : n)) };
    expect(weightsKey(wider)).not.toBe(key);
    expect(structureOf({ ...doc, edges: doc.edges.slice(1) })).not.toBe(structureOf(doc));
    expect(key).toMatch(/^graph-[0-9a-f]{14}$/);
  });
});
