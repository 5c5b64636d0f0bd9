import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// One build serves both hosts: Electron loads it from disk, `roost serve` over HTTP. Relative
// asset paths (base './') work for both; no inline scripts, so the strict CSP holds.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2023',
    modulePreload: { polyfill: false },
    // One ~540 kB bundle, read from disk (the app) or from 127.0.0.1 (roost serve), never over
    // the internet: Vite's 500 kB warning is about download time, and only alarmed people at
    // every npm start.
    chunkSizeWarningLimit: 1024,
  },
});
