// Browser figures for `npm run bench`: the built app (dist/) in headless Chromium — training
// throughput per backend, and the time from navigation to the preset drawn — and the fast training
// step against the reference step on WebGL (llvmpipe), step time and kernels, at batch 128.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, launchBrowser, openApp, startServer, type Server } from '../tests/e2e/harness';
import { parse } from '../src/graph/parse';
import { toFloats } from '../src/train/data';
import { loadDatasetFromDisk } from '../src/train/data-node';
import type { Figure } from './run';

export interface BrowserResult {
  skipped: { section: string; name: string; note: string }[];
}

type Summarise = (section: string, name: string, unit: string, runs: number[], note?: string) => Figure;

// Mesa's llvmpipe through ANGLE: a faster software GPU than SwiftShader on this kind of machine.
const ANGLE = ['--use-gl=angle', '--use-angle=gl-egl', '--ignore-gpu-blocklist'];
const CONFIGS: { name: string; backend: string; args: string[]; batch: number; steps: number }[] = [
  // GPU backends read the loss every 4 steps: 28 steps give five windows after the warm-up, with room to spare.
  { name: 'webgpu (SwiftShader, the default adapter)', backend: 'webgpu', args: [], batch: 16, steps: 28 },
  { name: 'webgpu (llvmpipe, ANGLE + compat flags)', backend: 'webgpu', args: [...ANGLE, '--use-webgpu-adapter=opengles', '--force-webgpu-compat'], batch: 16, steps: 28 },
  { name: 'webgl (llvmpipe, ANGLE flags)', backend: 'webgl', args: ANGLE, batch: 16, steps: 28 },
  { name: 'wasm', backend: 'wasm', args: [], batch: 16, steps: 44 },
  { name: 'cpu (with the rewrites)', backend: 'cpu', args: [], batch: 16, steps: 12 },
];
const WARMUP = 4;
const RUNS = 5;

async function setField(page: Page, id: string, value: number) {
  await page.getByTestId(id).fill(String(value));
  await page.getByTestId(id).press('Tab');
}

/** Trains `steps` steps and samples (step, worker elapsed ms) as the page shows them. */
async function trainAndSample(page: Page, batch: number, steps: number, timeoutMs: number): Promise<Map<number, number>> {
  await setField(page, 'train-limit', batch * steps);
  await setField(page, 'train-batch', batch);
  await setField(page, 'train-epochs', 1);
  await page.getByTestId('train-start').click();
  const seen = new Map<number, number>();
  const progress = page.getByTestId('progress');
  const end = Date.now() + timeoutMs;
  for (;;) {
    const [step, elapsed, phase] = await Promise.all([progress.getAttribute('data-step'), progress.getAttribute('data-elapsed-ms'), progress.getAttribute('data-phase')]);
    if (Number(step) > 0) seen.set(Number(step), Number(elapsed));
    if (phase === 'done' || Number(step) >= steps) break;
    if (phase === 'error' || Date.now() > end) throw new Error(`training stopped at step ${step} (phase ${phase})`);
    await page.waitForTimeout(25);
  }
  return seen;
}

/**
 * Samples/s over RUNS windows after the warm-up, from the worker's own clock. The page sees steps in
 * bunches (GPU backends read the loss every few steps), so windows run between observed steps.
 */
function windows(seen: Map<number, number>, batch: number): number[] {
  // A point counts only when the worker's clock moved since the last one: the final 'done' update
  // can show the last step again without a new time.
  const points: [number, number][] = [];
  for (const p of [...seen].filter(([s]) => s >= WARMUP).sort((a, b) => a[0] - b[0])) if (!points.length || p[1] > points.at(-1)![1]) points.push(p);
  if (points.length < RUNS + 1) throw new Error(`only ${points.length} steps observed after the warm-up; need ${RUNS + 1}`);
  const picks = Array.from({ length: RUNS + 1 }, (_, i) => points[Math.round((i * (points.length - 1)) / RUNS)]);
  return picks.slice(1).map((to, i) => ((to[0] - picks[i][0]) * batch) / ((to[1] - picks[i][1]) / 1000));
}

