/**
 * The provider's record on the market: register with the latest benchmark report's hash and
 * score, the price and the stake; update it when any of them changes (re-checked every tick, the
 * report at most every 30 s); approve and add stake as needed. On the local devnet a new wallet
 * is funded first, so the loop just works.
 */
import { JsonRpcProvider, parseUnits } from 'ethers';
import { connectJobMarket, jobMarketInterface } from '../../contracts/bindings/job-market.ts';
import {
  connectRoostTestToken,
  roostTestTokenInterface,
} from '../../contracts/bindings/roost-test-token.ts';
import type { TokenMeta } from '../wallet/chain.ts';
import { tokens } from './format.ts';
import type { LatestReport, MarketLog, MarketServiceOptions } from './service-options.ts';
import type { Session } from './session.ts';

const ONE_ETH = 10n ** 18n;

export interface RegistrationOptions {
  options: Pick<MarketServiceOptions, 'settings' | 'latestReport'>;
  log: MarketLog;
  now: () => Date;
  /** What keeps the service from working, in words; null once registered. */
  setProblem(problem: string | null): void;
  /** The provider record on chain changed (registered, updated): tell the UI now. */
  changed?(): void;
  /** Drives a lease again: once registered, the skipped jobs are decided anew. */
  schedule(s: Session, jobId: string): void;
}

export interface Registration {
  /** Whether the chain had this provider registered when last asked. */
  registered(): boolean;
  /** A new session: what was put on chain is not known yet. */
  forget(): void;
  /** Registers or updates when the price, the stake or the latest report changed. */
  refresh(s: Session): Promise<void>;
  /** Registers or updates now. */
  ensure(s: Session): Promise<void>;
  /** Registers or updates now, after one already under way (the price may have just changed). */
  registerNow(s: Session): Promise<void>;
  /** Resolves when no registration is under way. */
  settled(): Promise<void>;
}

