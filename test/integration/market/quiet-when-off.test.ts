// With market jobs off, Roost asks little of the chain's node: a public RPC limits and bills by
// the request, and a rig that only runs private jobs has no business polling it every few
// seconds. A real Hardhat devnet behind a counting JSON-RPC proxy on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { devnetDeployment } from '../../../contracts/devnet.ts';
import { connectJobMarket } from '../../../contracts/bindings/job-market.ts';
import type { Agent } from '../../../agent/agent.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { startRpcProxy, type RpcProxy } from '../../support/rpc-proxy.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { startProviderAgent, until } from './support.ts';

const USD = 1_000_000n;
const TICK_MS = 300;

let chain: TestChain;
let counter: RpcProxy;
let dir: { path: string; remove: () => Promise<void> };
let agent: Agent;
const providerKey = Wallet.createRandom().privateKey;
const provider = new Wallet(providerKey).address;

beforeAll(async () => {
  chain = await startTestChain();
  counter = await startRpcProxy(chain.devnet.rpcUrl);
  dir = await tempDir('roost-quiet-');
  const dataDir = join(dir.path, 'provider');
  await mkdir(dataDir, { recursive: true });
  await writeLocalNetwork(dataDir, { ...devnetDeployment(chain.devnet), rpcUrl: counter.url });
  agent = await startProviderAgent(dataDir, providerKey, { market: { tickMs: TICK_MS } });
  const market = connectJobMarket(chain.devnet.marketAddress, chain.rpc);
  await until('registration', async () =>
    (await market.getProvider(provider)).stake === 50n * USD ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await counter?.close();
  await chain?.stop();
  await dir?.remove();
});

/** Calls the agent made through the proxy in `ms`, by method. */
async function callsDuring(ms: number): Promise<{ total: number; counts: Record<string, number> }> {
  counter.reset();
  await new Promise((r) => setTimeout(r, ms));
  return { total: counter.total(), counts: counter.counts() };
}

describe('market jobs off: quiet on the network', () => {
  it('follows the market while market jobs are on', async () => {
    const on = await callsDuring(3000);
    // The follower polls for blocks (every 100 ms here) and the status is read every tick.
    expect(on.total, JSON.stringify(on.counts)).toBeGreaterThan(20);
  });

  it('with market jobs off and nothing held, reads the chain only now and then', async () => {
    const off = await agent.router.call('settings.update', { market: { enabled: false } });
    expect(off.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // the follower stops at the next tick
    const quiet = await callsDuring(3000);
    // Ten ticks in 3 s: at most a couple of reads in all, not a few each tick.
    expect(quiet.total, JSON.stringify(quiet.counts)).toBeLessThanOrEqual(4);
    // ... and the status is still there when asked for.
    const status = await agent.router.call('market.status', {});
    if (!status.ok) throw new Error(status.error.message);
    expect(status.value).toMatchObject({ state: 'off', provider: { stake: { amount: '50' } } });
  });
});
