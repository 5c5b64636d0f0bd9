/**
 * `market.deploy`: a lab's own Roost market on its own chain, from the agent's wallet (the key
 * never leaves the agent). It checks everything it can first — the wallet and its password, that
 * the node answers, that the wallet can pay the fees, that a token it is given is an ERC-20 there,
 * that this Roost does not already work on a market of that chain — and refuses with what to do,
 * having sent nothing. Then it deploys the Roost test dollar (unless given a token), the JobMarket
 * (the wallet its admin, arbiter and treasury; LAB_MARKET_PARAMS), takes the test dollar's faucet
 * once so the lab has money to hand to its providers, and saves the network settings (custom, the
 * RPC URL, the market) so this Roost works on the new market.
 */
import { MarketActionError } from './action-error.ts';
import { ContractFactory, ZeroAddress, getAddress, getCreateAddress } from 'ethers';
import type { Provider, Signer, TransactionReceipt, TransactionResponse } from 'ethers';
import {
  connectJobMarket,
  jobMarketAbi,
  jobMarketBytecode,
} from '../../contracts/bindings/job-market.ts';
import {
  connectRoostTestToken,
  roostTestTokenAbi,
  roostTestTokenBytecode,
} from '../../contracts/bindings/roost-test-token.ts';
import { LAB_MARKET_PARAMS } from '../../contracts/market-params.ts';
import type { MarketParams } from '../../contracts/market-params.ts';
import { formatUnitsExact } from '../wallet/amount.ts';
import { chainFailure } from '../wallet/chain.ts';
import { connectRpc, isUnreachable } from '../wallet/network.ts';
import type { NetworkSettings, WalletNetwork } from '../wallet/network.ts';
import type { WalletService } from '../wallet/service.ts';
import type { MarketDeployParams, MarketDeployResult } from './schema.ts';
import { messageOf } from './format.ts';
import { noLanes, type SendLanes } from '../wallet/send-lanes.ts';

/** The codes of the API's error union a deploy answers with (the router passes them on). */
export type DeployErrorCode =
  | 'INVALID_PARAMS'
  | 'UNAVAILABLE'
  | 'NETWORK_UNAVAILABLE'
  | 'SETTINGS_UNWRITABLE'
  | 'WALLET_NONE'
  | 'WALLET_LOCKED'
  | 'WALLET_WRONG_PASSWORD'
  | 'WALLET_KEYSTORE_DAMAGED'
  | 'WALLET_INSUFFICIENT_BALANCE'
  | 'WALLET_TX_FAILED';

/** Why a market can't be deployed, or what went wrong on the way, with what to do. */
export class DeployError extends MarketActionError<DeployErrorCode> {}

/** The settings a deploy saves: this Roost then works on the new market. */
export interface DeployedNetwork {
  name: 'custom';
  rpcUrl: string;
  marketAddress: string;
  /** Set to test when the Roost test dollar was deployed (its tokens are test money). */
  tokens?: 'test';
}

export interface MarketDeployerOptions {
  /**
   * The agent's wallet: its state, and its key for this deploy (unlocked, or opened with the
   * password given for this one deploy: the wallet stays locked).
   */
  wallet: Pick<WalletService, 'status' | 'userKey'>;
  /**
   * A fresh provider for the lab's node (destroyed when the deploy ends); throws when the node does
   * not answer. Default: JSON-RPC over http(s).
   */
  connect?: (rpcUrl: string) => Promise<Provider>;
  /** The network settings now: a custom market on the same chain is not replaced by accident. */
  settings: () => NetworkSettings;
  /** The chain id of the node at an RPC URL (the current custom network's). */
  chainIdAt: (rpcUrl: string) => Promise<number>;
  /**
   * Leases this Roost's market client holds and has not been paid for (claimed to disputed) on
   * the market it works on now. Absent: none.
   */
  heldLeases?: () => number;
  /** The agent's send lanes: the deploying wallet may be sending for the market client too. */
  sendLanes?: SendLanes;
  /** Saves the network settings the way a settings change does (logged, shown, the market moves). */
  save: (
    network: DeployedNetwork,
  ) => Promise<{ ok: true } | { ok: false; error: { message: string } }>;
  /** Default LAB_MARKET_PARAMS; `feeBps` of the request wins. */
  params?: MarketParams;
  /** The chain's coin in messages (default ETH, as the wallet says). */
  nativeSymbol?: string;
  /** How long each transaction may take to be mined (default 5 minutes). */
  txTimeoutMs?: number;
  /** Per-request timeout of the default provider (default 10 s). */
  rpcTimeoutMs?: number;
  /** Pass the agent's `logger.child('market')`. */
  log?: { info(message: string): void; warn(message: string): void };
}

