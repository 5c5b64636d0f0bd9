/**
 * The built-in test market as the installed desktop app starts it: contracts/devnet-node.mjs
 * through the shell's utilityProcess starter (electron/utility-helpers.ts), from the agent's
 * embedded devnet, with its files in a fresh data folder and its working folder outside the
 * repository. utilityProcess is played by a stand-in (a Node 24 child with `process.parentPort`):
 * the Electron binary can't be downloaded here, so nothing of this runs in real Electron.
 *
 * The node deploys the market and answers JSON-RPC, a reverted call included; every file it loads
 * is one the packaged app ships outside the asar (electron-builder.yml's asarUnpack), and none is
 * one the packaged app leaves out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { roostTestTokenInterface } from '../../../contracts/bindings/roost-test-token.ts';
import type { StartNodeModule } from '../../../contracts/devnet-process.ts';
import { ensureLocalDevnet } from '../../../agent/market/embedded-devnet.ts';
import { planHelpers } from '../../../electron/helpers.ts';
import { createUtilityModuleStarter } from '../../../electron/utility-helpers.ts';
import type { ForkUtility, UtilityForkOptions } from '../../../electron/utility-process.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { utilityStandIn } from '../../support/utility-stand-in.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const recorder = fileURLToPath(new URL('../../support/record-loads.ts', import.meta.url));
// electron-builder's own YAML reader and glob matcher.
const require = createRequire(join(root, 'package.json'));
const yaml = require('js-yaml') as { load(text: string): unknown };
const { minimatch } = require('minimatch') as {
  minimatch(path: string, pattern: string, options?: { dot?: boolean }): boolean;
};
const builder = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
  files: string[];
  asarUnpack: string[];
};

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rpc(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<{ result?: unknown; error?: { message: string; data?: unknown } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as { result?: unknown; error?: { message: string } };
}

describe('the built-in test market in the installed app (utilityProcess stand-in)', () => {
  it('starts outside the repository, deploys, answers JSON-RPC and loads only what ships unpacked', async () => {
    const dir = await tempDir('roost-devnet-utility-');
    cleanups.push(() => dir.remove());
    const loads = join(dir.path, 'loads.txt');

    // A checkout without its Node 24 takes the installed app's path: utility processes.
    const plan = planHelpers({ isPackaged: false, appRoot: root, nodeBinary: null });
    expect(plan.kind).toBe('utility');
    expect(plan.devnetEntry).toBe(join(root, 'contracts', 'devnet-node.mjs'));

    const standIn = utilityStandIn(node24);
    const forks: { modulePath: string; args: string[]; options: UtilityForkOptions }[] = [];
    const fork: ForkUtility = (modulePath, args, options) => {
      forks.push({ modulePath, args, options });
      return standIn.fork(modulePath, args, options);
    };
    const starter = createUtilityModuleStarter({
      fork,
      modules: [plan.devnetEntry],
      serviceName: 'Roost test market (Hardhat node)',
    });
    // Only for the test: the child records every module it loads.
    const start: StartNodeModule = (launch) =>
      starter({
        ...launch,
        env: {
          ...launch.env,
          NODE_OPTIONS: `--import=${pathToFileURL(recorder).href}`,
          ROOST_RECORD_LOADS: loads,
        },
      });

    const devnet = await ensureLocalDevnet({
      dataDir: dir.path,
      log: { info: () => undefined },
      node: { start, entry: plan.devnetEntry },
    });
    cleanups.push(() => devnet.stop());
    expect(devnet.started).toBe(true);

    // One utility child, in its own folder under the data dir, never run "as node".
    expect(forks).toHaveLength(1);
    const launch = forks[0]!;
    expect(launch.modulePath).toBe(plan.devnetEntry);
    expect(launch.options.cwd).toBe(join(dir.path, 'devnet'));
    expect(relative(root, launch.options.cwd ?? root).startsWith('..')).toBe(true);
    expect(launch.options.env.ELECTRON_RUN_AS_NODE).toBeUndefined();
    expect(launch.args).toEqual(expect.arrayContaining(['--root', join(dir.path, 'devnet')]));
    expect(existsSync(join(dir.path, 'devnet', 'package.json'))).toBe(true);
    expect(existsSync(join(dir.path, 'devnet', 'artifacts', 'build-info'))).toBe(true);

    // The chain answers where networks/local.json says, with the market deployed on it.
    const local = JSON.parse(readFileSync(join(dir.path, 'networks', 'local.json'), 'utf8')) as {
      rpcUrl: string;
      chainId: number;
      contracts: { JobMarket: { address: string }; RoostTestToken: { address: string } };
    };
    expect(local.rpcUrl).toBe(devnet.rpcUrl);
    expect((await rpc(devnet.rpcUrl, 'eth_chainId')).result).toBe('0x7a69');
    const code = await rpc(devnet.rpcUrl, 'eth_getCode', [
      local.contracts.JobMarket.address,
      'latest',
    ]);
    expect(typeof code.result === 'string' && code.result.length).toBeGreaterThan(1000);
    // A call the token refuses (more than its faucet gives) comes back as a revert.
    const refused = await rpc(devnet.rpcUrl, 'eth_call', [
      {
        to: local.contracts.RoostTestToken.address,
        data: roostTestTokenInterface.encodeFunctionData('faucetTo', [
          local.contracts.JobMarket.address,
          10n ** 30n,
        ]),
      },
      'latest',
    ]);
    expect(refused.error?.message).toMatch(/revert/i);

    // Native addons load through dlopen, past the module hooks: on Linux the memory map names them.
    const child = standIn.children[0];
    const native =
      process.platform === 'linux' && child?.pid !== undefined
        ? [...readFileSync(`/proc/${child.pid}/maps`, 'utf8').matchAll(/\s(\/\S+\.node)$/gm)]
            .map((match) =>
              relative(root, match[1] ?? '')
                .split('\\')
                .join('/'),
            )
            .filter((path) => path.startsWith('node_modules/'))
        : [];

    await devnet.stop();
    expect(existsSync(join(dir.path, 'networks', 'local.json'))).toBe(false);
    await expect(rpc(devnet.rpcUrl, 'eth_chainId')).rejects.toThrow();
    expect(child?.exitCode !== null || child?.signalCode !== null).toBe(true);

    // What the node loaded of the app (its entry and node_modules), as paths inside the app.
    const modules = readFileSync(loads, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith('file:'))
      .map((url) => relative(root, fileURLToPath(url)).split('\\').join('/'))
      .filter((path) => path.startsWith('node_modules/') || path.startsWith('contracts/'));
    const loaded = [...new Set([...modules, ...native])];
    expect(loaded).toContain('contracts/devnet-node.mjs');
    expect(loaded.some((path) => path.startsWith('node_modules/hardhat/'))).toBe(true);
    // EDR's native binary (seen where the memory map can be read).
    if (process.platform === 'linux')
      expect(
        loaded.some((path) => /^node_modules\/@nomicfoundation\/edr-.+\.node$/.test(path)),
      ).toBe(true);
    const excluded = builder.files
      .filter((pattern) => pattern.startsWith('!node_modules/'))
      .map((pattern) => pattern.slice(1));
    for (const path of loaded) {
      expect(
        excluded.filter((pattern) => minimatch(path, pattern, { dot: true })),
        `${path} is left out of the app`,
      ).toEqual([]);
      expect(
        builder.asarUnpack.some((pattern) => minimatch(path, pattern, { dot: true })),
        `${path} is not unpacked`,
      ).toBe(true);
    }
  }, 120_000);
});
