// The page's worker client: request ids, one answer per request, timeouts and replacing a worker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerClient } from '../../src/worker/client';
import { FakeWorker } from '../stores/fake-worker';

afterEach(() => vi.useRealTimers());

function setup() {
  const workers: FakeWorker[] = [];
  const client = new WorkerClient(() => {
    const w = new FakeWorker();
    workers.push(w);
    return w;
  }, 'the training worker');
  return { client, workers };
}

describe('worker client', () => {
  it('gives each request its own id and its own answer, whatever the order replies come in', async () => {
    const { client, workers } = setup();
    const a = client.request({ type: 'export', doc: { format: 'wirelab.graph', version: 1, name: 'a', nodes: [], edges: [], training: {} } as never });
    const b = client.request({ type: 'pause' });
    expect(a.id).not.toBe(b.id);
    const w = workers[0];
    expect(w.sent.map((m) => m.id)).toEqual([a.id, b.id]);
    // b's answer first, then a's; a duplicate of b's answer later changes nothing.
    w.emit({ type: 'ack' }, b.id);
    w.emit({ type: 'model', files: null, message: 'none yet' }, a.id);
    w.emit({ type: 'ack' }, b.id);
    await expect(b.reply).resolves.toEqual({ type: 'ack', re: b.id });
    await expect(a.reply).resolves.toMatchObject({ type: 'model', re: a.id, message: 'none yet' });
    expect(client.isPending(a.id) || client.isPending(b.id)).toBe(false);
  });

  it("hands a request's messages to it, and every message to the listeners", async () => {
    const { client, workers } = setup();
    const own: string[] = [];
    const all: string[] = [];
    client.listen((m) => all.push(`${m.type}@${m.re}`));
    const run = client.request({ type: 'stop' }, { onMessage: (m) => own.push(m.type) });
    const other = client.request({ type: 'resume' });
    workers[0].emit({ type: 'phase', phase: 'training' }, run.id);
    workers[0].emit({ type: 'phase', phase: 'paused' }, other.id);
    workers[0].emit({ type: 'ack' }, run.id);
    await run.reply;
    expect(own).toEqual(['phase', 'ack']);
    expect(all).toEqual([`phase@${run.id}`, `phase@${other.id}`, `ack@${run.id}`]);
  });

  it('answers "no-answer" after the timeout, and ignores the late reply', async () => {
    vi.useFakeTimers();
    const { client, workers } = setup();
    const r = client.request({ type: 'image', dataset: 'fashion-mnist', index: 3, baseUrl: '/' }, { timeoutMs: 1000 });
    vi.advanceTimersByTime(1001);
    await expect(r.reply).resolves.toMatchObject({ type: 'no-answer', re: r.id, message: 'The training worker did not answer within 1 s.' });
    workers[0].emit({ type: 'ack' }, r.id);
    expect(client.isPending(r.id)).toBe(false);
  });

  it('replaces a worker: it is terminated, waiting requests get "no-answer", the next request starts a fresh one', async () => {
    const { client, workers } = setup();
    const run = client.request({ type: 'start', doc: {} as never, settings: {} as never, backend: 'wasm', baseUrl: '/', resume: true });
    client.restart('stopped by the user');
    await expect(run.reply).resolves.toEqual({ type: 'no-answer', re: run.id, message: 'stopped by the user' });
    expect(workers[0].terminated).toBe(true);
    // The old worker's late messages reach no one.
    const heard: string[] = [];
    client.listen((m) => heard.push(m.type));
    workers[0].emit({ type: 'done', result: { status: 'stopped', steps: 1, epochs: 0 } }, run.id);
    expect(heard).toEqual([]);
    const next = client.request({ type: 'pause' });
    expect(workers).toHaveLength(2);
    expect(next.id).toBeGreaterThan(run.id);
  });
});
