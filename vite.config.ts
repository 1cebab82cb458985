/// <reference types="vitest/config" />
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Cross-origin isolation, so that later the wasm backend can use threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [vue()],
  resolve: {
    // elkjs's main entry probes for Node's worker threads; the bundled build runs in the browser as is.
    alias: [{ find: /^elkjs$/, replacement: 'elkjs/lib/elk.bundled.js' }],
  },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
  test: {
    // Unit tests in Node; the browser tests (*.spec.ts) run with vitest.e2e.config.ts.
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // Real tfjs on a loaded 2-core CI machine: a few seconds of work can take ten times as long.
    // Tests wait on results, never on the clock; this only stops a real hang.
    testTimeout: 60_000,
  },
});
