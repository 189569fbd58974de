/**
 * Vite builds the renderer (renderer/ → dist/renderer) and vitest runs its component and store tests. Only
 * renderer/test/**\/*.spec.ts are vitest's: the engine's and the main process's tests belong to node's runner.
 */
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./renderer'),
  // Relative asset URLs: the same build loads from a custom protocol in Electron and from the engine's HTTP server.
  base: './',
  plugins: [vue()],
  build: {
    outDir: here('./dist/renderer'),
    emptyOutDir: true,
    target: 'es2023',
    // One small app: a single chunk loads faster from disk than a waterfall of them.
    chunkSizeWarningLimit: 800,
  },
  test: {
    root: here('.'),
    environment: 'happy-dom',
    include: ['renderer/test/**/*.spec.ts'],
    restoreMocks: true,
    reporters: ['default', './renderer/test/summary-reporter.ts'],
  },
});
