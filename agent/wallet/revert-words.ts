/**
 * Why the market or its token refused a transaction, in words an owner can act on: the custom
 * error a revert carries (`LeaseOver(leaseEndsAt)`) becomes "the lease ran out at 2026-11-27
 * 20:22 UTC (LeaseOver)". The error's name stays at the end, for support and for searching the
 * contract; its raw arguments (unix times, base units, basis points) are turned into words or
 * left out. One table for the wallet's actions and the market's transactions alike.
 */
import { decodeJobMarketError, leaseStateNames } from '../../contracts/bindings/job-market.ts';
import { decodeRoostTestTokenError } from '../../contracts/bindings/roost-test-token.ts';
import { formatUnitsExact } from './amount.ts';
import { timeWords } from './schema.ts';

/** The revert data (`0x` + selector + arguments) somewhere in an ethers error, if any. */
export function revertData(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && e !== undefined && depth < 6; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    if (typeof data === 'object' && data !== null) {
      const inner = (data as { data?: unknown }).data;
      if (typeof inner === 'string' && /^0x[0-9a-fA-F]{8}/.test(inner)) return inner;
    }
    e =
      (e as { error?: unknown; info?: { error?: unknown } }).error ??
      (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface RevertWords {
  /** The custom error's name: `LeaseOver`. */
  name: string;
  /** What it means, mid-sentence and without a final period, ending with the name. */
  words: string;
}

type Args = Record<string, unknown>;
interface Say {
  money(value: unknown): string;
  time(value: unknown): string;
}

const WORDS: Record<string, (a: Args, say: Say) => string> = {
  InvalidConfig: () => "the market's settings are not valid",
  ZeroAddress: () => 'an address is missing',
  ZeroAmount: () => 'the amount is zero',
  FeeTooHigh: (a) =>
    `a fee of ${percent(a.feeBps)} is above the most allowed, ${percent(a.maxFeeBps)}`,
  UnsupportedToken: () =>
    'the token moved another amount than asked: tokens that take a fee or rebase are not supported',
  AmountTooLarge: (a, say) => `${say.money(a.amount)} is more than the market can hold`,
  AlreadyRegistered: () => 'this wallet is already registered as a provider',
  NotRegistered: () => 'this wallet is not registered as a provider',
  InvalidReport: () => "the benchmark report's hash is missing",
  InsufficientStake: (a, say) =>
    `the stake free for collateral is ${say.money(a.available)}, less than the ${say.money(a.needed)} needed`,
  NothingUnstaking: () => 'no stake is on its way back',
  UnstakeNotReady: (a, say) => `the stake can be taken back from ${say.time(a.availableAt)}`,
  InvalidSpec: () => "the job's spec is missing",
  InvalidRedundancy: (a) => `a job can't have ${String(a.redundancy)} leases`,
  InvalidLeaseLength: (a) => `a lease of ${String(a.leaseSeconds)} s is not allowed`,
  InvalidDeadline: (a, say) =>
    `a deadline of ${say.time(a.deadline)} is in the past or too far ahead`,
  UnknownJob: (a) => `this market has no job ${String(a.jobId)}`,
  UnknownLease: (a) => `job ${String(a.jobId)} has no lease ${String(a.slot)}`,
  NotRequester: (a) => `only the wallet that posted job ${String(a.jobId)} may do this`,
  NothingToCancel: (a) => `job ${String(a.jobId)} has no open lease left to cancel`,
  ClaimWindowClosed: (a, say) =>
    `job ${String(a.jobId)} could be claimed until ${say.time(a.deadline)}`,
  ScoreTooLow: (a) =>
    `the benchmark score ${String(a.score)} is below the market's minimum of ${String(a.minScore)}`,
  NoOpenLease: (a) => `every lease of job ${String(a.jobId)} is taken`,
  AlreadyLeased: (a) => `this provider already holds a lease of job ${String(a.jobId)}`,
  WrongLeaseState: (a) =>
    `lease ${String(a.slot)} of job ${String(a.jobId)} is ${stateName(a.state)} now`,
  NotLeaseHolder: (a) =>
    `lease ${String(a.slot)} of job ${String(a.jobId)} is held by another provider`,
  LeaseOver: (a, say) => `the lease ran out at ${say.time(a.leaseEndsAt)}`,
  LeaseActive: (a, say) => `the lease runs until ${say.time(a.leaseEndsAt)}`,
  InvalidResult: () => "the result's hash or address is missing or too long",
  InvalidReason: () => 'the reason is missing or too long',
  ChallengeWindowClosed: (a, say) =>
    `the time to check the result ended at ${say.time(a.challengeEndsAt)}`,
  ChallengeWindowOpen: (a, say) =>
    `the requester may check the result until ${say.time(a.challengeEndsAt)}`,
  ArbiterIsParty: () => "the arbiter can't rule on a job it posted or ran",
  ArbitrationPending: (a, say) => `the arbiter may still rule until ${say.time(a.voidableAt)}`,
  InsufficientBalance: (a, say) =>
    `the market holds only ${say.money(a.available)} for this wallet, not the ${say.money(a.requested)} asked`,
  EnforcedPause: () => 'the market is paused',
  ExpectedPause: () => 'the market is not paused',
  AccessControlUnauthorizedAccount: () => "this wallet doesn't have the role this needs",
  ERC20InsufficientBalance: (a, say) =>
    `the wallet holds only ${say.money(a.balance)}, not the ${say.money(a.needed)} needed`,
  ERC20InsufficientAllowance: (a, say) =>
    `the wallet allows the market only ${say.money(a.allowance)}, not the ${say.money(a.needed)} needed`,
  FaucetLimitExceeded: (a, say) => `the faucet gives at most ${say.money(a.limit)} at a time`,
};

function percent(bps: unknown): string {
  return `${Number(bps) / 100} %`;
}

function stateName(state: unknown): string {
  const name = leaseStateNames[Number(state)];
  return name === undefined ? `in state ${String(state)}` : name.toLowerCase();
}

/**
 * The custom error in `data` (the market's or its token's) in words, amounts in the token's units
 * when `meta` is known; undefined when the data is not one of theirs.
 */
export function describeRevert(
  data: string | undefined,
  meta?: { decimals: number; symbol: string },
): RevertWords | undefined {
  if (data === undefined) return undefined;
  const decoded = decodeJobMarketError(data) ?? decodeRoostTestTokenError(data);
  if (decoded === null) return undefined;
  const args = decoded.args as Args;
  const say: Say = {
    money: (v) =>
      typeof v === 'bigint' && meta !== undefined
        ? `${formatUnitsExact(v, meta.decimals)} ${meta.symbol}`
        : `${String(v)} base units`,
    time: (v) => {
      const ms = Number(v) * 1000;
      return Number.isFinite(ms) && ms > 0 && ms < 8.64e15
        ? timeWords(new Date(ms).toISOString())
        : String(v);
    },
  };
  const wording = WORDS[decoded.name];
  if (wording !== undefined)
    return { name: decoded.name, words: `${wording(args, say)} (${decoded.name})` };
  const listed = Object.entries(args)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  return { name: decoded.name, words: `${decoded.name}${listed === '' ? '' : ` (${listed})`}` };
}