/**
 * Gas when the node can't estimate a step (a node that won't say): a little above what Hardhat
 * measured (test dollar 556,026; market 3,284,428; faucet 69,552).
 */
export const FALLBACK_GAS = { token: 800_000n, market: 4_500_000n, faucet: 100_000n };

/**
 * `market.deploy`, one at a time: a second call while one runs is refused (it would race the
 * first's nonces and make a second market).
 */
export function createMarketDeployer(
  options: MarketDeployerOptions,
): (params: MarketDeployParams) => Promise<MarketDeployResult> {
  let running = false;
  return async (params) => {
    if (running)
      throw new DeployError(
        'UNAVAILABLE',
        'A market deploy is already running: wait for it to finish (nothing more was sent).',
      );
    running = true;
    try {
      return await deployMarket(params, options);
    } finally {
      running = false;
    }
  };
}

const NOTHING = 'Nothing was deployed.';

/** Deploys a lab market; see the module comment. Use createMarketDeployer in the agent. */
export async function deployMarket(
  params: MarketDeployParams,
  options: MarketDeployerOptions,
): Promise<MarketDeployResult> {
  const log = options.log;
  const { rpcUrl } = params;
  const nativeSymbol = options.nativeSymbol ?? 'ETH';
  const market: MarketParams = {
    ...(options.params ?? LAB_MARKET_PARAMS),
    ...(params.feeBps === undefined ? {} : { feeBps: params.feeBps }),
  };

  // The wallet first: a wrong password is said before anything is asked of the chain.
  const wallet = await options.wallet.status();
  if (wallet.state === 'none' || wallet.state === 'pending' || wallet.address === null)
    throw new DeployError(
      'WALLET_NONE',
      `No wallet yet: the market is deployed from this Roost's wallet, which pays the fees and becomes its admin. Create or import one (roost wallet create), then deploy again. ${NOTHING}`,
    );
  if (wallet.state === 'damaged')
    throw new DeployError(
      'WALLET_KEYSTORE_DAMAGED',
      `${wallet.problem?.message ?? "The wallet file can't be read."} ${NOTHING}`,
    );
  const deployer = getAddress(wallet.address);
  // Moving to the new market would leave them to expire, and their collateral with them.
  const held = options.heldLeases?.() ?? 0;
  if (held > 0)
    throw new DeployError(
      'UNAVAILABLE',
      `This Roost holds ${held} market lease${held === 1 ? '' : 's'} that ${held === 1 ? 'is' : 'are'} not paid yet on the market it works on now. A deploy moves it to the new market, and ${held === 1 ? 'that lease' : 'those leases'} would be left to expire, losing their collateral. Wait until ${held === 1 ? 'it is' : 'they are'} paid (roost market jobs shows where each stands), or deploy from another data folder. ${NOTHING}`,
    );
  if (wallet.state !== 'unlocked' && params.password === undefined)
    throw new DeployError(
      'WALLET_LOCKED',
      `The wallet is locked: unlock it (roost wallet unlock), or give its password, to deploy a market. ${NOTHING}`,
    );
  const key = await options.wallet.userKey(params.password, 'deploy a market');
  if (getAddress(key.address) !== deployer)
    throw new DeployError(
      'WALLET_NONE',
      `The wallet changed while deploying: it no longer holds ${deployer}. ${NOTHING}`,
    );

  const provider = await (options.connect ?? defaultConnect(options.rpcTimeoutMs))(rpcUrl).catch(
    (error: unknown) => {
      throw offline(rpcUrl, error);
    },
  );
  try {
    const chainId = await read(rpcUrl, async () => Number((await provider.getNetwork()).chainId));
    const where = `chain ${chainId} (${rpcUrl})`;
    await refuseAccidentalSecond(chainId, params.replace === true, options);

    const token =
      params.token === undefined ? null : await readToken(provider, params.token, chainId, rpcUrl);

    const plan = await read(rpcUrl, () =>
      planDeploy(provider, deployer, token?.address ?? null, market),
    );
    const balance = await read(rpcUrl, () => provider.getBalance(deployer));
    if (balance < plan.cost) {
      throw new DeployError(
        'WALLET_INSUFFICIENT_BALANCE',
        `The wallet ${deployer} has ${formatUnitsExact(balance, 18)} ${nativeSymbol} on ${where}, and a deploy needs about ${roughly(plan.cost)} ${nativeSymbol} for its fees (${plan.steps} transactions, about ${plan.gas.toLocaleString('en-US')} gas). Send ${nativeSymbol} on that chain to ${deployer}, then deploy again. ${NOTHING}`,
      );
    }

    const signer: Signer = key.connect(provider);
    log?.info(
      `deploying a Roost market on ${where} from ${deployer}${token ? ` paid in ${token.symbol} (${token.address})` : ' with the Roost test dollar'}, fee ${market.feeBps} bps`,
    );
    const sent: string[] = [];
    /** What is on the chain so far, for a failure's message. */
    const done: string[] = [];
    const timeoutMs = options.txTimeoutMs ?? 5 * 60_000;
    const send = async (
      request: () => Promise<TransactionResponse>,
    ): Promise<TransactionReceipt> => {
      const response = await (options.sendLanes ?? noLanes)(
        { chainId, rpcUrl, address: deployer },
        request,
      );
      sent.push(response.hash);
      let receipt: TransactionReceipt | null;
      try {
        receipt = await response.wait(1, timeoutMs);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'TIMEOUT') throw error;
        throw new DeployError(
          'WALLET_TX_FAILED',
          `transaction ${response.hash} was not mined within ${Math.round(timeoutMs / 1000)} s (is the chain making blocks?). It may still be mined: look for it on the chain before deploying again.`,
        );
      }
      if (receipt === null || receipt.status !== 1)
        throw new DeployError('WALLET_TX_FAILED', `transaction ${response.hash} reverted.`);
      return receipt;
    };

    let step = 'Deploying the Roost test dollar';
    let tokenAddress: string;
    let tokenMeta: { symbol: string; decimals: number };
    let marketAddress: string;
    let marketReceipt: TransactionReceipt;
    try {
      if (token) {
        tokenAddress = token.address;
        tokenMeta = token;
      } else {
        const receipt = await send(() =>
          signer.sendTransaction({ data: plan.tokenData, gasLimit: margin(plan.tokenGas) }),
        );
        tokenAddress = await deployedAt(provider, receipt, rpcUrl);
        tokenMeta = { symbol: 'rUSD', decimals: 6 };
        done.push(`the Roost test dollar at ${tokenAddress} (transaction ${receipt.hash})`);
      }
      step = 'Deploying the market';
      const marketData = await marketDeployData(tokenAddress, deployer, market);
      marketReceipt = await send(() =>
        signer.sendTransaction({ data: marketData, gasLimit: margin(plan.marketGas) }),
      );
      marketAddress = await deployedAt(provider, marketReceipt, rpcUrl);
      done.push(`the market at ${marketAddress} (transaction ${marketReceipt.hash})`);
      step = 'Checking the market';
      const paidIn = await read(
        rpcUrl,
        () => connectJobMarket(marketAddress, provider).token(),
        '',
      );
      if (getAddress(paidIn) !== tokenAddress)
        throw new DeployError(
          'WALLET_TX_FAILED',
          `the contract at ${marketAddress} says it is paid in ${paidIn}, not ${tokenAddress}.`,
        );
    } catch (error) {
      const failure =
        error instanceof DeployError
          ? error
          : txFailure(error, { chainId, rpcUrl, provider, nativeSymbol });
      const code: DeployErrorCode =
        failure.code === 'NETWORK_UNAVAILABLE' || failure.code === 'WALLET_INSUFFICIENT_BALANCE'
          ? failure.code
          : 'WALLET_TX_FAILED';
      const after =
        done.length === 0
          ? NOTHING
          : `Already on the chain: ${done.join('; ')}. Nothing was saved: this Roost still works where it did, and deploying again starts afresh.`;
      log?.warn(`${step} on ${where} failed: ${failure.message}`);
      throw new DeployError(code, `${step} on ${where} failed: ${failure.message} ${after}`, {
        cause: error,
      });
    }

    if (!token) {
      // The lab's own supply of test dollars, to hand to its providers. A market without it still
      // works, so a faucet that fails is said in the log and the deploy goes on.
      try {
        const testDollar = connectRoostTestToken(tokenAddress, signer);
        const limit = await testDollar.FAUCET_LIMIT();
        await send(() => testDollar.faucet(limit, { gasLimit: margin(FALLBACK_GAS.faucet) }));
      } catch (error) {
        log?.warn(
          `the market is deployed, but the test dollar's faucet did not pay the wallet: ${shortMessage(error)}`,
        );
      }
    }
    const tokenBalance = await connectRoostTestToken(tokenAddress, provider)
      .balanceOf(deployer)
      .catch(() => 0n);

    const saved = await options
      .save({ name: 'custom', rpcUrl, marketAddress, ...(token ? {} : { tokens: 'test' }) })
      .catch((error: unknown) => ({ ok: false as const, error: { message: messageOf(error) } }));
    if (!saved.ok)
      throw new DeployError(
        'SETTINGS_UNWRITABLE',
        `The market is deployed at ${marketAddress} on ${where}, paid in ${tokenMeta.symbol} at ${tokenAddress}, but the settings could not be saved: ${saved.error.message} Work on it with roost serve --rpc ${rpcUrl} --market ${marketAddress}, or set network.rpcUrl, network.marketAddress and network.name custom in Settings → Network.`,
      );
    log?.info(
      `Roost market deployed at ${marketAddress} on ${where} (block ${marketReceipt.blockNumber}), paid in ${tokenMeta.symbol} at ${tokenAddress}; this Roost works on it now`,
    );
    return {
      chainId,
      rpcUrl,
      marketAddress,
      tokenAddress,
      tokenSymbol: tokenMeta.symbol,
      tokenDecimals: tokenMeta.decimals,
      testToken: token === null,
      deployer,
      blockNumber: marketReceipt.blockNumber,
      transactions: sent,
      tokenBalance: tokenBalance.toString(),
    };
  } finally {
    provider.destroy();
  }
}

