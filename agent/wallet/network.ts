/**
 * Which chain and market the wallet talks to. `local` is the embedded devnet recorded in
 * `<data dir>/networks/local.json` (read through `agent/market/local-network.ts`); `custom` is an
 * RPC URL plus a JobMarket address, the token and the deployment block then read from the chain.
 * Tests inject the ethers provider (a real Hardhat devnet).
 */
import { FetchRequest, JsonRpcProvider, getAddress } from 'ethers';
import type { Provider } from 'ethers';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { localNetworkFile, readLocalNetwork } from '../market/local-network.ts';
import { WalletError } from './errors.ts';
import { knownTestChains } from './schema.ts';
import type { NetworkTokens, TokensDecidedBy, WalletNetworkInfo } from './schema.ts';

/** A resolved network: everything the wallet needs to read balances, history and send. */
export interface WalletNetwork {
  name: string;
  chainId: number;
  /** For messages and the UI; null for an injected provider with no URL. */
  rpcUrl: string | null;
  provider: Provider;
  marketAddress: string;
  tokenAddress: string;
  /** The market's deployment block: history scans start here. */
  deployBlock: number;
  /** Symbol of the chain's coin (fees); default ETH. */
  nativeSymbol: string;
  /** The user's word on a custom network's tokens (`network.tokens`); absent: unknown. */
  tokens?: NetworkTokens;
}

/** Called before each chain operation; throws `NETWORK_UNAVAILABLE` when there is none. */
export type NetworkSource = () => Promise<WalletNetwork>;

/** The `network` settings section of the contract. */
export interface NetworkSettings {
  name: 'local' | 'custom';
  rpcUrl: string | null;
  marketAddress: string | null;
  /** Absent (an older caller): unknown. */
  tokens?: NetworkTokens;
}

export function networkInfo(network: WalletNetwork): WalletNetworkInfo {
  return {
    name: network.name,
    chainId: network.chainId,
    rpcUrl: network.rpcUrl,
    marketAddress: network.marketAddress,
    tokenAddress: network.tokenAddress,
    test: isTestNetwork(network),
    tokensDecidedBy: tokensDecidedBy(network),
  };
}

/**
 * What decides whether a network's tokens are test money. The built-in devnet and known test
 * chains always are: no setting can make test money count as money. On any other chain (a lab's
 * own chain, a main network) Roost can't tell, so the user's `network.tokens` decides; with no
 * choice made the tokens count as money, as they always did, and the UI says nobody decided.
 */
export function tokensDecidedBy(network: {
  name: string;
  chainId: number;
  tokens?: NetworkTokens;
}): TokensDecidedBy {
  if (network.name === 'local') return 'devnet';
  if (knownTestChains.has(network.chainId)) return 'test-chain';
  return network.tokens === 'test' || network.tokens === 'real' ? 'setting' : 'default';
}

/**
 * Whether a network's tokens are test money with no value: the built-in devnet (`local`), a
 * known test chain, or another chain the user marked `network.tokens: test`. Amounts there are
 * never converted to a currency, and electricity is not taken from them.
 */
export function isTestNetwork(network: {
  name: string;
  chainId: number;
  tokens?: NetworkTokens;
}): boolean {
  const decided = tokensDecidedBy(network);
  return decided === 'devnet' || decided === 'test-chain' || network.tokens === 'test';
}

/**
 * Why `network.tokens` can't be `real` on this chain, in words that say what to do, naming the
 * Settings page's field rather than the settings path (the page shows it); undefined when it can.
 * A known test chain's tokens are test money whatever anyone says.
 */
