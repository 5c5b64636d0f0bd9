/**
 * The market a requester command works on and who pays there, shared by `roost market
 * post-job`, `await`, `requests` and `cancel-job`: the custom network of the data folder's
 * settings (a lab's own chain and market; the data folder's wallet pays, opened in this process
 * with its password) or else its local devnet (its unlocked test accounts pay).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonRpcProvider } from 'ethers';
import type { Provider, Signer } from 'ethers';
import { z } from 'zod';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import { chainKeyOf } from '../market/chain-key.ts';
import { localNetworkFile, readLocalNetwork } from '../market/local-network.ts';
import { SETTINGS_FILE } from '../store/settings-store.ts';
import { decryptWallet, keystorePath, readKeystoreFile } from '../wallet/keystore.ts';
import { createNetworkSource, isTestNetwork } from '../wallet/network.ts';

/** The command line is wrong: market.ts prints it with the usage and exits 2. */
export class MarketPostUsageError extends Error {}

const settingsNetworkSchema = z.object({
  settings: z.object({
    network: z.object({
      name: z.string(),
      rpcUrl: z.string().nullable().optional(),
      marketAddress: z.string().nullable().optional(),
      tokens: z.enum(['unknown', 'test', 'real']).optional(),
    }),
    market: z.object({ enabled: z.boolean().optional() }).optional(),
  }),
});

/** The custom network this data folder is set to, if it is; null fields where none is set. */
async function customNetwork(dataDir: string): Promise<
  | {
      rpcUrl: string | null;
      marketAddress: string | null;
      /** This data folder's Roost takes market jobs (with the same wallet). */
      marketJobs: boolean;
      /** The user's word on the chain's tokens (`network.tokens`). */
      tokens: 'unknown' | 'test' | 'real';
    }
  | undefined
> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(join(dataDir, SETTINGS_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const parsed = settingsNetworkSchema.safeParse(doc);
  if (!parsed.success || parsed.data.settings.network.name !== 'custom') return undefined;
  const { network, market } = parsed.data.settings;
  return {
    rpcUrl: network.rpcUrl ?? null,
    marketAddress: network.marketAddress ?? null,
    marketJobs: market?.enabled === true,
    tokens: network.tokens ?? 'unknown',
  };
}

/** The market this data folder works on, connected, with its token and chainKey. */
export interface RequesterMarket {
  /**
   * `local`: the devnet this data folder records, paid from its unlocked test accounts;
   * `custom`: the network in Settings (a lab's own chain), paid from this data folder's wallet.
   */
  kind: 'local' | 'custom';
  /** The network in words: "the local devnet", "chain 1337 (http://10.0.0.5:8545)". */
  label: string;
  /** Its tokens are test money (the devnet, a known test chain, or network.tokens test). */
  testMoney: boolean;
  /** This data folder's Roost takes market jobs there with the wallet that would pay (custom). */
  walletTakesJobs: boolean;
  rpcUrl: string;
  chain: Provider;
  /** The local devnet's node, whose unlocked accounts pay there; absent on a custom network. */
  devnet?: JsonRpcProvider;
  marketAddress: string;
  tokenAddress: string;
  /** This deployment, for the journal's rows (agent/market/chain-key.ts). */
  chainKey: string;
  decimals: number;
  symbol: string;
  close(): void;
}

/**
 * Connects to the market of this data folder: the custom network in its settings, or else its
 * local devnet. None recorded, or a chain that does not answer, are the machine's state, not a
 * wrong command line: plain errors (exit 1, no usage).
 */
export async function openRequesterMarket(dataDir: string): Promise<RequesterMarket> {
  const custom = await customNetwork(dataDir);
  if (custom !== undefined) return openCustomMarket(dataDir, custom);
  const network = await readLocalNetwork(dataDir);
  if (!network)
    throw new Error(
      `No local devnet is recorded in ${localNetworkFile(dataDir)}. Start one with roost devnet (or roost serve, which runs one), then try again.`,
    );
  const chain = new JsonRpcProvider(network.rpcUrl, network.chainId, {
    staticNetwork: true,
    pollingInterval: 250,
  });
  try {
    const marketAddress = network.contracts.JobMarket.address;
    const tokenAddress = network.contracts.RoostTestToken.address;
    let chainKey: string;
    try {
      chainKey = await chainKeyOf(chain, network.chainId, marketAddress, network.deployBlock);
    } catch {
      throw new Error(
        `The local devnet at ${network.rpcUrl} does not answer. Is roost devnet still running? Start it again and try again.`,
      );
    }
    const token = connectRoostTestToken(tokenAddress, chain);
    const [decimals, symbol] = await Promise.all([token.decimals(), token.symbol()]);
    return {
      kind: 'local',
      label: 'the local devnet',
      testMoney: true,
      walletTakesJobs: false,
      rpcUrl: network.rpcUrl,
      chain,
      devnet: chain,
      marketAddress,
      tokenAddress,
      chainKey,
      decimals: Number(decimals),
      symbol,
      close: () => chain.destroy(),
    };
  } catch (error) {
    chain.destroy();
    throw error;
  }
}

/** The custom network of the settings: its chain, market, token and deployment. */
async function openCustomMarket(
  dataDir: string,
  custom: NonNullable<Awaited<ReturnType<typeof customNetwork>>>,
): Promise<RequesterMarket> {
  const { rpcUrl, marketAddress } = custom;
  if (rpcUrl === null || marketAddress === null)
    throw new Error(
      'This data folder is set to a custom network without both an RPC URL and a market address. Set them (roost settings set network.rpcUrl <url>, roost settings set network.marketAddress <address>), or deploy a market of your own with roost market deploy --rpc <url>.',
    );
  const source = createNetworkSource({
    dataDir,
    settings: () => ({ name: 'custom', rpcUrl, marketAddress }),
  });
  try {
    const network = await source();
    const chainKey = await chainKeyOf(
      network.provider,
      network.chainId,
      network.marketAddress,
      network.deployBlock,
    );
    const token = connectRoostTestToken(network.tokenAddress, network.provider);
    let decimals: bigint;
    let symbol: string;
    try {
      [decimals, symbol] = await Promise.all([token.decimals(), token.symbol()]);
    } catch {
      throw new Error(
        `The market at ${network.marketAddress} pays in ${network.tokenAddress}, which does not answer as an ERC-20 token (decimals, symbol) on chain ${network.chainId}. Check network.marketAddress in Settings.`,
      );
    }
    return {
      kind: 'custom',
      label: `chain ${network.chainId} (${rpcUrl})`,
      testMoney: isTestNetwork({
        name: 'custom',
        chainId: network.chainId,
        tokens: custom.tokens,
      }),
      walletTakesJobs: custom.marketJobs,
      rpcUrl,
      chain: network.provider,
      marketAddress: network.marketAddress,
      tokenAddress: network.tokenAddress,
      chainKey,
      decimals: Number(decimals),
      symbol,
      close: () => source.close(),
    };
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * Who pays and signs as the requester. On the local devnet: its unlocked test account by index
 * (`account`) or by address. On a custom network: this data folder's wallet, opened here with its
 * password (asked on the terminal), never written anywhere; `address` must then be the wallet's.
 */
export async function requesterSigner(
  ctx: { dataDir: string; ask?: (question: string, secret: boolean) => Promise<string> },
  market: RequesterMarket,
  who: { account: number } | { address: string },
): Promise<Signer> {
  if (market.devnet) {
    let signers;
    try {
      signers = await market.devnet.listAccounts();
    } catch {
      throw new Error(
        `The local devnet at ${market.rpcUrl} does not answer. Is roost devnet still running? Start it again and try again.`,
      );
    }
    if ('account' in who) {
      const signer = signers[who.account];
      if (!signer)
        throw new MarketPostUsageError(
          `--account ${who.account}: the local devnet has ${signers.length} unlocked accounts (0 to ${signers.length - 1}).`,
        );
      return signer;
    }
    const signer = signers.find((s) => s.address.toLowerCase() === who.address.toLowerCase());
    if (!signer)
      throw new Error(
        `${who.address} is not one of the local devnet's unlocked accounts, so it cannot sign here.`,
      );
    return signer;
  }
  const file = keystorePath(ctx.dataDir);
  const stored = await readKeystoreFile(file);
  if (stored === undefined)
    throw new Error(
      `On ${market.label} jobs are paid from this data folder's wallet, and it has none. Create one (roost wallet create) or import the lab's (roost wallet import), give it ${market.symbol} and coin for fees, and post again.`,
    );
  if (stored.kind === 'damaged')
    throw new Error(`This data folder's wallet (${file}) can't be read: ${stored.problem}.`);
  const { text, info } = stored;
  if ('address' in who && who.address.toLowerCase() !== info.address.toLowerCase())
    throw new Error(
      `${who.address} is not this data folder's wallet (${info.address}), so it cannot sign here. Run this from the data folder whose wallet posted the job (--data-dir).`,
    );
  if (!ctx.ask)
    throw new Error(
      `On ${market.label} jobs are paid from this data folder's wallet (${info.address}), which needs its password: run this command in a terminal.`,
    );
  const password = await ctx.ask(`Password of the wallet ${info.address}: `, true);
  const wallet = await decryptWallet(text, password, {
    code: 'WALLET_KEYSTORE_DAMAGED',
    what: 'the wallet',
  });
  return wallet.connect(market.chain);
}