/** A JSON-RPC provider told its chain id after one eth_chainId: a dead node fails fast. */
function defaultConnect(timeoutMs?: number): (rpcUrl: string) => Promise<Provider> {
  return (rpcUrl) => connectRpc(rpcUrl, timeoutMs === undefined ? {} : { timeoutMs });
}

/**
 * The chain id the node at `rpcUrl` answers with (`roost market deploy` asks before it deploys);
 * a node that does not answer is a DeployError that says so.
 */
export async function nodeChainId(rpcUrl: string, timeoutMs?: number): Promise<number> {
  const provider = await defaultConnect(timeoutMs)(rpcUrl).catch((error: unknown) => {
    throw offline(rpcUrl, error);
  });
  try {
    return Number((await provider.getNetwork()).chainId);
  } finally {
    provider.destroy();
  }
}

function offline(rpcUrl: string, error: unknown, after = NOTHING): DeployError {
  const code = (error as { code?: unknown }).code;
  return new DeployError(
    'NETWORK_UNAVAILABLE',
    `The node at ${rpcUrl} did not answer${typeof code === 'string' ? ` (${code})` : ''}: it must be running and reachable from this machine, the one Roost runs on. Check the URL and the node, then deploy again.${after === '' ? '' : ` ${after}`}`,
    { cause: error },
  );
}

