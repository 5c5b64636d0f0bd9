import { describe, expect, it, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

// The Electron binary can't run here, but what it would load can be built and inspected.
const root = fileURLToPath(new URL('../../', import.meta.url));
const exec = promisify(execFile);

describe('the Electron bundles', () => {
  let preload: string;
  let main: string;
  beforeAll(async () => {
    await exec('npm', ['run', '-s', 'build:electron'], { cwd: root });
    preload = await readFile(`${root}dist/electron/preload.cjs`, 'utf8');
    main = await readFile(`${root}dist/electron/main.js`, 'utf8');
  });

  it('the sandboxed preload is one CommonJS file that needs only electron', () => {
    const requires = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(preload).not.toMatch(/^import /m);
    expect(preload).toContain('exposeInMainWorld');
    // Only the bridge's two functions are exposed, never ipcRenderer itself.
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*\)/);
  });

  it('the main bundle imports only electron, Node built-ins and native modules', () => {
    const imports = [...main.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    // Bundled libraries (ethers) may name built-ins without the node: prefix.
    for (const spec of imports) {
      // `./assets/*.js`: chunks of the same bundle (lazy imports), packed with it.
      const ok =
        spec === 'electron' ||
        spec === 'onnxruntime-node' ||
        isBuiltin(spec) ||
        /^\.\/assets\/[\w.-]+\.js$/.test(spec);
      expect(ok, spec).toBe(true);
    }
    // Development tools never ride along (prettier is only used to write a schema file in dev).
    expect(main).not.toMatch(/prettier\/plugins/);
    expect(main).toContain('registerSchemesAsPrivileged');
  });
});
