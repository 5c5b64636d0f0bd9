import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// Electron's main process and preload, bundled for Electron 45 (Node 24 inside). Main is ESM;
// the preload must be one CommonJS file, since sandboxed preloads can't load modules.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig(({ mode }) =>
  mode === 'preload'
    ? {
        build: {
          outDir: here('../dist/electron'),
          emptyOutDir: false,
          target: 'node22',
          minify: false,
          lib: { entry: here('preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
          rollupOptions: { external: ['electron'] },
        },
      }
    : {
        build: {
          outDir: here('../dist/electron'),
          emptyOutDir: false,
          target: 'node22',
          minify: false,
          ssr: here('main.ts'),
          rollupOptions: {
            // prettier: only agent/bench's dev-time schema writer imports it, lazily and optionally.
            external: ['electron', 'onnxruntime-node', 'prettier', /^node:/],
            output: { format: 'es', entryFileNames: 'main.js' },
          },
        },
        ssr: { noExternal: true, external: ['electron', 'onnxruntime-node', 'prettier'] },
      },
);