/**
 * A chain read; a node that stops answering (or answers an error) is said with its URL, then
 * `after` (what was deployed: nothing, by default).
 */
async function read<T>(rpcUrl: string, reading: () => Promise<T>, after = NOTHING): Promise<T> {
  try {
    return await reading();
  } catch (error) {
    if (error instanceof DeployError) throw error;
    if (isUnreachable(error)) throw offline(rpcUrl, error, after);
    throw new DeployError(
      'NETWORK_UNAVAILABLE',
      `The node at ${rpcUrl} answered with an error: ${shortMessage(error)}.${after === '' ? '' : ` ${after}`}`,
      { cause: error },
    );
  }
}

function shortMessage(error: unknown): string {
  const short = (error as { shortMessage?: unknown }).shortMessage;
  return (typeof short === 'string' ? short : messageOf(error)).slice(0, 200);
}

/** A transaction error in the wallet's words (chainFailure reads the network's URL and coin). */
function txFailure(
  error: unknown,
  lab: Pick<WalletNetwork, 'chainId' | 'rpcUrl' | 'provider' | 'nativeSymbol'>,
): { code: string; message: string } {
  return chainFailure(error, {
    ...lab,
    name: 'custom',
    marketAddress: ZeroAddress,
    tokenAddress: ZeroAddress,
    deployBlock: 0,
  });
}

