// Running exported scripts with Debian's python3-torch (CI installs it: .ci/run), and the files
// both sides share: a saved model folder and a file of Sampling's ε.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Program } from '../../src/compile/compile';
import { loadWeights, saveWeights, type SavedModel } from '../../src/compile/weights';
import { seededRandom } from '../../src/train/data';
import type { Tf } from '../../nodes/define';

export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
export const TORCHRUN = process.env.TORCHRUN ?? '/usr/bin/torchrun';
// One BLAS thread: the machines running the tests are small and shared.
export const PY_ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

export function run(cmd: string, args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((ok, fail) =>
    execFile(cmd, args, { env: PY_ENV, cwd, maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) =>
      err ? fail(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`)) : ok({ stdout, stderr }),
    ),
  );
}

export const tempDir = (name: string) => mkdtemp(path.join(tmpdir(), `wirelab-${name}-`));

export async function writeModel(tf: Tf, program: Program, dir: string): Promise<void> {
  const saved = await saveWeights(tf, program);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(saved.json));
  await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(saved.weights));
}

export async function readModel(dir: string): Promise<SavedModel> {
  const bin = await readFile(path.join(dir, 'weights.bin'));
  return { json: JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')), weights: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) };
}

export async function readModelInto(tf: Tf, program: Program, dir: string): Promise<void> {
  loadWeights(tf, program, await readModel(dir));
}

/** n standard normal values (Box–Muller over Wirelab's seeded generator). */
export function normals(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const a = 2 * Math.PI * random();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * tf with randomNormal drawing from `eps` in order: Sampling's only source of noise, so a run on our
 * side uses exactly the ε the exported script reads from the same file (--eps).
 */
export function withFixedNoise(tf: Tf, eps: Float32Array): Tf {
  let position = 0;
  const randomNormal = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (position + n > eps.length) throw new Error('the ε file ran out');
    const t = tf.tensor(eps.subarray(position, position + n), shape);
    position += n;
    return t;
  };
  return new Proxy(tf, { get: (target, key, receiver) => (key === 'randomNormal' ? randomNormal : Reflect.get(target, key, receiver)) });
}

export const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
