// Data-parallel training against one thread, by wall clock and by CPU time
// (npx tsx bench/thread-profile.ts [batch] [threads] [rounds]). CPU time per sample (all threads of
// this process) does not depend on how busy the machine is, where wall-clock samples/s does; the
// main thread's split shows what the threads wait for.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/compile/backend-node';
import { compile } from '../src/compile/compile';
import { parse } from '../src/graph/parse';
import { loadDatasetFromDisk } from '../src/train/data-node';
import { startDataParallel, type DataParallel } from '../src/train/parallel';
import { timedLoop } from './node-parallel';

const batch = Number(process.argv[2] ?? 128);
const threads = Number(process.argv[3] ?? os.availableParallelism());
const rounds = Number(process.argv[4] ?? 3);
const steps = 8;
await useNodeBackend(tf, 'wasm');
const r = parse(JSON.parse(readFileSync('presets/beta-vae.json', 'utf8')));
if (!r.ok) throw new Error('preset');
const data = await loadDatasetFromDisk('fashion-mnist');
const program = compile(r.doc, tf);
const parallel = await startDataParallel({ tf, program, threads, balance: true });

const measure = (step?: DataParallel['step']) => timedLoop(tf, program, data.train, batch, steps, step);

await measure();
await measure(parallel.step);
console.log(`batch ${batch}, ${threads} threads, load average ${os.loadavg()[0].toFixed(1)}`);
for (let i = 0; i < rounds; i++) {
  const a = await measure();
  const b = await measure(parallel.step);
  console.log(
    `1 thread: ${a.samplesPerSecond.toFixed(0)} samples/s, ${a.cpuMsPerSample.toFixed(2)} CPU ms/sample | ${threads} threads: ${b.samplesPerSecond.toFixed(0)} samples/s, ${b.cpuMsPerSample.toFixed(2)} CPU ms/sample`,
  );
}
const st = parallel.stats();
const per = (ms: number) => (ms / st.steps).toFixed(1);
console.log(`main thread per step: send ${per(st.sendMs)} ms, own shard ${per(st.computeMs)} ms, waiting ${per(st.waitMs)} ms, update ${per(st.updateMs)} ms; last split ${st.sizes.join('/')}`);
console.log(`load average ${os.loadavg()[0].toFixed(1)}`);
await parallel.close();
program.dispose();