/**
 * This Roost already works on a custom market of that chain: a second deploy there is most likely
 * a command run twice, and would move this machine off the market its providers are on.
 */
async function refuseAccidentalSecond(
  chainId: number,
  replace: boolean,
  options: Pick<MarketDeployerOptions, 'settings' | 'chainIdAt'>,
): Promise<void> {
  if (replace) return;
  const now = options.settings();
  if (now.name !== 'custom' || now.rpcUrl === null || now.marketAddress === null) return;
  const current = await options.chainIdAt(now.rpcUrl).catch(() => undefined);
  if (current !== chainId) return;
  throw new DeployError(
    'INVALID_PARAMS',
    `This Roost already works on market ${now.marketAddress} on chain ${chainId} (${now.rpcUrl}). Deploying another makes a second market there, and this Roost would move to it while the providers on the first stay there. To deploy a new one anyway, ask again with replace (roost market deploy --replace). ${NOTHING}`,
  );
}

interface TokenFacts {
  address: string;
  symbol: string;
  decimals: number;
}

/** The ERC-20 a lab pays in: code at the address, and a symbol and decimals that make sense. */
async function readToken(
  provider: Provider,
  given: string,
  chainId: number,
  rpcUrl: string,
): Promise<TokenFacts> {
  const where = `chain ${chainId} (${rpcUrl})`;
  let address: string;
  try {
    address = getAddress(given);
  } catch {
    throw new DeployError(
      'INVALID_PARAMS',
      `The token address ${given} has a wrong checksum (its mix of capitals): copy it again, or write it all in lower case. ${NOTHING}`,
    );
  }
  const code = await read(rpcUrl, () => provider.getCode(address));
  if (code === '0x')
    throw new DeployError(
      'INVALID_PARAMS',
      `There is no contract at ${address} on ${where}: the token must be an ERC-20 already on that chain. Check the address, or leave the token out to deploy the Roost test dollar with the market. ${NOTHING}`,
    );
  // The test dollar's binding is an ERC-20's interface, and more: only symbol and decimals are read.
  const erc20 = connectRoostTestToken(address, provider);
  let symbol: unknown;
  let decimals: unknown;
  try {
    [symbol, decimals] = await Promise.all([erc20.symbol(), erc20.decimals()]);
  } catch (error) {
    if (isUnreachable(error)) throw offline(rpcUrl, error);
    throw new DeployError(
      'INVALID_PARAMS',
      `The contract at ${address} on ${where} does not answer symbol() and decimals() as an ERC-20 token does (${shortMessage(error)}). Check the address, or leave the token out to deploy the Roost test dollar. ${NOTHING}`,
    );
  }
  const places = typeof decimals === 'bigint' ? Number(decimals) : NaN;
  if (!Number.isInteger(places) || places < 0 || places > 36)
    throw new DeployError(
      'INVALID_PARAMS',
      `The token at ${address} on ${where} says it has ${String(decimals)} decimals; Roost takes tokens with 0 to 36. ${NOTHING}`,
    );
  // eslint-disable-next-line no-control-regex -- a symbol with control characters is refused
  if (typeof symbol !== 'string' || !/^[^\u0000-\u001f\u007f]{1,32}$/.test(symbol.trim()))
    throw new DeployError(
      'INVALID_PARAMS',
      `The token at ${address} on ${where} gives no usable symbol (1 to 32 printable characters). ${NOTHING}`,
    );
  return { address, symbol: symbol.trim(), decimals: places };
}

