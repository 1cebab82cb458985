/**
 * ms per conv filter gradient for the conv VAE's shapes (batch 128):
 * tfjs's own Conv2DBackpropFilter kernel on cpu ('cpu-stock') versus
 * filterGradient on cpu and on wasm (patches × dy, the default there) and
 * on wasm as the dilated conv ('wasm-dilated', tfjs's own wasm kernels).
 *
 *   npx tsx bench/conv-gradient.ts [--reps N] [--no-stock] [--batch B]
 *
 * The stock kernel takes seconds per call, so it is run once (no warm-up).
 */
import * as tf from '@tensorflow/tfjs';
import { filterGradient } from '../src/compile/conv-gradient';
import { useNodeBackend, type NodeBackendName } from '../src/compile/backend-node';
import { unregisterWasmKernels } from '../src/compile/wasm-kernels';

type Shape4 = [number, number, number, number];

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const REPS = Number(flag('--reps') ?? 3);
const B = Number(flag('--batch') ?? 128);
const STOCK = !args.includes('--no-stock');

interface Case {
  name: string;
  x: Shape4; // input of the (forward) conv whose filter gradient is wanted
  dy: Shape4; // gradient of its output
  w: Shape4; // [kh, kw, Cin, Cout] of that conv
  strides: number;
}

// A conv2dTranspose from [B,h,w,Ci] to [B,H,W,Co] with filter [k,k,Co,Ci] is the input
// gradient of a conv from [B,H,W,Co] to [B,h,w,Ci]; its filter gradient is that conv's.
const CASES: Case[] = [
  { name: 'conv  28->14  1->32  s2', x: [B, 28, 28, 1], dy: [B, 14, 14, 32], w: [3, 3, 1, 32], strides: 2 },
  { name: 'conv  14->7  32->64  s2', x: [B, 14, 14, 32], dy: [B, 7, 7, 64], w: [3, 3, 32, 64], strides: 2 },
  { name: 'convT  7->14 64->64  s2', x: [B, 14, 14, 64], dy: [B, 7, 7, 64], w: [3, 3, 64, 64], strides: 2 },
  { name: 'convT 14->28 64->32  s2', x: [B, 28, 28, 32], dy: [B, 14, 14, 64], w: [3, 3, 32, 64], strides: 2 },
  { name: 'convT 28->28 32->1   s1', x: [B, 28, 28, 1], dy: [B, 28, 28, 32], w: [3, 3, 1, 32], strides: 1 },
];

function time(fn: () => tf.Tensor, reps: number, warmup: boolean): number {
  if (warmup) tf.dispose(fn());
  let total = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = fn();
    out.dataSync();
    total += performance.now() - t0;
    out.dispose();
  }
  return total / reps;
}

type Column = NodeBackendName | 'wasm-dilated';

async function run(backend: Column): Promise<number[]> {
  await useNodeBackend(tf, backend === 'wasm-dilated' ? 'wasm' : backend);
  if (backend === 'wasm-dilated') unregisterWasmKernels(tf);
  const results: number[] = [];
  for (const c of CASES) {
    const x = tf.randomNormal(c.x) as tf.Tensor4D;
    const dy = tf.randomNormal(c.dy) as tf.Tensor4D;
    const ms =
      backend === 'cpu-stock'
        ? time(
            () =>
              tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
                strides: c.strides,
                pad: 'same',
                dataFormat: 'NHWC',
                filterShape: c.w,
              }) as tf.Tensor,
            1,
            false,
          )
        : time(() => filterGradient(tf, x, dy, c.w, c.strides, 'same'), REPS, true);
    results.push(ms);
    tf.dispose([x, dy]);
    process.stderr.write(`  ${backend.padEnd(9)} ${c.name}: ${ms.toFixed(1)} ms\n`);
  }
  return results;
}

const backends: Column[] = STOCK ? ['cpu-stock', 'cpu', 'wasm', 'wasm-dilated'] : ['cpu', 'wasm', 'wasm-dilated'];
const table = new Map<Column, number[]>();
for (const b of backends) table.set(b, await run(b));

const col = (s: string) => s.padStart(11);
console.log(`\nms per filter gradient, batch ${B} (stock: 1 run; others: mean of ${REPS} after warm-up)`);
console.log('shape'.padEnd(26) + backends.map(col).join(''));
CASES.forEach((c, i) => {
  console.log(c.name.padEnd(26) + backends.map((b) => col(table.get(b)![i].toFixed(1))).join(''));
});
console.log('total'.padEnd(26) + backends.map((b) => col(table.get(b)!.reduce((a, v) => a + v, 0).toFixed(1))).join(''));
