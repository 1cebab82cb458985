// Shared by the store tests: a worker port that records what the page sends.
import type { Report, ToWorker, WorkerPort } from '../../src/worker/protocol';

export /** A stand-in for the training worker: records what the page sends, and replies on demand. */
class FakeWorker implements WorkerPort {
  sent: ToWorker[] = [];
  terminated = false;
  private listeners: ((e: MessageEvent) => void)[] = [];
  postMessage(message: ToWorker) {
    this.sent.push(structuredClone(message));
  }
  addEventListener(type: 'message' | 'error', listener: ((e: MessageEvent) => void) | ((e: ErrorEvent) => void)) {
    if (type === 'message') this.listeners.push(listener as (e: MessageEvent) => void);
  }
  terminate() {
    this.terminated = true;
  }
  /** Send `message` as the worker would, for request `re` (by default the last start's: the run's). */
  emit(message: Report, re = this.last('start')?.id ?? 0) {
    for (const l of this.listeners) l({ data: structuredClone({ ...message, re }) } as MessageEvent);
  }
  last<T extends ToWorker['type']>(type: T): Extract<ToWorker, { type: T }> | undefined {
    return this.sent.filter((m): m is Extract<ToWorker, { type: T }> => m.type === type).pop();
  }
}
