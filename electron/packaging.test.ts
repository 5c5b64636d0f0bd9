/**
 * electron-builder.yml, checked without packing (packing needs Electron's binary, which can't be
 * downloaded here): electron-builder's own schema accepts it, it makes the promised installers,
 * keeps native code out of the asar, flips the fuses, and agrees with how the shell starts its
 * children once RunAsNode is off.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtHelperEntries, planHelpers } from './helpers.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
// electron-builder's own parts: its YAML reader and its configuration validator.
const require = createRequire(join(root, 'package.json'));
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (on: boolean) => unknown };

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
  };
  linux: { target: string[]; icon: string };
}

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
