/**
 * tfjs's webgpu backend in Node, through the optional npm package `webgpu` (Dawn, the WebGPU
 * engine Chromium uses). navigator.gpu must exist before @tensorflow/tfjs-backend-webgpu is
 * imported, so this module sets it first and imports the backend after.
 *
 * Dawn talks to the GPU through Vulkan: it needs the Vulkan loader (libvulkan.so.1, Debian's
 * libvulkan1) and a driver (the GPU vendor's, or Mesa's). Without a system loader, the copy that
 * Debian's chromium package ships is loaded instead; `VK_ICD_FILENAMES` picks a driver, e.g.
 * SwiftShader (a CPU Vulkan): VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { existsSync } from 'node:fs';
import type * as tfjs from '@tensorflow/tfjs';
import { cacheBindGroups } from '../gpu/bind-group-cache';

type TF = typeof tfjs;

export interface NodeAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

interface GpuAdapterLike {
  info?: Partial<NodeAdapter>;
  features?: Iterable<string>;
}
interface WebGpuModule {
  create(options: string[]): { requestAdapter(o?: { powerPreference?: string }): Promise<GpuAdapterLike | null> };
  globals: Record<string, unknown>;
}

/** Vulkan loaders to try when the system has none (Debian's chromium ships one). */
const FALLBACK_LOADERS = ['/usr/lib/chromium/libvulkan.so.1'];
// dlopen flags: RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE (glibc). Node's os.constants lacks NODELETE.
const DLOPEN_KEEP = 0x2 | 0x100 | 0x1000;

/**
 * Makes libvulkan.so.1 resolvable for Dawn: the system's when it exists, else a fallback copy,
 * loaded with RTLD_NODELETE so it stays after Node's dlopen reports that it is no addon.
 * Returns the loader's path, or null when none was found.
 */
function preloadVulkan(): string | null {
  for (const path of ['libvulkan.so.1', ...FALLBACK_LOADERS]) {
    if (path.startsWith('/') && !existsSync(path)) continue;
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, path, DLOPEN_KEEP);
      return path;
    } catch (e) {
      // Loaded but not an addon: it stays loaded (NODELETE), which is all Dawn needs.
      if (/did not self-register|Module did not/i.test(String((e as Error).message))) return path;
    }
  }
  return null;
}

export class NoWebGpuError extends Error {}

let loaded: { adapter: NodeAdapter; vulkan: string | null } | null = null;

/**
 * Sets up navigator.gpu from the `webgpu` package, imports tfjs's webgpu backend and makes it the
 * active backend. Throws NoWebGpuError with what to install or set when it cannot.
 */
export async function useNodeWebGpu(tf: TF): Promise<NodeAdapter> {
  if (loaded && tf.getBackend() === 'webgpu') return loaded.adapter;
  let mod: WebGpuModule;
  try {
    mod = (await import(/* @vite-ignore */ 'webgpu' as string)) as WebGpuModule;
  } catch (e) {
    throw new NoWebGpuError(
      `WebGPU in Node needs the optional npm package "webgpu" (Dawn), which is not installed or does not load here (${(e as Error).message}). ` +
        'Install it with `npm install webgpu` (prebuilt for Linux x64/arm64, macOS and Windows).',
    );
  }
  const vulkan = process.platform === 'linux' ? preloadVulkan() : null;
  Object.assign(globalThis, mod.globals);
  const options = process.platform === 'linux' ? ['backend=vulkan'] : [];
  const gpu = mod.create(options);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const where =
      process.platform !== 'linux'
        ? ''
        : vulkan === null
          ? ' Dawn found no Vulkan loader (libvulkan.so.1): install Debian\'s libvulkan1 and a Vulkan driver (the GPU vendor\'s, or mesa-vulkan-drivers).'
          : ` The Vulkan loader (${vulkan}) found no driver: install the GPU's Vulkan driver, or point VK_ICD_FILENAMES at one (SwiftShader, a CPU Vulkan: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).`;
    throw new NoWebGpuError(`No WebGPU adapter is available in Node.${where}`);
  }
  // tfjs-backend-webgpu checks navigator.gpu when it is imported.
  const nav = (globalThis as { navigator?: object }).navigator;
  if (!nav) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (!('gpu' in nav) || !(nav as { gpu?: unknown }).gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  const ok = await tf.setBackend('webgpu');
  if (!ok || tf.getBackend() !== 'webgpu') throw new NoWebGpuError('tfjs could not initialise its webgpu backend on the Dawn adapter.');
  await tf.ready();
  cacheBindGroups(tf);
  // Submitting every 40 dispatches, not tfjs's 15: a submit costs ≈ 0.25 ms of CPU through Dawn on
  // Vulkan, and the fast step at batch 128 went from 21,667 to 26,884 samples/s on an H100 (120
  // and 400 were slower: the GPU waits longer for its first work).
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 40);
  const info = adapter.info ?? {};
  const described = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
  loaded = { adapter: described, vulkan };
  return described;
}

/** "google swiftshader SwiftShader driver" */
export const describeNodeAdapter = (a: NodeAdapter): string => [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
