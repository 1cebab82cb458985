// Choosing the tfjs backend in the browser worker — never silently, and the fastest that works,
// not the first that starts. The automatic choice: every backend that starts here and passes a
// tiny conv-gradient self-test qualifies (WebGPU, WebGL, wasm; cpu only when none does), except a
// WebGPU fallback adapter (SwiftShader: a software GPU, tens of seconds a step), which is never
// chosen automatically. When two or more qualify, a short measured trial (a few steps of a small
// conv net, a bounded time each) decides, and the reason is reported ("wasm: 0.8 s/step vs webgl
// 2.1 s/step"). A backend asked for by name (`?backend=`, the panel's menu) is used when it starts;
// if it fails, the automatic choice runs on the rest and the failure is reported.
import type * as tfjs from '@tensorflow/tfjs';
import { registerFastConvGradients, unregisterFastConvGradients } from '../compile/conv-gradient';
import { registerWasmKernels } from '../compile/wasm-kernels';
import { BACKENDS, type AdapterInfo, type BackendInfo, type BackendName, type BackendRequest, type BackendTrial } from './protocol';
import { cacheBindGroups } from '../gpu/bind-group-cache';

type TF = typeof tfjs;

// Minimal WebGPU types (TypeScript's DOM library has none).
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
export interface GpuDeviceLike {
  lost: Promise<{ reason: string; message: string }>;
  destroy(): void;
  /** The buffer limits the memory check holds a graph to. */
  limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number };
}

const gpu = (): GpuLike | undefined => (globalThis.navigator as (Navigator & { gpu?: GpuLike }) | undefined)?.gpu;

/** The WebGPU adapter tfjs would get, described; null when there is none. */
export async function describeAdapter(): Promise<{ adapter: AdapterInfo | null; reason: string | null }> {
  const g = gpu();
  if (!g) return { adapter: null, reason: 'this browser exposes no WebGPU (navigator.gpu is missing)' };
  let a: GpuAdapterLike | null;
  try {
    a = await g.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { adapter: null, reason: `requesting a WebGPU adapter failed: ${message(e)}` };
  }
  if (!a) return { adapter: null, reason: 'no WebGPU adapter is available (the GPU may be blocklisted or disabled)' };
  const info = a.info ?? (a.requestAdapterInfo ? await a.requestAdapterInfo().catch(() => undefined) : undefined) ?? {};
  return {
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter) || /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`),
    },
    reason: null,
  };
}

/** A short name for an adapter: "google swiftshader (fallback)". */
export function adapterName(a: AdapterInfo): string {
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return a.isFallbackAdapter ? `${name} (fallback adapter)` : name;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

let wasmConfigured = false;

/** Loads a backend's package and sets it active; throws with the reason when it cannot run here. */
async function activate(tf: TF, name: BackendName, wasmPaths?: Record<string, string>): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'webgl') {
    await import('@tensorflow/tfjs-backend-webgl');
    if (typeof OffscreenCanvas === 'undefined') throw new Error('this worker has no OffscreenCanvas for WebGL');
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Before the backend first initialises (tf.findBackend would initialise it, so it is not asked).
    if (!wasmConfigured) {
      if (wasmPaths) wasm.setWasmPaths(wasmPaths);
      // The threaded build's pthread workers are inlined as a script that refers to the module
      // factory by a name the bundler renames ("e is not defined"); the single-threaded SIMD build works.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasmConfigured = true;
    }
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Error(message(e));
  }
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs could not initialise it`);
  await tf.ready();
  cacheBindGroups(tf);
  if (name === 'wasm') registerWasmKernels(tf);
}

/**
 * A tiny training step's worth of conv gradients (filter and input, strided, 'same' padding),
 * checked against plain JavaScript. Catches drivers and shader compilers that return garbage.
 */
