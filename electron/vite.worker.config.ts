// The helper children as built JavaScript, for the packaged app: in development Node 24 runs
// their .ts sources, but a packaged app has no type stripping to rely on (utilityProcess runs
// Electron's Node) and ships no sources. One ES module per entry in dist/worker/, shared code in
// chunks/, with onnxruntime-node and systeminformation left to node_modules (native code and a
// CommonJS package that reads its own files). zod and the protocols are bundled in.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Built helper entries: name in dist/worker/ → source. electron/helpers.ts resolves the same names. */
export const workerEntries = {
  entry: here('../worker/entry.ts'),
  'probe-entry': here('../worker/probe-entry.ts'),
  'bench-entry': here('../worker/bench-entry.ts'),
  'si-graphics-child': here('../agent/hardware/si-graphics-child.ts'),
};

/**
 * Modules a helper starts as a worker thread from beside itself, not helpers the shell runs:
 * the job worker's I/O thread (worker/runner.ts, `ioThreadBeside`).
 */
export const threadEntries = {
  'io-thread': here('../worker/io-thread.ts'),
};

const external = ['onnxruntime-node', 'systeminformation', /^node:/];

export default defineConfig({
  build: {
    outDir: here('../dist/worker'),
    emptyOutDir: true,
    target: 'node22',
    minify: false,
    ssr: true,
    rollupOptions: {
      input: { ...workerEntries, ...threadEntries },
      external,
      output: {
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
      },
      plugins: [
        {
          // The folder says what its files are, so Node never has to look above it for a
          // package.json (a worker under Node's permission model may not read there).
          name: 'roost-worker-package-json',
          generateBundle() {
            this.emitFile({
              type: 'asset',
              fileName: 'package.json',
              source: `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`,
            });
          },
        },
      ],
    },
  },
  ssr: { noExternal: true, external: ['onnxruntime-node', 'systeminformation'] },
});
