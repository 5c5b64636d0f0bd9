/**
 * One deployment of the market, as a string: chain id, market address and the hash of the block
 * it was deployed in. A devnet restarted from scratch redeploys at the same address but in a
 * block with another hash, so rows of the old chain never mix with the new one.
 */
import type { Provider } from 'ethers';

export async function chainKeyOf(
  provider: Provider,
  chainId: number,
  marketAddress: string,
  deployBlock: number,
): Promise<string> {
  const block = await provider.getBlock(deployBlock);
  if (block === null || block.hash === null)
    throw new Error(`the chain has no block ${deployBlock}, where the market was deployed`);
  return `${chainId}:${marketAddress.toLowerCase()}:${block.hash}`;
}
