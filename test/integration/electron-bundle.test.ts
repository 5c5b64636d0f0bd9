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

  it('the built preload exposes exactly call, onEvent and pathForFile, and the last only for a chosen File', async () => {
    const exposed: Record<string, Record<string, unknown>> = {};
    const invoked: unknown[] = [];
    const electron = {
      contextBridge: {
        exposeInMainWorld: (name: string, api: Record<string, unknown>) => (exposed[name] = api),
      },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => invoked.push(args),
        on: () => undefined,
        removeListener: () => undefined,
      },
      webUtils: { getPathForFile: (file: File) => `/home/ana/${file.name}` },
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', preload)(
      (name: string) => {
        if (name !== 'electron') throw new Error(`the preload asked for ${name}`);
        return electron;
      },
      module,
      module.exports,
    );
    expect(Object.keys(exposed)).toEqual(['roost']);
    const roost = exposed.roost as {
      call: (m: unknown, p: unknown) => Promise<unknown>;
      pathForFile: (f: unknown) => string;
    };
    expect(Object.keys(roost).sort()).toEqual(['call', 'onEvent', 'pathForFile']);
    expect(roost.pathForFile(new File(['x'], 'x.npy'))).toBe('/home/ana/x.npy');
    expect(() => roost.pathForFile('/etc/passwd')).toThrow('pathForFile needs a chosen File');
    expect(await roost.call('wallet.exportKey', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    });
    expect(invoked).toEqual([]);
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
