// Starts a data-parallel training thread (parallel-worker.ts) from TypeScript sources: Node 20's
// worker threads ignore loader hooks passed by --import, so tsx is registered here, in the thread.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
