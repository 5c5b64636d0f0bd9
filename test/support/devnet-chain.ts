/**
 * A Hardhat devnet and the JSON-RPC provider the market and wallet tests read and send through,
 * started and stopped together.
 */
import { JsonRpcProvider } from 'ethers';
import { startDevnet, type Devnet } from '../../contracts/devnet.ts';

export interface TestChain {
  devnet: Devnet;
  rpc: JsonRpcProvider;
  /** Destroys the provider, then stops the node. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a devnet (contracts/devnet.ts) and a provider on it. If the node does not come up,
 * startDevnet stops what it started and this throws, so an `afterAll` calls `chain?.stop()`.
 */
export async function startTestChain(): Promise<TestChain> {
  const devnet = await startDevnet();
  const rpc = new JsonRpcProvider(devnet.rpcUrl, devnet.chainId, {
    // The chain id is known: no eth_chainId lookup before every call.
    staticNetwork: true,
    // Receipts and events are polled every 100 ms, not every 4 s, so tests wait for them quickly.
    pollingInterval: 100,
    // No cached block number or call results: every read sees the newest block.
    cacheTimeout: -1,
  });
  let stopped: Promise<void> | undefined;
  return {
    devnet,
    rpc,
    stop: () =>
      (stopped ??= (async () => {
        rpc.destroy();
        await devnet.stop();
      })()),
  };
}
