/**
 * The default network `local`: when the agent starts on it and no devnet answers, it starts one
 * (a Hardhat node on 127.0.0.1 with the market deployed and test dollars funded) and records it
 * in `<data dir>/networks/local.json`, so a new user sees the whole earn loop with no setup. A
 * devnet that already answers (`roost devnet` in another terminal, a previous agent) is reused.
 * The chain lives in the node's memory: it lives as long as the agent that started it.
 *
 * The node keeps its files in `<data dir>/devnet/` (the one folder the installed app may write),
 * and its host says how it starts (`DevnetNode`): by default a child of this Node; in the
 * installed desktop app an Electron utility process, since Electron can't run as plain Node there.
 */
import { join } from 'node:path';
import type { StartNodeModule } from '../../contracts/devnet-process.ts';
import { readLocalNetwork, removeLocalNetwork, writeLocalNetwork } from './local-network.ts';

/** How the host starts the devnet's node: its starter and the entry module it ships. */
export interface DevnetNode {
  start: StartNodeModule;
  entry: string;
}

export interface EmbeddedDevnet {
  /** This agent started the node (and stops it on close). */
  started: boolean;
  rpcUrl: string;
  stop(): Promise<void>;
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await response.json()) as { result?: unknown };
  return body.result;
}

/** Whether the recorded devnet still answers with its chain and its market. */
async function answers(dataDir: string): Promise<string | undefined> {
  const known = await readLocalNetwork(dataDir);
  if (!known) return undefined;
  try {
    const chainId = await rpc(known.rpcUrl, 'eth_chainId', []);
    if (typeof chainId !== 'string' || Number(chainId) !== known.chainId) return undefined;
    const code = await rpc(known.rpcUrl, 'eth_getCode', [
      known.contracts.JobMarket.address,
      'latest',
    ]);
    return typeof code === 'string' && code.length > 2 ? known.rpcUrl : undefined;
  } catch {
    return undefined;
  }
}

export async function ensureLocalDevnet(options: {
  dataDir: string;
  log: { info(message: string): void };
  /** Default: contracts/devnet-node.mjs in a child of this Node. */
  node?: DevnetNode;
}): Promise<EmbeddedDevnet> {
  const running = await answers(options.dataDir);
  if (running !== undefined) {
    options.log.info(`local network: using the devnet already running at ${running}`);
    return { started: false, rpcUrl: running, stop: () => Promise.resolve() };
  }
  options.log.info('local network: starting the built-in devnet (a test chain on 127.0.0.1)');
  const { startDevnet, devnetDeployment } = await import('../../contracts/devnet.ts');
  const devnet = await startDevnet({
    // The node's own lines (its test accounts, each request) are not for the user's log; a
    // failure to start still comes with the node's last lines in its error.
    log: () => undefined,
    workDir: join(options.dataDir, 'devnet'),
    ...(options.node ? { start: options.node.start, entry: options.node.entry } : {}),
  });
  await writeLocalNetwork(options.dataDir, devnetDeployment(devnet));
  options.log.info(
    `local network: devnet at ${devnet.rpcUrl}, market ${devnet.marketAddress} (test money only)`,
  );
  return {
    started: true,
    rpcUrl: devnet.rpcUrl,
    async stop() {
      await removeLocalNetwork(options.dataDir);
      await devnet.stop();
    },
  };
}
