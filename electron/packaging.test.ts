/**
 * electron-builder.yml, checked without packing (packing needs Electron's binary, which can't be
 * downloaded here): electron-builder's own schema accepts it, it makes the promised installers,
 * keeps native code out of the asar, flips the fuses, and agrees with how the shell starts its
 * children once RunAsNode is off — the built-in test market's Hardhat node included.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtHelperEntries, devnetEntryOf, planHelpers } from './helpers.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
// electron-builder's own parts: its YAML reader and its configuration validator.
const require = createRequire(join(root, 'package.json'));
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (on: boolean) => unknown };
const { minimatch } = require('minimatch') as {
  minimatch(path: string, pattern: string, options?: { dot?: boolean }): boolean;
};

interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { buildResources: string };
  files: string[];
  asar: boolean;
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  publish: { provider: string; url: string };
  win: { target: string; icon: string; files: string[] };
  mac: {
    target: string;
    icon: string;
    hardenedRuntime: boolean;
    entitlements: string;
    entitlementsInherit: string;
    files: string[];
  };
  linux: { target: string[]; icon: string; files: string[] };
}

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Where Node finds package `name` from the package in `from` (nested copies first). */
function installedPackage(from: string, name: string): string | undefined {
  const paths = createRequire(join(from, 'package.json')).resolve.paths(name) ?? [];
  return paths.map((p) => join(p, name)).find((dir) => existsSync(join(dir, 'package.json')));
}

/** Every installed package `name` needs at run time (dependencies and optional ones), by folder. */
function runtimeTree(name: string): string[] {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const found = installedPackage(dir, dep);
      if (found) visit(found);
    }
  };
  const top = installedPackage(root, name);
  if (!top) throw new Error(`${name} is not installed`);
  visit(top);
  return [...seen].map((dir) => relative(root, dir).split(sep).join('/'));
}

const matches = (path: string, patterns: string[]) =>
  patterns.some((pattern) => minimatch(path, pattern, { dot: true }));
/** Left out of the app by a `!` pattern of the given files lists. */
const leftOut = (path: string, ...lists: string[][]) =>
  matches(
    path,
    lists
      .flat()
      .filter((p) => p.startsWith('!'))
      .map((p) => p.slice(1)),
  );

