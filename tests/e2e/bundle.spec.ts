// The page's own JavaScript must not contain tfjs: only the training worker loads it.
// Follows the built entry's static imports (what the page loads before anything else).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness';

const dist = resolve(ROOT, 'dist');
const TFJS_MARKERS = ['_tfengine', 'Conv2DBackpropFilter', 'tfjs-backend-wasm'];

function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(resolve(dist, 'assets', file), 'utf8');
    // Static imports only: `import … from "./x.js"` and `import "./x.js"`; dynamic import() is lazy.
    for (const m of code.matchAll(/(?:^|[;}\s])import\s*(?:[^'"`()]*?from\s*)?["'`]\.\/([^"'`]+\.js)["'`]/g)) stack.push(m[1]);
  }
  return [...seen];
}

describe('bundle', () => {
  it('keeps tfjs out of the page: only the worker has it', () => {
    expect(existsSync(resolve(dist, 'index.html')), 'run vite build first').toBe(true);
    const html = readFileSync(resolve(dist, 'index.html'), 'utf8');
    const entry = /<script[^>]+src="[^"]*assets\/([^"]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeTruthy();
    const files = staticGraph(entry!);
    for (const f of files) {
      const code = readFileSync(resolve(dist, 'assets', f), 'utf8');
      for (const marker of TFJS_MARKERS) expect(code.includes(marker), `${f} contains ${marker}`).toBe(false);
    }
    // The worker is a separate file and does have tfjs.
    const main = readFileSync(resolve(dist, 'assets', entry!), 'utf8');
    const worker = /train-worker-[\w-]+\.js/.exec(main)?.[0];
    expect(worker, 'the page refers to the training worker').toBeTruthy();
    expect(readFileSync(resolve(dist, 'assets', worker!), 'utf8')).toMatch(/tfjs|_tfengine/);
  });
});
