// The training memory estimate (weights + gradients and optimizer state + activations at the batch
// size) and the refusal that names the biggest nodes against a backend's limit.
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/graph/analyze';
import { backendMemoryLimit, formatBytes, memoryProblem, nodeMemory } from '../../src/graph/memory';
import { preset } from '../helpers';

describe('the memory estimate', () => {
  it('follows its formula on the β-VAE’s Dense (3136 → 16, 50,192 weights) at batch 128 with RMSprop', () => {
    const a = analyze(preset('beta-vae'));
    expect(a.nodes.dense.memory).toEqual({
      weights: 4 * 50_192,
      optimizer: 4 * 50_192 * 3, // gradients + RMSprop's two accumulators
      activations: 4 * 128 * 16 * 2, // the output and its gradient
      total: 4 * 50_192 * 4 + 4 * 128 * 16 * 2,
      largestTensor: 4 * 50_192,
    });
    expect(nodeMemory(10, 5, 2, 'sgd')).toEqual({ weights: 40, optimizer: 40, activations: 80, total: 160, largestTensor: 40 });
    expect(a.memory.total).toBe(a.order.reduce((s, id) => s + (a.nodes[id].memory?.total ?? 0), 0));
    expect(a.memory.unknown).toBe(0);
  });
  it('grows with the batch size', () => {
    const doc = preset('beta-vae');
    const small = analyze(doc).memory.total;
    doc.training.batchSize = 1024;
    expect(analyze(doc).memory.total).toBeGreaterThan(small * 5);
  });
  it('is left out for nodes whose shapes are unknown', () => {
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'reshape')!.params.targetShape = [7, 7, 32];
    const a = analyze(doc);
    expect(a.nodes.reshape.memory).toBeUndefined();
    expect(a.nodes.deconv1.memory).toBeUndefined();
    expect(a.memory.unknown).toBeGreaterThan(0);
  });
  it('reads in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(4 * 2 ** 30)).toBe('4 GiB');
    expect(formatBytes(Number.NaN)).toBe('?');
  });
});

describe('too big for the backend', () => {
  it('the β-VAE fits every backend', () => {
    const doc = preset('beta-vae');
    const a = analyze(doc);
    for (const b of ['wasm', 'cpu', 'webgl', 'webgpu']) expect(memoryProblem(doc, a, backendMemoryLimit(b, { gpu: { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 } }))).toBeNull();
  });
  it('over the total: names the biggest nodes with their shares, and the limit', () => {
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'dec_dense')!.params.units = 65_536;
    doc.nodes.find((n) => n.id === 'reshape')!.params.targetShape = [32, 32, 64];
    doc.training.batchSize = 4096;
    const a = analyze(doc);
    const said = memoryProblem(doc, a, backendMemoryLimit('wasm'))!;
    expect(said).toMatch(/^Too big to train on wasm: about [\d.]+ GiB at batch 4096, more than the 4 GiB it can hold \(a 32-bit WebAssembly memory\)/);
    // At batch 4096 the decoder's 128×128 maps dominate: activations, not weights.
    expect(said).toMatch(/Biggest: "deconv2" \(Conv2DTranspose\) 16 GiB \(weights 72.1 KiB, gradients and optimizer state 216 KiB, activations 16 GiB\); "deconv1"/);
  });
  it('WebGPU: one tensor over the adapter’s buffer limit is named even when the total fits', () => {
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'dec_dense')!.params.units = 65_536;
    doc.nodes.find((n) => n.id === 'reshape')!.params.targetShape = [32, 32, 64];
    doc.training.batchSize = 1;
    const a = analyze(doc);
    // deconv2's output: 128×128×32 floats = 2 MiB for one image; the limit here 1.5 MiB (the smaller of the two).
    expect(a.memory.total).toBeLessThan(2 ** 30);
    const said = memoryProblem(doc, a, backendMemoryLimit('webgpu', { gpu: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 1.5 * 2 ** 20 } }))!;
    expect(said).toMatch(/Too big to train on webgpu: "deconv2" \(Conv2DTranspose\) needs one tensor of 2 MiB at batch 1, more than the 1.5 MiB one tensor may take \(the GPU adapter's buffer limits\)/);
  });
});