const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  it("is valid for electron-builder's own schema", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // The validator does catch mistakes: a misspelt fuse is refused.
    await expect(
      validateConfiguration(
        { ...config, electronFuses: { ...config.electronFuses, runAsnode: false } },
        new DebugLogger(false),
      ),
    ).rejects.toThrow(/electronFuses/);
  });

  it('names the app and makes NSIS, dmg, AppImage and deb installers', () => {
    expect(config.appId).toBe('org.roost.app');
    expect(config.productName).toBe('Roost');
    expect(config.win.target).toBe('nsis');
    expect(config.mac.target).toBe('dmg');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
  });

  it('unpacks onnxruntime-node from the asar (native code cannot load from inside it)', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('node_modules/onnxruntime-node/**');
    expect(config.asarUnpack).toContain('**/*.node');
    // and each platform carries only its own onnxruntime binaries
    expect(config.win.files).toContain(
      '!node_modules/onnxruntime-node/bin/napi-v6/{darwin,linux}/**',
    );
  });

  it("ships the built-in test market's node and everything it loads outside the asar", () => {
    // The entry: packed, unpacked, and where the installed app's plan forks it.
    expect(config.files).toContain('contracts/devnet-node.mjs');
    expect(existsSync(join(root, 'contracts', 'devnet-node.mjs'))).toBe(true);
    expect(matches('contracts/devnet-node.mjs', config.asarUnpack)).toBe(true);
    const resources = '/opt/Roost/resources';
    const plan = planHelpers({
      isPackaged: true,
      appRoot: `${resources}/app.asar`,
      nodeBinary: null,
    });
    expect(plan.devnetEntry).toBe(`${resources}/app.asar.unpacked/contracts/devnet-node.mjs`);
    expect(devnetEntryOf(`${resources}/app.asar`)).toBe(plan.devnetEntry);

    // Hardhat and the EDR binary npm can't pick by itself here are production dependencies.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
    for (const name of ['hardhat', '@nomicfoundation/edr-linux-x64-gnu']) {
      expect(Object.keys(pkg.dependencies ?? {}), name).toContain(name);
      expect(Object.keys(pkg.devDependencies ?? {}), name).not.toContain(name);
    }

    // Every package of Hardhat's run-time tree is unpacked, or left out of the app entirely
    // (what the node never loads: test/integration/electron/devnet-utility.test.ts holds that).
    const tree = runtimeTree('hardhat');
    expect(tree).toEqual(
      expect.arrayContaining(['node_modules/hardhat', 'node_modules/@nomicfoundation/edr']),
    );
    const packed = tree.filter((dir) => !leftOut(`${dir}/package.json`, config.files));
    expect(packed.length).toBeGreaterThan(20);
    for (const dir of packed)
      expect(matches(`${dir}/package.json`, config.asarUnpack), `${dir} is not unpacked`).toBe(
        true,
      );
    expect(tree.filter((dir) => !packed.includes(dir)).sort()).toEqual(
      expect.arrayContaining(['node_modules/esbuild', 'node_modules/tsx']),
    );

    // EDR's native package for every platform it publishes: unpacked, kept on its own platform.
    const edr = JSON.parse(
      readFileSync(join(root, 'node_modules', '@nomicfoundation', 'edr', 'package.json'), 'utf8'),
    ) as PackageJson;
    const natives = Object.keys(edr.optionalDependencies ?? {});
    expect(natives).toContain('@nomicfoundation/edr-win32-x64-msvc');
    const own = { win: 'win32', mac: 'darwin', linux: 'linux' } as const;
    for (const name of natives) {
      const file = `node_modules/${name}/edr.node`;
      expect(matches(file, config.asarUnpack), name).toBe(true);
      expect(leftOut(file, config.files), name).toBe(false);
      for (const [platform, os] of Object.entries(own)) {
        const files = config[platform as keyof typeof own].files;
        expect(leftOut(file, files), `${name} on ${platform}`).toBe(!name.includes(`edr-${os}-`));
      }
    }
  });

  it('flips the fuses: no RunAsNode, no NODE_OPTIONS, no --inspect, only the asar, cookies encrypted', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('with RunAsNode off, the installed app runs its children in utility processes, from files it ships', () => {
    const plan = planHelpers({ isPackaged: true, appRoot: '/app.asar', nodeBinary: '/some/node' });
    expect(plan.kind).toBe('utility');
    expect(config.files).toEqual(
      expect.arrayContaining(['dist/electron/**', 'dist/renderer/**', 'dist/worker/**']),
    );
    for (const entry of Object.values(builtHelperEntries(''))) {
      expect(entry.replace(/^\//, '')).toMatch(/^dist\/worker\/[\w-]+\.js$/);
    }
    // What the bundles leave to node_modules must be a production dependency, or it isn't packed.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      main: string;
      dependencies: Record<string, string>;
    };
    expect(pkg.main).toBe('dist/electron/main.js');
    for (const name of ['onnxruntime-node', 'systeminformation', 'electron-updater'])
      expect(Object.keys(pkg.dependencies)).toContain(name);
  });

  it('takes icons and macOS entitlements from build/: JIT, and nothing looser', () => {
    expect(config.directories.buildResources).toBe('build');
    for (const icon of [config.win.icon, config.mac.icon, config.linux.icon])
      expect(existsSync(join(root, icon)), icon).toBe(true);
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(config.mac.entitlements).toBe('build/entitlements.mac.plist');
    expect(config.mac.entitlementsInherit).toBe('build/entitlements.mac.plist');
    const plist = readFileSync(join(root, config.mac.entitlements), 'utf8');
    const granted = [...plist.matchAll(/<key>([^<]+)<\/key>\s*<true\/>/g)].map((m) => m[1]);
    expect(granted).toEqual(['com.apple.security.cs.allow-jit']);
  });

  it('publishes update files for electron-updater (a placeholder URL until a server exists)', () => {
    expect(config.publish.provider).toBe('generic');
    expect(config.publish.url).toMatch(/^https:\/\//);
  });
});