export async function convGradientSelfTest(tf: TF): Promise<void> {
  const [b, h, w, cin, k, cout, s] = [2, 5, 5, 2, 3, 3, 2];
  const xs = Float32Array.from({ length: b * h * w * cin }, (_, i) => Math.sin(i * 0.37));
  const fs = Float32Array.from({ length: k * k * cin * cout }, (_, i) => Math.cos(i * 0.21));
  const oh = Math.ceil(h / s);
  const ow = Math.ceil(w / s);
  const ws = Float32Array.from({ length: b * oh * ow * cout }, (_, i) => ((i % 7) - 3) / 3);
  const [gx, gf] = tf.tidy(() => {
    const x = tf.tensor4d(xs, [b, h, w, cin]);
    const f = tf.tensor4d(fs, [k, k, cin, cout]);
    const weight = tf.tensor4d(ws, [b, oh, ow, cout]);
    const grads = tf.grads((xx: tfjs.Tensor, ff: tfjs.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tfjs.Tensor4D, ff as tfjs.Tensor4D, s, 'same'), weight)));
    return grads([x, f]);
  });
  const [dx, df] = await Promise.all([gx.data(), gf.data()]);
  gx.dispose();
  gf.dispose();
  // Reference: y[n,i,j,o] = Σ x[n, i*s+p-pad, j*s+q-pad, c] f[p,q,c,o]; loss = Σ y·weight.
  const pad = Math.floor(Math.max((oh - 1) * s + k - h, 0) / 2);
  const rdx = new Float64Array(dx.length);
  const rdf = new Float64Array(df.length);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < cout; o++) {
          const g = ws[((n * oh + i) * ow + j) * cout + o];
          for (let p = 0; p < k; p++)
            for (let q = 0; q < k; q++) {
              const r = i * s + p - pad;
              const c0 = j * s + q - pad;
              if (r < 0 || r >= h || c0 < 0 || c0 >= w) continue;
              for (let c = 0; c < cin; c++) {
                const xi = ((n * h + r) * w + c0) * cin + c;
                const fi = ((p * k + q) * cin + c) * cout + o;
                rdf[fi] += xs[xi] * g;
                rdx[xi] += fs[fi] * g;
              }
            }
        }
  const worst = (got: ArrayLike<number>, want: Float64Array) => {
    let e = 0;
    for (let i = 0; i < want.length; i++) e = Math.max(e, Number.isFinite(got[i]) ? Math.abs(got[i] - want[i]) : Infinity);
    return e;
  };
  const ef = worst(df, rdf);
  const ex = worst(dx, rdx);
  if (!(ef < 1e-2) || !(ex < 1e-2)) throw new Error(`the conv-gradient self-test gave wrong numbers (filter error ${ef.toPrecision(3)}, input error ${ex.toPrecision(3)})`);
}

/**
 * Whether the forward-conv filter gradient is used on a backend. Required on wasm (no
 * Conv2DBackpropFilter kernel); faster everywhere measured: headless Chromium on 2 cores, β-VAE,
 * batch 16 — cpu ~6×, WebGL (ANGLE/SwiftShader) 2.0 → 1.35 s/step, WebGPU (SwiftShader) 13 → 11 s/step
 * and its first step (shader compiles) 28 → 12 s on the compat adapter.
 */
export function wantsFastConvGradients(_name: BackendName): boolean {
  return true;
}

export interface SelectOptions {
  requested: BackendRequest;
  /** URLs of tfjs-backend-wasm's .wasm files, by file name. */
  wasmPaths?: Record<string, string>;
  /** Backends not to try (one that just lost its device). */
  exclude?: BackendName[];
}

/** The order to try backends in: the forced one first, then the usual order. */
export function backendOrder(requested: BackendRequest, exclude: readonly BackendName[] = []): BackendName[] {
  const rest = BACKENDS.filter((b) => b !== requested && !exclude.includes(b));
  return requested === 'auto' || exclude.includes(requested) ? rest : [requested, ...rest];
}

/** One trial step: a small conv net's forward and backward pass, read back (so the device finishes). */
async function trialStep(tf: TF): Promise<void> {
  const grads = tf.tidy(() => {
    const x = tf.randomUniform([16, 24, 24, 1]) as tfjs.Tensor4D;
    const f1 = tf.randomNormal([3, 3, 1, 32], 0, 0.1) as tfjs.Tensor4D;
    const f2 = tf.randomNormal([3, 3, 32, 64], 0, 0.1) as tfjs.Tensor4D;
    const w = tf.randomNormal([6 * 6 * 64, 16], 0, 0.05) as tfjs.Tensor2D;
    const g = tf.grads((a: tfjs.Tensor, b: tfjs.Tensor, c: tfjs.Tensor) => {
      const h1 = tf.relu(tf.conv2d(x, a as tfjs.Tensor4D, 2, 'same'));
      const h2 = tf.relu(tf.conv2d(h1, b as tfjs.Tensor4D, 2, 'same'));
      return tf.sum(tf.square(tf.matMul(tf.reshape(h2, [16, -1]), c as tfjs.Tensor2D)));
    });
    return g([f1, f2, w]);
  });
  await Promise.all(grads.map((t) => t.data()));
  grads.forEach((t) => t.dispose());
}

/** The trial: one warm-up step (shader compiles), then up to 3 timed steps within about `budgetMs`. */
export async function timeTrial(tf: TF, budgetMs = 1500): Promise<number> {
  await trialStep(tf);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 && (times.length === 0 || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await trialStep(tf);
    times.push(performance.now() - t0);
  }
  return Math.min(...times);
}

/** A backend whose trial (shader compiles included) takes longer than this is too slow to choose. */
const TRIAL_LIMIT_MS = 10_000;

