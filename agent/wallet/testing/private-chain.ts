import type { Provider, TransactionRequest } from 'ethers';
import { jobMarketInterface } from '../../../contracts/bindings/job-market.ts';

export const PRIVATE_MARKET = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const PRIVATE_TOKEN = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';

/**
 * Just enough of a lab's own chain (geth or Hardhat on another chain id) for the wallet's network
 * source to resolve a custom network on it: its id, the market's code and token, the head block.
 * `calls` counts the code reads, to see what is asked again.
 */
export function privateChain(chainId: number): {
  provider: Provider;
  calls: { getCode: number };
} {
  const calls = { getCode: 0 };
  const provider = {
    getNetwork: async () => ({ chainId: BigInt(chainId) }),
    getBlockNumber: async () => 5,
    getCode: async () => {
      calls.getCode++;
      return '0x60';
    },
    call: async (tx: TransactionRequest) => {
      const selector = String(tx.data).slice(0, 10);
      if (jobMarketInterface.getFunction(selector)?.name === 'token')
        return jobMarketInterface.encodeFunctionResult('token', [PRIVATE_TOKEN]);
      throw new Error(`the private chain has no answer for ${selector}`);
    },
    destroy: () => undefined,
  } as unknown as Provider;
  return { provider, calls };
}