async function navigationTimes(browser: Browser, server: Server): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="node"]').length >= 20 && !!document.querySelector('[data-testid="shape-deconv3-output"]'));
    times.push(Date.now() - t0);
    await context.close();
  }
  return times.slice(1);
}

interface StepTimes {
  backend: string;
  defaultKind: string;
  kinds: { kind: string; times: number[]; kernels: number; dispatching: number }[];
}

/**
 * The β-VAE's fast and reference steps on WebGL (llvmpipe) at batch 128, timed in turns in one page
 * (tests/e2e/step-check-entry.ts), with the kernels one step dispatches.
 */
export async function webglSteps(summarise: Summarise, skipped: BrowserResult['skipped']): Promise<void> {
  const batch = 128;
  const name = `webgl step, β-VAE batch ${batch}`;
  const bundle = await build({ entryPoints: [resolve(ROOT, 'tests/e2e/step-check-entry.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'warning' });
  const r = parse(JSON.parse(readFileSync(resolve(ROOT, 'presets/beta-vae.json'), 'utf8')));
  if (!r.ok) throw new Error('preset');
  const data = await loadDatasetFromDisk('fashion-mnist');
  const images = Array.from(toFloats(data.train, Array.from({ length: batch }, (_, i) => i)));
  const browser = await launchBrowser({ args: ANGLE });
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const t = await page.evaluate(
      ([doc, b, n, runs]) => (globalThis as unknown as { stepTimes: (...a: unknown[]) => Promise<StepTimes> }).stepTimes(doc, b, n, 'webgl', runs, 2),
      [r.doc, images, batch, RUNS] as const,
    );
    if (t.backend !== 'webgl') return void skipped.push({ section: 'browser', name, note: `ran on ${t.backend}` });
    for (const k of t.kinds) {
      const what = k.kind === 'fast' ? 'fast (own backward, GLSL fused kernels)' : 'reference (tfjs tape and optimizer)';
      summarise('browser', `${name}: ${what}`, 'ms/step', k.times, `${k.kernels} kernels per step (${k.dispatching} dispatching)${k.kind === t.defaultKind ? '; the default on webgl' : ''}`);
    }
  } catch (e) {
    skipped.push({ section: 'browser', name, note: (e as Error).message.split('\n')[0] });
  } finally {
    await browser.close();
  }
}

export async function browserFigures(summarise: Summarise): Promise<BrowserResult> {
  const skipped: BrowserResult['skipped'] = [];
  await webglSteps(summarise, skipped);
  const server = await startServer();
  try {
    const plain = await launchBrowser();
    try {
      summarise('editor', 'navigation to the preset drawn', 'ms', await navigationTimes(plain, server), '20 nodes with their shapes');
    } finally {
      await plain.close();
    }
    for (const c of CONFIGS) {
      const browser = await launchBrowser({ args: c.args });
      const app = await openApp(browser, server);
      try {
        await app.page.goto(`${server.url}?backend=${c.backend}`);
        await app.page.getByTestId('train-start').waitFor();
        const seen = await trainAndSample(app.page, c.batch, c.steps, 600_000);
        const used = (await app.page.getByTestId('backend').innerText()).trim();
        if (used !== c.backend) skipped.push({ section: 'browser', name: c.name, note: `ran on ${used} instead` });
        else summarise('browser', c.name, 'samples/s', windows(seen, c.batch), `batch ${c.batch}`);
      } catch (e) {
        skipped.push({ section: 'browser', name: c.name, note: (e as Error).message.split('\n')[0] });
      } finally {
        await app.context.close();
        await browser.close();
      }
    }
  } finally {
    await server.stop();
  }
  return { skipped };
}