interface DeployPlan {
  tokenData: string;
  tokenGas: bigint;
  marketGas: bigint;
  /** All the gas, and what it costs at most at today's fee. */
  gas: bigint;
  cost: bigint;
  steps: number;
}

async function marketDeployData(
  token: string,
  owner: string,
  market: MarketParams,
): Promise<string> {
  const factory = new ContractFactory(jobMarketAbi, jobMarketBytecode);
  const tx = await factory.getDeployTransaction(
    token,
    owner,
    owner,
    owner,
    market.feeBps,
    market.collateralBps,
    market.challengeWindowSeconds,
    market.unstakeDelaySeconds,
    market.arbitrationTimeoutSeconds,
  );
  return tx.data;
}

/** The transactions' gas (estimated where the node can) and their most likely cost. */
async function planDeploy(
  provider: Provider,
  from: string,
  token: string | null,
  market: MarketParams,
): Promise<DeployPlan> {
  const estimate = async (data: string, fallback: bigint): Promise<bigint> => {
    try {
      return await provider.estimateGas({ from, data });
    } catch (error) {
      if (isUnreachable(error)) throw error;
      return fallback;
    }
  };
  const tokenData = (
    await new ContractFactory(roostTestTokenAbi, roostTestTokenBytecode).getDeployTransaction()
  ).data;
  // The market's token is only stored by its constructor: where the test dollar will be is enough.
  const nonce = await provider.getTransactionCount(from, 'pending');
  const tokenAt = token ?? getCreateAddress({ from, nonce });
  const tokenGas = token === null ? await estimate(tokenData, FALLBACK_GAS.token) : 0n;
  const marketGas = await estimate(
    await marketDeployData(tokenAt, from, market),
    FALLBACK_GAS.market,
  );
  const faucetGas = token === null ? FALLBACK_GAS.faucet : 0n;
  const gas = tokenGas + marketGas + faucetGas;
  const fees = await provider.getFeeData();
  const price = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
  return {
    tokenData,
    tokenGas,
    marketGas,
    gas,
    cost: margin(gas) * price,
    steps: token === null ? 3 : 1,
  };
}

/** A fifth more gas than estimated: a block's state may move between estimate and send. */
function margin(gas: bigint): bigint {
  return gas + gas / 5n;
}

/** A coin amount with two significant digits, rounded up: "0.012", "1.5". */
export function roughly(wei: bigint): string {
  if (wei === 0n) return '0';
  const digits = wei.toString().length;
  const keep = 10n ** BigInt(Math.max(0, digits - 2));
  const up = ((wei + keep - 1n) / keep) * keep;
  return formatUnitsExact(up, 18);
}

/** The contract a deploy transaction made, with code there. */
async function deployedAt(
  provider: Provider,
  receipt: TransactionReceipt,
  rpcUrl: string,
): Promise<string> {
  const address = receipt.contractAddress;
  const code = address === null ? '0x' : await read(rpcUrl, () => provider.getCode(address), '');
  if (address === null || code === '0x')
    throw new DeployError(
      'WALLET_TX_FAILED',
      `transaction ${receipt.hash} left no contract on the chain.`,
    );
  return getAddress(address);
}