export function createRegistration(deps: RegistrationOptions): Registration {
  const { options, log, now } = deps;
  let registered = false;
  let registeredWith: string | undefined;
  let registering: Promise<void> | undefined;
  let reportCheck = { at: 0, report: null as LatestReport | null };

  function priceBase(meta: TokenMeta): bigint {
    return parseUnits(options.settings().pricePerUnitHour.toFixed(meta.decimals), meta.decimals);
  }

  function stakeBase(meta: TokenMeta): bigint {
    return parseUnits(options.settings().market.stake.toFixed(meta.decimals), meta.decimals);
  }

  /** On the local devnet a new wallet gets test coins and test dollars, so the loop just works. */
  async function fundOnDevnet(s: Session, tokensNeeded: bigint): Promise<void> {
    if (!s.local || !(s.net.provider instanceof JsonRpcProvider)) return;
    const rpc = s.net.provider;
    const balance = await rpc.getBalance(s.address);
    if (balance < ONE_ETH) {
      await rpc.send('hardhat_setBalance', [s.address, `0x${(100n * ONE_ETH).toString(16)}`]);
      log.info(`market: the local devnet gave ${s.address} 100 test ETH for fees`);
    }
    const token = connectRoostTestToken(s.net.tokenAddress, rpc);
    const have = await token.balanceOf(s.address);
    if (have < tokensNeeded) {
      const [admin] = (await rpc.send('eth_accounts', [])) as string[];
      if (admin === undefined) return;
      const funder = await rpc.getSigner(admin);
      await (
        await connectRoostTestToken(s.net.tokenAddress, funder).faucetTo(
          s.address,
          tokensNeeded - have,
        )
      ).wait();
      log.info(
        `market: the local devnet gave ${s.address} ${tokens(tokensNeeded - have, s.meta)} to stake`,
      );
    }
  }

  /** What the chain should say about this provider: price, stake and report. */
  function wanted(report: LatestReport | null): string {
    const settings = options.settings();
    return JSON.stringify([settings.pricePerUnitHour, settings.market.stake, report]);
  }

  /** Registers or updates when the price, the stake or the latest report changed. */
  async function refreshRegistration(s: Session): Promise<void> {
    if (registering) return;
    if (now().getTime() - reportCheck.at > 30_000)
      reportCheck = { at: now().getTime(), report: await options.latestReport() };
    if (wanted(reportCheck.report) === registeredWith) return;
    registering = ensureRegistered(s).finally(() => {
      registering = undefined;
    });
    await registering;
  }

  async function ensureRegistered(s: Session): Promise<void> {
    const report = await options.latestReport();
    reportCheck = { at: now().getTime(), report };
    // What this run puts on chain: read once, so a change made meanwhile is seen as a change.
    const target = wanted(report);
    const price = priceBase(s.meta);
    const stake = stakeBase(s.meta);
    const market = connectJobMarket(s.net.marketAddress, s.net.provider);
    let current = await market.getProvider(s.address);
    if (current.unstaking > 0n) {
      // Market jobs are on again while stake is on its way back (`roost market unstake`): put
      // it back into the stake rather than take new tokens from the wallet for it.
      await s.tx.execute({
        key: `unstake-cancel:${current.unstakeAvailableAt}:${current.unstaking}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('cancelUnstake', []),
        label: `put ${tokens(current.unstaking, s.meta)} back into the stake`,
      });
      log.info(
        `market: ${tokens(current.unstaking, s.meta)} on its way back went into the stake again (market jobs are on)`,
      );
      current = await market.getProvider(s.address);
    }
    if (report === null) {
      registered = current.registeredAt !== 0n;
      registeredWith = target;
      deps.setProblem(
        registered
          ? null
          : 'no benchmark yet: run one (Benchmark page, or `roost bench`) so the market knows what this machine can do',
      );
      return;
    }
    const reportHash = `0x${report.hash.replace(/^(0x|sha256:)/, '')}`;
    const score = BigInt(report.score);
    const tokenNeeded =
      current.registeredAt === 0n ? stake : stake > current.stake ? stake - current.stake : 0n;
    await fundOnDevnet(s, tokenNeeded);
    if (tokenNeeded > 0n) await approve(s, tokenNeeded);
    if (current.registeredAt === 0n) {
      await s.tx.execute({
        key: `register:${reportHash}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('registerProvider', [
          reportHash,
          score,
          price,
          stake,
        ]),
        label: 'register as a provider',
      });
      log.info(`market: registered with score ${score} and stake ${tokens(stake, s.meta)}`);
    } else {
      if (
        current.reportHash !== reportHash ||
        current.score !== score ||
        current.pricePerUnitHour !== price
      )
        await s.tx.execute({
          key: `update:${reportHash}:${score}:${price}`,
          to: s.net.marketAddress,
          data: jobMarketInterface.encodeFunctionData('updateProvider', [reportHash, score, price]),
          label: 'update the provider record',
        });
      if (tokenNeeded > 0n)
        await s.tx.execute({
          key: `stake:${current.stake}:${stake}`,
          to: s.net.marketAddress,
          data: jobMarketInterface.encodeFunctionData('addStake', [tokenNeeded]),
          label: `add ${tokens(tokenNeeded, s.meta)} of stake`,
        });
    }
    registered = true;
    registeredWith = target;
    deps.setProblem(null);
    deps.changed?.();
    s.lastFacts.clear();
    for (const lease of s.leases.list({ states: ['seen', 'skipped'] }))
      deps.schedule(s, lease.jobId);
  }

  async function approve(s: Session, amount: bigint): Promise<void> {
    const token = connectRoostTestToken(s.net.tokenAddress, s.net.provider);
    const allowance = await token.allowance(s.address, s.net.marketAddress);
    if (allowance >= amount) return;
    await s.tx.execute({
      key: `approve:${s.net.marketAddress}:${amount}:${allowance}`,
      to: s.net.tokenAddress,
      data: roostTestTokenInterface.encodeFunctionData('approve', [s.net.marketAddress, amount]),
      label: `allow the market to take ${tokens(amount, s.meta)}`,
    });
  }

  /**
   * Registers or updates, joining a run already under way: the session's start and the chain
   * answering again both ask at once, and two runs each funded the wallet on the devnet and
   * logged the registration twice.
   */
  function ensureOnce(s: Session): Promise<void> {
    registering ??= ensureRegistered(s).finally(() => {
      registering = undefined;
    });
    return registering;
  }

  return {
    registered: () => registered,
    forget() {
      registeredWith = undefined;
    },
    refresh: refreshRegistration,
    ensure: ensureOnce,
    async settled() {
      await registering?.catch(() => undefined);
    },
    async registerNow(s) {
      await registering?.catch(() => undefined);
      registering = ensureRegistered(s).finally(() => {
        registering = undefined;
      });
      await registering;
    },
  };
}
