// Shared harness for browser tests: serves dist/ with `vite preview` on 127.0.0.1 (a free port) and
// drives Debian's Chromium through playwright-core. Build first (`npm run test:e2e` does).
// Reuse it: `startServer()`, `launchBrowser({ args: [...extra] })`, `openApp(browser, server)`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags every launch gets; pass more with `launchBrowser({ args })`. */
export const BASE_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

export interface Server {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`vite preview did not answer at ${url} within ${timeoutMs} ms`);
}

/** Serve the built app (dist/) with `vite preview` on 127.0.0.1 and a free port. */
export async function startServer(opts: { timeoutMs?: number } = {}): Promise<Server> {
  if (!existsSync(resolve(ROOT, 'dist/index.html'))) throw new Error('dist/ is missing: run `vite build` first (npm run test:e2e does).');
  const port = await freePort();
  const vite = resolve(ROOT, 'node_modules/vite/bin/vite.js');
  const child = spawn(process.execPath, [vite, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BROWSER: 'none' },
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(url, child, opts.timeoutMs ?? 30_000);
  } catch (e) {
    child.kill();
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** Launch Chromium with BASE_ARGS plus any extra `args`. */
export function launchBrowser(opts: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({ headless: true, ...opts, executablePath: opts.executablePath ?? CHROMIUM, args: [...BASE_ARGS, ...(opts.args ?? [])] });
}

/** One server and one Chromium for a whole spec file: started before its tests, stopped after. */
export function useAppServer(opts: LaunchOptions = {}): { readonly server: Server; readonly browser: Browser } {
  const env = {} as { server: Server; browser: Browser };
  beforeAll(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser(opts);
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

export interface AppPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
}

/** A fresh context (empty localStorage) at 1280×800 with the app open and its nodes drawn. */
export async function openApp(browser: Browser, server: Server, opts: { waitForNodes?: boolean } = {}): Promise<AppPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(server.url);
  if (opts.waitForNodes !== false) await page.waitForSelector('[data-testid="node"]');
  return { context, page, errors };
}

export interface PersistentApp extends AppPage {
  /** Close the browser and delete its profile folder. */
  close(): Promise<void>;
}

/**
 * Chromium with a persistent profile in a fresh folder, as people use a browser (storage lives on
 * disk and survives reloads): some bugs show only there. Its own browser process; BASE_ARGS plus `args`.
 */
export async function openPersistentApp(server: Server, opts: { args?: string[]; query?: string } = {}): Promise<PersistentApp> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(resolve(tmpdir(), 'wirelab-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_ARGS, ...(opts.args ?? [])],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${server.url}${opts.query ?? ''}`);
  await page.waitForSelector('[data-testid="node"]');
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A server for a whole spec file, without a shared browser (each test opens its own persistent one). */
export function useServer(): { readonly server: Server } {
  const env = {} as { server: Server };
  beforeAll(async () => {
    env.server = await startServer();
  });
  afterAll(async () => {
    await env.server?.stop();
  });
  return env;
}