export function realTokensProblem(chainId: number): string | undefined {
  const name = knownTestChains.get(chainId);
  if (name === undefined) return undefined;
  return `Tokens on this network can't be real money on chain ${chainId} (${name}): it is a test network, so its tokens are always test money with no value. Choose test money (or leave it not said), or point the RPC URL at the chain where your market's token has value.`;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
  'TIMEOUT',
  'NETWORK_ERROR',
  'SERVER_ERROR',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Whether an error means the node did not answer (as opposed to answering "no"). */
export function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
    if (e instanceof TypeError && /fetch failed/.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function unreachable(where: string | null, error: unknown): WalletError {
  const code = (error as { code?: unknown }).code;
  return new WalletError(
    'NETWORK_UNAVAILABLE',
    `The chain${where === null ? '' : ` at ${where}`} did not answer${typeof code === 'string' ? ` (${code})` : ''}. Check that the node is running and reachable, then try again.`,
    { cause: error },
  );
}

export interface NetworkSourceOptions {
  dataDir: string;
  /** The current network settings (read on every call, so a change applies at once). */
  settings: () => NetworkSettings | Promise<NetworkSettings>;
  /** Makes the provider for an RPC URL (tests: a devnet's). Default: a JsonRpcProvider. */
  providerFor?: (rpcUrl: string) => Provider | Promise<Provider>;
  /** Per-request timeout of the default provider (default 10 s). */
  rpcTimeoutMs?: number;
  /** How often the default provider polls for new blocks (default 1 s; 250 ms on loopback). */
  pollingMs?: number;
  nativeSymbol?: string;
  log?: { info(message: string): void; warn(message: string): void };
}

/**
 * A JSON-RPC provider for `rpcUrl`, told its chain id after one `eth_chainId`: a provider that
 * has to detect its network retries for ever (and logs) while the node is down; one told its
 * chain id fails fast instead. Throws the node's error when it does not answer. No answer cache
 * (a balance read right after a send must see the send); polls every `pollingMs` (default 1 s,
 * 250 ms on loopback).
 */
export async function connectRpc(
  rpcUrl: string,
  options: { timeoutMs?: number; pollingMs?: number } = {},
): Promise<JsonRpcProvider> {
  const request = (): FetchRequest => {
    const r = new FetchRequest(rpcUrl);
    r.timeout = options.timeoutMs ?? 10_000;
    return r;
  };
  const probe = new JsonRpcProvider(request(), undefined, { staticNetwork: true });
  let chainId: number;
  try {
    const answer = await probe.send('eth_chainId', []);
    chainId = Number(BigInt(answer as string));
    if (!Number.isSafeInteger(chainId) || chainId <= 0)
      throw new Error(`the node answered chain id ${String(answer)}`);
  } finally {
    probe.destroy();
  }
  const loopback = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(rpcUrl);
  return new JsonRpcProvider(request(), chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: options.pollingMs ?? (loopback ? 250 : 1000),
  });
}

/**
 * The wallet's network, from the settings: `local` reads networks/local.json every call (the
 * devnet may start after the agent, or restart on another port); `custom` asks the chain once for
 * its id, the market's token and deployment block. Providers are kept per URL and chain.
 */
export function createNetworkSource(options: NetworkSourceOptions): NetworkSource & {
  /** The chain id the node at `rpcUrl` answers with (to check a setting before it is saved). */
  chainIdAt(rpcUrl: string): Promise<number>;
  close(): void;
} {
  const providers = new Map<string, Provider>();
  const customs = new Map<string, Promise<WalletNetwork>>();
  const nativeSymbol = options.nativeSymbol ?? 'ETH';

  const defaultProvider = async (rpcUrl: string): Promise<Provider> => {
    try {
      return await connectRpc(rpcUrl, {
        ...(options.rpcTimeoutMs !== undefined ? { timeoutMs: options.rpcTimeoutMs } : {}),
        ...(options.pollingMs !== undefined ? { pollingMs: options.pollingMs } : {}),
      });
    } catch (error) {
      throw unreachable(rpcUrl, error);
    }
  };

  const providerFor = async (rpcUrl: string): Promise<Provider> => {
    const known = providers.get(rpcUrl);
    if (known !== undefined) return known;
    const made = await (options.providerFor ?? defaultProvider)(rpcUrl);
    providers.set(rpcUrl, made);
    return made;
  };

  const chainIdOf = async (provider: Provider, rpcUrl: string): Promise<number> => {
    try {
      return Number((await provider.getNetwork()).chainId);
    } catch (error) {
      throw unreachable(rpcUrl, error);
    }
  };

  const local = async (): Promise<WalletNetwork> => {
    const deployment = await readLocalNetwork(options.dataDir);
    if (deployment === undefined) {
      throw new WalletError(
        'NETWORK_UNAVAILABLE',
        `The local network is not running: ${localNetworkFile(options.dataDir)} is missing or is not a deployment record. Start Roost on the local network (it starts the devnet), or run \`roost devnet\`.`,
      );
    }
    return {
      name: 'local',
      chainId: deployment.chainId,
      rpcUrl: deployment.rpcUrl,
      provider: await providerFor(deployment.rpcUrl),
      marketAddress: getAddress(deployment.contracts.JobMarket.address),
      tokenAddress: getAddress(deployment.contracts.RoostTestToken.address),
      deployBlock: deployment.deployBlock,
      nativeSymbol,
    };
  };

  const custom = (rpcUrl: string, marketAddress: string): Promise<WalletNetwork> => {
    const key = `${rpcUrl} ${marketAddress.toLowerCase()}`;
    const known = customs.get(key);
    if (known !== undefined) return known;
    const resolving = (async (): Promise<WalletNetwork> => {
      const provider = await providerFor(rpcUrl);
      const chainId = await chainIdOf(provider, rpcUrl);
      const market = getAddress(marketAddress);
      let code: string;
      let token: string;
      try {
        code = await provider.getCode(market);
        token = code === '0x' ? '' : await connectJobMarket(market, provider).token();
      } catch (error) {
        throw unreachable(rpcUrl, error);
      }
      if (code === '0x') {
        throw new WalletError(
          'NETWORK_UNAVAILABLE',
          `There is no contract at ${market} on chain ${chainId} (${rpcUrl}): check the market address in Settings.`,
        );
      }
      const deployBlock = await findDeployBlock(provider, market, options.log);
      return {
        name: 'custom',
        chainId,
        rpcUrl,
        provider,
        marketAddress: market,
        tokenAddress: getAddress(token),
        deployBlock,
        nativeSymbol,
      };
    })();
    customs.set(key, resolving);
    // A failure is not remembered: the node may answer next time.
    resolving.catch(() => customs.delete(key));
    return resolving;
  };

  const source = async (): Promise<WalletNetwork> => {
    const settings = await options.settings();
    if (settings.name === 'local') return local();
    if (settings.rpcUrl === null || settings.marketAddress === null) {
      throw new WalletError(
        'NETWORK_UNAVAILABLE',
        'A custom network needs both an RPC URL and a market address: set them in Settings (network), or start with `roost serve --rpc <url> --market <address>`.',
      );
    }
    // The choice is read on every call (not kept with the resolved chain): a change applies at once.
    return {
      ...(await custom(settings.rpcUrl, settings.marketAddress)),
      tokens: settings.tokens ?? 'unknown',
    };
  };
  return Object.assign(source, {
    async chainIdAt(rpcUrl: string): Promise<number> {
      return chainIdOf(await providerFor(rpcUrl), rpcUrl);
    },
    close(): void {
      if (options.providerFor === undefined) for (const p of providers.values()) p.destroy();
      providers.clear();
      customs.clear();
    },
  });
}

/**
 * The first block where `address` has code, by bisection over eth_getCode: about 25 calls on a
 * long chain. A node that keeps no old state can't answer; the scan then starts at block 0.
 */
export async function findDeployBlock(
  provider: Provider,
  address: string,
  log?: { warn(message: string): void },
): Promise<number> {
  try {
    let high = await provider.getBlockNumber();
    if ((await provider.getCode(address, high)) === '0x') return high;
    let low = 0;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if ((await provider.getCode(address, mid)) === '0x') low = mid + 1;
      else high = mid;
    }
    return low;
  } catch (error) {
    log?.warn(
      `could not find the market's deployment block (${(error as { code?: string }).code ?? 'error'}); history scans from block 0`,
    );
    return 0;
  }
}
