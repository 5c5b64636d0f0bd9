/**
 * A local market in one call: start a Hardhat node on 127.0.0.1 as a child process, wait until it
 * answers JSON-RPC, deploy the test dollar and the JobMarket from the generated bindings, and fund
 * the node's accounts with test dollars.
 *
 * The node is contracts/devnet-node.mjs (Hardhat's `node` task with an empty config), started
 * through an injected starter (devnet-process.ts): a Node child by default, an Electron utility
 * process in the installed app. It needs no hardhat.config.ts and no repository: only Hardhat
 * installed beside it and a writable folder of its own (`workDir`).
 *
 * The agent's embedded devnet and `roost devnet` use this; the contracts' tests start it for real.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, getAddress } from 'ethers';
import { deployJobMarket, jobMarketAbi } from './bindings/job-market.ts';
import { deployRoostTestToken, roostTestTokenAbi } from './bindings/roost-test-token.ts';
import { spawnNodeModule } from './devnet-process.ts';
import type { NodeModuleChild, StartNodeModule } from './devnet-process.ts';
import { DEVNET_MARKET_PARAMS, TEST_DOLLAR } from './market-params.ts';
import type { MarketParams } from './market-params.ts';

export { DEVNET_MARKET_PARAMS, TEST_DOLLAR } from './market-params.ts';
export type { MarketParams } from './market-params.ts';

/**
 * The node's entry beside this file, in a checkout: contracts/devnet-node.mjs. (Not
 * `new URL(…, import.meta.url)`: a bundler would copy the file as an asset of its bundle.)
 */
export const DEVNET_NODE_ENTRY = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'devnet-node.mjs',
);

export interface DevnetOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Chain id of the node (default 31337). */
  chainId?: number;
  /**
   * The node's own writable folder: its package.json (Hardhat's project root) and `artifacts/`.
   * Default: a new temporary folder, removed when the node stops.
   */
  workDir?: string;
  /**
   * Starts the node's module (default: a child process of this Node). The installed desktop app
   * passes an Electron utilityProcess starter.
   */
  start?: StartNodeModule;
  /**
   * The node's entry module (default: DEVNET_NODE_ENTRY). A bundled host (Electron's main.js)
   * names the file it ships, since this module's own location is then the bundle's.
   */
  entry?: string;
  /** Extra environment for the child. */
  env?: NodeJS.ProcessEnv;
  /** How many of the node's accounts get test dollars (default 10). */
  fundAccounts?: number;
  /** Test dollars (in base units) each funded account gets (default 10,000 dollars). */
  fundAmount?: bigint;
  /** Market parameters (default DEVNET_MARKET_PARAMS). */
  market?: Partial<MarketParams>;
  /** Give up if the node doesn't answer within this many ms (default 60 s). */
  startupTimeoutMs?: number;
  /** Receives the node's output, line by line, with private key lines removed. */
  log?: (line: string) => void;
}

export interface Devnet {
  rpcUrl: string;
  chainId: number;
  tokenAddress: string;
  marketAddress: string;
  /** Block of the market's deployment: where an event follower starts. */
  deployBlock: number;
  /** The node's unlocked accounts: [0] admin and pauser, [1] arbiter, [2] treasury. */
  accounts: string[];
  admin: string;
  arbiter: string;
  treasury: string;
  market: MarketParams;
  /** Process id of the node. */
  pid: number;
  /** Stop the node and wait for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** What `<data dir>/networks/local.json` holds: enough for the agent to talk to the market. */
export interface NetworkDeployment {
  name: string;
  chainId: number;
  rpcUrl: string;
  deployBlock: number;
  contracts: {
    JobMarket: { address: string; abi: typeof jobMarketAbi };
    RoostTestToken: { address: string; abi: typeof roostTestTokenAbi };
  };
  market: MarketParams;
  accounts: { admin: string; arbiter: string; treasury: string };
}

const HOSTNAME = '127.0.0.1';
const LISTENING = /JSON-RPC server at http:\/\/([\d.]+):(\d+)\//;
// eslint-disable-next-line no-control-regex -- stripping terminal colour codes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** Start a Hardhat node on 127.0.0.1 and deploy a funded market on it. */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const chainId = options.chainId ?? 31337;
  const market: MarketParams = { ...DEVNET_MARKET_PARAMS, ...options.market };
  const node = await startNode(chainId, options);
  try {
    const deployed = await deploy(node.rpcUrl, chainId, market, options);
    return { ...deployed, rpcUrl: node.rpcUrl, chainId, market, pid: node.pid, stop: node.stop };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/** The deployment record for `<data dir>/networks/local.json`. */
export function devnetDeployment(devnet: Devnet): NetworkDeployment {
  return {
    name: 'local',
    chainId: devnet.chainId,
    rpcUrl: devnet.rpcUrl,
    deployBlock: devnet.deployBlock,
    contracts: {
      JobMarket: { address: devnet.marketAddress, abi: jobMarketAbi },
      RoostTestToken: { address: devnet.tokenAddress, abi: roostTestTokenAbi },
    },
    market: devnet.market,
    accounts: { admin: devnet.admin, arbiter: devnet.arbiter, treasury: devnet.treasury },
  };
}

interface RunningNode {
  rpcUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** What Hardhat needs to take a folder as its project root: a package.json. */
const WORK_DIR_PACKAGE = `${JSON.stringify(
  {
    name: 'roost-devnet',
    private: true,
    description: "Roost's built-in test market: its Hardhat node keeps its files here.",
  },
  null,
  2,
)}\n`;

/** The node's folder: the one given, or a temporary one that goes when the node stops. */
async function prepareWorkDir(
  workDir: string | undefined,
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'roost-devnet-')));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), WORK_DIR_PACKAGE);
  return {
    dir,
    remove: async () => {
      if (workDir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startNode(chainId: number, options: DevnetOptions): Promise<RunningNode> {
  const work = await prepareWorkDir(options.workDir);
  const start = options.start ?? spawnNodeModule();
  // Hardhat reads its global options from HARDHAT_* variables (HARDHAT_NETWORK, …): the user's
  // own settings for their projects are not for this node.
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, NO_COLOR: '1', ...options.env }))
    if (value !== undefined && !key.startsWith('HARDHAT_')) env[key] = value;
  let child: NodeModuleChild;
  try {
    child = start({
      modulePath: options.entry ?? DEVNET_NODE_ENTRY,
      args: [
        '--root',
        work.dir,
        '--hostname',
        HOSTNAME,
        '--port',
        String(options.port ?? 0),
        '--chain-id',
        String(chainId),
      ],
      cwd: work.dir,
      env,
    });
  } catch (error) {
    await work.remove();
    throw new Error(`[devnet] could not start the node: ${String(error)}`, { cause: error });
  }
  const stop = stopper(child);
  const killOnExit = (): void => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stopAndForget = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stop();
    await work.remove().catch(() => undefined);
  };

  try {
    const timeoutMs = options.startupTimeoutMs ?? 60_000;
    const rpcUrl = await waitForListening(child, timeoutMs, options.log);
    await waitForRpc(rpcUrl, chainId, child, timeoutMs);
    if (child.pid === undefined) throw new Error('[devnet] the node has no process id');
    return { rpcUrl, pid: child.pid, stop: stopAndForget };
  } catch (error) {
    await stopAndForget();
    throw error;
  }
}

