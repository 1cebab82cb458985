// The backend choice, where Node can run it: no WebGPU or WebGL here, so wasm qualifies alone.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { formatStepTime, selectBackend, timeTrial, trialReason } from '../../src/worker/backend';

describe('backend choice', () => {
  it('says why a trial chose its winner', () => {
    expect(trialReason([{ name: 'wasm', msPerStep: 800 }, { name: 'webgl', msPerStep: 2100 }])).toBe('wasm: 800 ms/step vs webgl 2.1 s/step (a short trial of each)');
    expect(formatStepTime(35.4)).toBe('35 ms/step');
  });

  it('skips what cannot start, says why, and uses cpu only when nothing else qualifies', async () => {
    const info = await selectBackend(tf, { requested: 'auto' });
    expect(info.name).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['webgpu', 'webgl']);
    expect(info.reason).toMatch(/only backend that qualified/);
    expect(tf.getBackend()).toBe('wasm');
    // Asked for by name, it is used.
    const cpu = await selectBackend(tf, { requested: 'cpu' });
    expect(cpu.name).toBe('cpu');
    expect(cpu.reason).toMatch(/by name/);
    // The trial step runs and is timed.
    expect(await timeTrial(tf, 200)).toBeGreaterThan(0);
  }, 60_000);
});
