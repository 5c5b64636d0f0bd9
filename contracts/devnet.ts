/**
 * A local market in one call: start a Hardhat node on 127.0.0.1 as a child process, wait until it
 * answers JSON-RPC, deploy the test dollar and the JobMarket from the generated bindings, and fund
 * the node's accounts with test dollars.
 *
 * The agent's embedded devnet and `roost devnet` use this; the contracts' tests start it for real.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, getAddress } from 'ethers';
import { deployJobMarket, jobMarketAbi } from './bindings/job-market.ts';
import { deployRoostTestToken, roostTestTokenAbi } from './bindings/roost-test-token.ts';
import { hardhatCliPath } from './hardhat-cli.ts';
import { DEVNET_MARKET_PARAMS, TEST_DOLLAR } from './market-params.ts';
import type { MarketParams } from './market-params.ts';

export { DEVNET_MARKET_PARAMS, TEST_DOLLAR } from './market-params.ts';
export type { MarketParams } from './market-params.ts';

export interface DevnetOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Chain id of the node (default 31337). */
  chainId?: number;
  /** Folder holding hardhat.config.ts and node_modules/hardhat (default: this repository). */
  projectRoot?: string;
  /**
   * Node binary for the child (default: the current one). Inside Electron pass Electron's binary
   * and `env: { ELECTRON_RUN_AS_NODE: '1' }`.
   */
  nodePath?: string;
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

function defaultProjectRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

/** Start a Hardhat node on 127.0.0.1 and deploy a funded market on it. */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const projectRoot = options.projectRoot ?? defaultProjectRoot();
  const chainId = options.chainId ?? 31337;
  const market: MarketParams = { ...DEVNET_MARKET_PARAMS, ...options.market };
  const node = await startNode(projectRoot, chainId, options);
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

async function startNode(
  projectRoot: string,
  chainId: number,
  options: DevnetOptions,
): Promise<RunningNode> {
  const args = [
    hardhatCliPath(projectRoot),
    'node',
    '--hostname',
    HOSTNAME,
    '--port',
    String(options.port ?? 0),
    '--chain-id',
    String(chainId),
  ];
  const child = spawn(options.nodePath ?? process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = stopper(child);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stopAndForget = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stop();
  };

  try {
    const rpcUrl = await waitForListening(child, options);
    await waitForRpc(rpcUrl, chainId, child, options.startupTimeoutMs ?? 60_000);
    if (child.pid === undefined) throw new Error('[devnet] the node has no process id');
    return { rpcUrl, pid: child.pid, stop: stopAndForget };
  } catch (error) {
    await stopAndForget();
    throw error;
  }
}

/** Resolve with the RPC URL once the node prints it; reject if it exits or takes too long. */
function waitForListening(child: ChildProcess, options: DevnetOptions): Promise<string> {
  const timeoutMs = options.startupTimeoutMs ?? 60_000;
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
    const onLine = (raw: string): void => {
      const line = raw.replace(ANSI, '');
      if (/private key/i.test(line)) return;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      options.log?.(line);
      const match = LISTENING.exec(line);
      if (match !== null) finish(null, `http://${match[1]}:${match[2]}`);
    };
    splitLines(child.stdout, onLine);
    splitLines(child.stderr, onLine);
    child.once('error', (error) =>
      finish(new Error(`[devnet] could not start the node: ${error.message}`)),
    );
    child.once('exit', (code, signal) => {
      finish(
        new Error(
          `[devnet] the node exited (${signal ?? code}) before listening:\n${tail.join('\n')}`,
        ),
      );
    });
  });
}

function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  stream.on('end', () => {
    if (buffered !== '') onLine(buffered);
  });
}

/** Poll eth_chainId until the node answers with the expected chain. */
async function waitForRpc(
  rpcUrl: string,
  chainId: number,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error('[devnet] the node exited while starting');
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

function stopper(child: ChildProcess): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
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