/** Resolve with the RPC URL once the node prints it; reject if it exits or takes too long. */
function waitForListening(
  child: NodeModuleChild,
  timeoutMs: number,
  log: ((line: string) => void) | undefined,
): Promise<string> {
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, url?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== null) reject(error);
      else if (url !== undefined) resolve(url);
    };
    const timer = setTimeout(() => {
      finish(
        new Error(`[devnet] the node did not start within ${timeoutMs} ms:\n${tail.join('\n')}`),
      );
    }, timeoutMs);
    child.onLine((raw) => {
      const line = raw.replace(ANSI, '');
      if (/private key/i.test(line)) return;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      log?.(line);
      const match = LISTENING.exec(line);
      if (match !== null) finish(null, `http://${match[1]}:${match[2]}`);
    });
    child.onExit((exit) => {
      finish(
        new Error(
          exit.error === undefined
            ? `[devnet] the node exited (${exit.signal ?? exit.code}) before listening:\n${tail.join('\n')}`
            : `[devnet] could not start the node: ${exit.error}`,
        ),
      );
    });
  });
}

/** Poll eth_chainId until the node answers with the expected chain. */
async function waitForRpc(
  rpcUrl: string,
  chainId: number,
  child: NodeModuleChild,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child.exited) throw new Error('[devnet] the node exited while starting');
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { result?: unknown };
      if (typeof body.result === 'string' && Number(body.result) === chainId) return;
      lastError = `unexpected answer ${JSON.stringify(body)}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `[devnet] ${rpcUrl} did not answer JSON-RPC within ${timeoutMs} ms: ${lastError}`,
  );
}

/** SIGTERM, then SIGKILL if it is still there after 5 s; resolves once it has gone. */
function stopper(child: NodeModuleChild): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      if (child.exited) {
        resolve();
        return;
      }
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.onExit(() => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
    return stopping;
  };
}

async function deploy(
  rpcUrl: string,
  chainId: number,
  market: MarketParams,
  options: DevnetOptions,
): Promise<Omit<Devnet, 'rpcUrl' | 'chainId' | 'market' | 'pid' | 'stop'>> {
  const provider = new JsonRpcProvider(rpcUrl, chainId, {
    staticNetwork: true,
    pollingInterval: 250,
  });
  try {
    const accounts = ((await provider.send('eth_accounts', [])) as string[]).map((a) =>
      getAddress(a),
    );
    const [admin, arbiter, treasury] = accounts;
    if (admin === undefined || arbiter === undefined || treasury === undefined) {
      throw new Error('[devnet] the node has fewer than three unlocked accounts');
    }
    const deployer = await provider.getSigner(admin);
    const token = await deployRoostTestToken(deployer);
    const jobMarket = await deployJobMarket(
      deployer,
      await token.getAddress(),
      admin,
      arbiter,
      treasury,
      market.feeBps,
      market.collateralBps,
      market.challengeWindowSeconds,
      market.unstakeDelaySeconds,
      market.arbitrationTimeoutSeconds,
    );
    const receipt = await jobMarket.deploymentTransaction()?.wait();
    const deployBlock = receipt?.blockNumber ?? (await provider.getBlockNumber());

    const amount = options.fundAmount ?? 10_000n * TEST_DOLLAR;
    const limit = await token.FAUCET_LIMIT();
    for (const account of accounts.slice(0, options.fundAccounts ?? 10)) {
      for (let left = amount; left > 0n;) {
        const drip = left < limit ? left : limit;
        await (await token.faucetTo(account, drip)).wait();
        left -= drip;
      }
    }
    return {
      tokenAddress: await token.getAddress(),
      marketAddress: await jobMarket.getAddress(),
      deployBlock,
      accounts,
      admin,
      arbiter,
      treasury,
    };
  } finally {
    provider.destroy();
  }
}