/** The promise's value, or an error once `ms` have passed (the work itself goes on, unwatched). */
function withinTime<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`it took over ${ms / 1000} s`)), ms)));
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** "0.8 s/step", "35 ms/step". */
export function formatStepTime(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toPrecision(2))} s/step` : `${Number(ms.toPrecision(2))} ms/step`;
}

/** Why the trial chose its winner: "wasm: 35 ms/step vs webgl 90 ms/step (a short trial)". */
export function trialReason(trial: readonly BackendTrial[]): string {
  const [best, ...rest] = trial;
  return `${best.name}: ${formatStepTime(best.msPerStep)} vs ${rest.map((t) => `${t.name} ${formatStepTime(t.msPerStep)}`).join(', ')} (a short trial of each)`;
}

/** Starts a backend and checks it: activates it, registers the conv gradients, runs the GPU self-test. */
async function startBackend(tf: TF, name: BackendName, wasmPaths: Record<string, string> | undefined): Promise<{ fast: boolean; selfTestMs: number | null }> {
  const start = performance.now();
  await activate(tf, name, wasmPaths);
  const fast = wantsFastConvGradients(name);
  if (fast) registerFastConvGradients(tf);
  else unregisterFastConvGradients(tf);
  let selfTestMs: number | null = null;
  if (name === 'webgpu' || name === 'webgl') {
    await convGradientSelfTest(tf);
    selfTestMs = Math.round(performance.now() - start);
  }
  return { fast, selfTestMs };
}

/** Picks and activates a backend; says which, on what adapter, why, and why the others were skipped. */
export async function selectBackend(tf: TF, opts: SelectOptions): Promise<BackendInfo> {
  const skipped: BackendInfo['skipped'] = [];
  let adapter: AdapterInfo | null = null;
  const exclude = opts.exclude ?? [];
  const info = (name: BackendName, started: { fast: boolean; selfTestMs: number | null }, reason: string, trial?: BackendTrial[]): BackendInfo => {
    const slowGpu = name === 'webgpu' && adapter?.isFallbackAdapter === true;
    return {
      name,
      requested: opts.requested,
      adapter,
      skipped,
      fastConvGradients: started.fast,
      advice: slowGpu ? `WebGPU runs on a fallback adapter (${adapterName(adapter!)}): a software GPU. The wasm backend is likely faster here.` : null,
      suggest: slowGpu ? 'wasm' : null,
      selfTestMs: started.selfTestMs,
      reason,
      ...(trial ? { trial } : {}),
    };
  };

  // Asked for by name: use it when it starts.
  const forced = opts.requested !== 'auto' && !exclude.includes(opts.requested) ? opts.requested : null;
  if (forced) {
    try {
      if (forced === 'webgpu') {
        const found = await describeAdapter();
        adapter = found.adapter;
        if (!found.adapter) throw new Error(found.reason ?? 'no adapter');
      }
      return info(forced, await startBackend(tf, forced, opts.wasmPaths), 'chosen by name (the panel’s menu or ?backend=)');
    } catch (e) {
      skipped.push({ name: forced, reason: `asked for by name, but it failed: ${message(e)}` });
    }
  }

  // The automatic choice: every backend that qualifies, then a trial among them.
  const qualified: { name: BackendName; started: { fast: boolean; selfTestMs: number | null } }[] = [];
  for (const name of backendOrder('auto', [...exclude, ...(forced ? [forced] : [])])) {
    if (name === 'cpu' && qualified.length) break;
    try {
      if (name === 'webgpu') {
        const found = await describeAdapter();
        adapter = found.adapter;
        if (!found.adapter) throw new Error(found.reason ?? 'no adapter');
        if (found.adapter.isFallbackAdapter)
          throw new Error(`the WebGPU adapter is a software fallback (${adapterName(found.adapter)}): never the automatic choice; pick webgpu in the menu to use it anyway`);
      }
      qualified.push({ name, started: await startBackend(tf, name, opts.wasmPaths) });
    } catch (e) {
      skipped.push({ name, reason: message(e) });
    }
  }
  if (!qualified.length) throw new Error(`No tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  if (qualified.length === 1) {
    const only = qualified[0];
    await activate(tf, only.name, opts.wasmPaths);
    return info(only.name, only.started, skipped.length ? `the only backend that qualified here` : 'the only backend tried');
  }
  const trial: BackendTrial[] = [];
  for (const q of qualified) {
    try {
      await activate(tf, q.name, opts.wasmPaths);
      trial.push({ name: q.name, msPerStep: Math.round(await withinTime(timeTrial(tf), TRIAL_LIMIT_MS)) });
    } catch (e) {
      skipped.push({ name: q.name, reason: `it failed the trial: ${message(e)}` });
    }
  }
  if (!trial.length) throw new Error(`No tfjs backend could run the trial: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  trial.sort((a, b) => a.msPerStep - b.msPerStep);
  const best = qualified.find((q) => q.name === trial[0].name)!;
  await activate(tf, best.name, opts.wasmPaths);
  return info(best.name, best.started, trial.length > 1 ? trialReason(trial) : 'the only backend that ran the trial', trial);
}

/** The WebGPU device tfjs trains on, to watch for its loss; null on other backends. */
export function webgpuDevice(tf: TF): GpuDeviceLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: GpuDeviceLike }).device;
  return device && typeof device === 'object' && 'lost' in device ? device : null;
}
