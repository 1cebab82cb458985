// Choosing the tfjs backend in the browser worker — never silently. In order: WebGPU when an
// adapter exists and a tiny conv-gradient self-test passes; else WebGL (same self-test); else wasm
// (which needs the core's conv filter gradient); else cpu. Each backend skipped is reported with
// the reason, and the WebGPU adapter is described (a fallback adapter such as SwiftShader is slow).
// `?backend=` forces one; if the forced one fails, the rest are tried and the failure is reported.
import type * as tfjs from '@tensorflow/tfjs';
import { registerFastConvGradients, unregisterFastConvGradients } from '../compile/conv-gradient';
import { BACKENDS, type AdapterInfo, type BackendInfo, type BackendName, type BackendRequest } from './protocol';

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

/** Picks and activates a backend; says which, on what adapter, and why the others were skipped. */
export async function selectBackend(tf: TF, opts: SelectOptions): Promise<BackendInfo> {
  const skipped: BackendInfo['skipped'] = [];
  let adapter: AdapterInfo | null = null;
  for (const name of backendOrder(opts.requested, opts.exclude)) {
    const start = performance.now();
    try {
      if (name === 'webgpu') {
        const found = await describeAdapter();
        adapter = found.adapter;
        if (!found.adapter) throw new Error(found.reason ?? 'no adapter');
      }
      await activate(tf, name, opts.wasmPaths);
      const fast = wantsFastConvGradients(name);
      if (fast) registerFastConvGradients(tf);
      else unregisterFastConvGradients(tf);
      let selfTestMs: number | null = null;
      if (name === 'webgpu' || name === 'webgl') {
        await convGradientSelfTest(tf);
        selfTestMs = Math.round(performance.now() - start);
      }
      const slowGpu = name === 'webgpu' && adapter?.isFallbackAdapter === true;
      return {
        name,
        requested: opts.requested,
        adapter,
        skipped,
        fastConvGradients: fast,
        advice: slowGpu ? `WebGPU runs on a fallback adapter (${adapterName(adapter!)}): a software GPU. The wasm backend is likely faster here.` : null,
        suggest: slowGpu ? 'wasm' : null,
        selfTestMs,
      };
    } catch (e) {
      const why = message(e);
      skipped.push({ name, reason: name === opts.requested ? `forced with ?backend=${name}, but it failed: ${why}` : why });
    }
  }
  throw new Error(`No tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The WebGPU device tfjs trains on, to watch for its loss; null on other backends. */
export function webgpuDevice(tf: TF): GpuDeviceLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: GpuDeviceLike }).device;
  return device && typeof device === 'object' && 'lost' in device ? device : null;
}
