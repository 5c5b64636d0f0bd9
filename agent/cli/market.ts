/**
 * `roost market status|jobs|job <id>|register|unstake|deploy|disputes|resolve`: the provider's view of the market,
 * taking its stake back, and a lab's own market deployed from its wallet, through the running
 * agent (or an in-process one). `roost market post-job|requests|await` is the requester's
 * side (market-post.ts, market-requests.ts); `marketCommand` below dispatches to both.
 */
import { formatUnits } from 'ethers';
import {
  MAX_MARKET_FEE_BPS,
  deployNextSteps,
  networkTokensWords,
  timeWords,
  type Result,
  type ResultOf,
} from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';
import { DeployError, nodeChainId } from '../market/deploy.ts';
import {
  UsageError,
  unlockingIfLocked as unlockingIfLockedVia,
  withClient,
  writeRefusal,
  type Command,
} from './common.ts';
import { answeredYes } from './flags.ts';
import {
  ArbiterUsageError,
  MARKET_DISPUTES_USAGE,
  MARKET_RESOLVE_USAGE,
  runArbiterCommand,
} from './market-arbiter.ts';
import { MARKET_CANCEL_USAGE } from './market-cancel.ts';
import { MARKET_POST_USAGE, MarketPostUsageError, marketPostOptions } from './market-post.ts';
import {
  MARKET_AWAIT_USAGE,
  MARKET_REQUESTS_USAGE,
  isRequesterCommand,
  requesterUsage,
  runRequesterCommand,
} from './market-requests.ts';

export interface MarketCliContext {
  client: ApiClient;
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Asks on the terminal (the wallet password when it is locked); absent: nothing is asked. */
  ask?: (question: string, secret: boolean) => Promise<string>;
  /** The chain id of the node at an RPC URL, for deploy's question (default: asks the node). */
  chainIdAt?: (rpcUrl: string) => Promise<number>;
}

export class MarketUsageError extends Error {}

type Lease = ResultOf<'market.jobs'>['leases'][number];

const STATE_WORDS: Record<Lease['state'], string> = {
  seen: 'seen',
  skipped: 'skipped',
  claiming: 'claiming',
  claimed: 'claimed',
  running: 'running',
  uploading: 'uploading',
  submitting: 'submitting',
  submitted: 'submitted',
  disputed: 'disputed',
  paid: 'paid',
  rejected: 'rejected',
  voided: 'voided',
  failed: 'failed',
  expired: 'expired',
  lost: 'taken by another',
};

function statusText(
  s: ResultOf<'market.status'>,
  pricing: { tokenValueInCurrency: number; currency: string } | undefined,
): string {
  const rows: [string, string][] = [];
  const state = {
    off: 'off (Settings → Market)',
    waiting: 'not taking jobs',
    ready: 'taking jobs',
  }[s.state];
  if (s.problem) rows.push(['why', s.problem]);
  if (s.network)
    rows.push(
      [
        'network',
        `${s.network.name}, ${pricing ? networkTokensWords(s.network, pricing, 'cli') : `chain ${s.network.chainId}`}`,
      ],
      ['market', s.network.marketAddress],
    );
  if (s.provider) {
    const p = s.provider;
    rows.push(['provider', `${p.address}${p.registered ? '' : ' (not registered)'}`]);
    if (p.registered)
      rows.push(
        ['score', String(p.score)],
        ['price', `${p.pricePerUnitHour.amount} ${p.pricePerUnitHour.symbol} per unit-hour`],
        [
          'stake',
          `${p.stake.amount} ${p.stake.symbol} (${p.locked.amount} ${p.locked.symbol} locked by jobs in progress)`,
        ],
      );
    if (p.unstaking)
      rows.push([
        'unstaking',
        `${p.unstaking.amount} ${p.unstaking.symbol}, released ${timeWords(p.unstaking.availableAt)}; Roost then makes it withdrawable by itself (roost market unstake --cancel puts it back)`,
      ]);
    rows.push(['to withdraw', `${p.withdrawable.amount} ${p.withdrawable.symbol}`]);
  }
  const f = s.follower;
  if (f.head !== null) {
    // How far Roost has read the chain, in words: caught up, or how far behind.
    const behind = f.checkpoint === null ? null : f.head - f.checkpoint;
    rows.push([
      'chain',
      `${behind === null ? 'not read yet' : behind <= 1 ? 'up to date' : `catching up: ${behind} blocks behind`} (block ${f.head})${f.lastError ? `; ${f.lastError}` : ''}`,
    ]);
  }
  const counts = Object.entries(s.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  if (counts) rows.push(['jobs seen', counts]);
  // One column for every status, the longest label's ("to withdraw:") and a space.
  const width = 13;
  return [
    `Market: ${state}`,
    ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)}${value}`),
  ].join('\n');
}

/** Seconds as a wait in words: 1 h, 7 days, 1 h 30 min, 45 s. */
export function durationWords(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts = [
    days > 0 ? `${days} ${days === 1 ? 'day' : 'days'}` : '',
    hours > 0 ? `${hours} h` : '',
    minutes > 0 && days === 0 ? `${minutes} min` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

/** How often `roost market unstake` reads the market again while a just-unlocked agent connects. */
export const MARKET_STATUS_RETRY_MS = 500;

/**
 * What `roost market unstake` asks before it acts: how much comes back, that market jobs turn off
 * and how long the market holds it; undefined when there is no stake to take back (the agent then
 * says why).
 */
export function unstakeQuestion(
  status: ResultOf<'market.status'>,
  amount: string | undefined,
): string | undefined {
  const p = status.provider;
  if (!p || !p.registered || Number(p.stake.amount) <= 0) return undefined;
  const what =
    amount !== undefined
      ? `${amount} ${p.stake.symbol} of your stake`
      : Number(p.locked.amount) > 0
        ? `your stake of ${p.stake.amount} ${p.stake.symbol} (${p.locked.amount} of it stays locked by jobs in progress)`
        : `your stake of ${p.stake.amount} ${p.stake.symbol}`;
  return `Take back ${what}? Market jobs turn off, and the market releases it after ${durationWords(p.unstakeDelaySeconds)}.`;
}

function unstakeText(r: ResultOf<'market.unstake'>): string {
  const delay = r.status.provider?.unstakeDelaySeconds;
  const lines = [
    `Asked for ${r.requested.amount} ${r.requested.symbol} of stake back.`,
    ...(r.marketJobsTurnedOff
      ? [
          'Market jobs are off now: while they are on, Roost would stake again. Turn them on in Settings → Market (or roost settings set market.enabled true); that puts stake still on its way back into the stake.',
        ]
      : []),
    `The market releases ${r.unstaking.amount} ${r.unstaking.symbol} at ${timeWords(r.unstaking.availableAt)}${delay !== undefined ? ` (its wait: ${durationWords(delay)})` : ''}; Roost finishes it by itself then, and it is withdrawable: roost wallet withdraw, or the Wallet page.`,
    ...(Number(r.locked.amount) > 0
      ? [
          `${r.locked.amount} ${r.locked.symbol} stays locked by jobs in progress: take it back once those jobs finish.`,
        ]
      : []),
    'Changed your mind? roost market unstake --cancel',
  ];
  return lines.join('\n');
}

export const MARKET_DEPLOY_USAGE =
  'roost market deploy --rpc <url> [--token <address>] [--fee-bps <n>] [--replace] [--yes]';

/** What deploy's question asks before anything is sent. */
export function deployQuestion(
  chainId: number,
  rpcUrl: string,
  from: string,
  token: string | undefined,
): string {
  const paid =
    token === undefined ? ' with the Roost test dollar' : `, paid in the token at ${token}`;
  return `Deploy a Roost market on chain ${chainId} at ${rpcUrl}${paid}, from ${from}? This spends that chain's coin for fees.`;
}

/** What was deployed, and the command lines for the lab's other machines. */
export function deployText(r: ResultOf<'market.deploy'>): string {
  const held = formatUnits(BigInt(r.tokenBalance), r.tokenDecimals).replace(/\.0$/, '');
  const next = deployNextSteps(r);
  return [
    `Deployed a Roost market on chain ${r.chainId} at ${r.rpcUrl}:`,
    `  market:   ${r.marketAddress} (block ${r.blockNumber})`,
    `  token:    ${r.tokenSymbol} at ${r.tokenAddress}${r.testToken ? ' (the Roost test dollar: test money, with a faucet)' : ''}`,
    `  admin:    ${r.deployer} (this wallet: the market's admin, arbiter and treasury)`,
    'This Roost works on it now (settings network.name custom).',
    '',
    'On each provider machine:',
    ...next.providerLines.map((line) => `  ${line}`),
    ...(next.clockNote === null ? [] : [next.clockNote]),
    '',
    `Each provider needs ${r.tokenSymbol} to stake and the chain's coin for its fees; this wallet holds ${held} ${r.tokenSymbol}${BigInt(r.tokenBalance) > 0n ? '' : ' (get some first)'}. Send them from here:`,
    `  roost wallet send <provider address> <amount>            (${r.tokenSymbol})`,
    "  roost wallet send <provider address> <amount> --native   (the chain's coin)",
  ].join('\n');
}

type Token = ResultOf<'market.jobs'>['token'];

function money(base: string, token: Token): string {
  if (!token) return `${base} base units`;
  return `${formatUnits(BigInt(base), token.decimals).replace(/\.0$/, '')} ${token.symbol}`;
}

function leaseLine(l: Lease, token: Token): string {
  const reward = `pays ${money(l.reward, token)}`;
  const why = l.reason ? ` — ${l.reason}` : '';
  return `job ${l.jobId.padEnd(5)} ${STATE_WORDS[l.state].padEnd(16)} ${reward}${l.payout && l.payout !== '0' ? `, earned ${money(l.payout, token)}` : ''}${why}`;
}

export async function runMarketCommand(ctx: MarketCliContext): Promise<number> {
  const [sub = 'status', ...rest] = ctx.positionals;
  // With --json the refusal goes to stdout too, as `print` writes it: scripts get JSON.
  const fail = (error: string | { code: string; message: string }): number => {
    const { code, message } =
      typeof error === 'string' ? { code: 'INVALID_PARAMS', message: error } : error;
    return writeRefusal(ctx.out, ctx.err, ctx.json, { code, message });
  };
  // What the tokens are worth needs the token value the user set (pricing).
  const readable = async (status: ResultOf<'market.status'>) => {
    const settings = await ctx.client.call('settings.get');
    return statusText(status, settings.ok ? settings.value.pricing : undefined);
  };
  switch (sub) {
    case 'status':
    case 'provider': {
      // `roost market provider status` reads the same as `roost market status`.
      if (sub === 'provider' && rest[0] !== undefined && rest[0] !== 'status')
        throw new MarketUsageError(
          `Unknown provider action "${rest[0]}": roost market provider status is the one there is.`,
        );
      const r = await ctx.client.call('market.status');
      if (!r.ok) return fail(r.error);
      ctx.out((ctx.json ? JSON.stringify(r.value) : await readable(r.value)) + '\n');
      return 0;
    }
    case 'register': {
      const r = await ctx.client.call('market.register');
      if (!r.ok) return fail(r.error);
      ctx.out((ctx.json ? JSON.stringify(r.value) : await readable(r.value)) + '\n');
      return r.value.provider?.registered ? 0 : 1;
    }
    case 'unstake': {
      if (rest.length > 0)
        throw new MarketUsageError(
          `Unexpected "${rest.join(' ')}": the amount goes in --amount <n>.`,
        );
      const amount = ctx.values.amount;
      const cancel = ctx.values.cancel === true;
      const complete = ctx.values.complete === true;
      if ((cancel && complete) || ((cancel || complete) && amount !== undefined))
        throw new MarketUsageError('--amount, --cancel and --complete go one at a time.');
      if (amount !== undefined && typeof amount !== 'string')
        throw new MarketUsageError('--amount takes the tokens to take back, e.g. --amount 25.');
      // A locked wallet can't sign the request: ask for its password once, as `wallet` does.
      const unlockingIfLocked = <T>(send: () => Promise<Result<T>>) =>
        unlockingIfLockedVia(ctx.client, ctx.ask, send);
      if (cancel || complete) {
        const r = await unlockingIfLocked(() =>
          ctx.client.call(cancel ? 'market.cancelUnstake' : 'market.completeUnstake'),
        );
        if (!r.ok) return fail(r.error);
        if (ctx.json) ctx.out(JSON.stringify(r.value) + '\n');
        else
          ctx.out(
            (cancel
              ? `Put back into the stake: it is ${r.value.provider?.stake.amount ?? '?'} ${r.value.provider?.stake.symbol ?? ''} now.${r.value.state === 'off' ? ' Market jobs are still off: turn them on in Settings → Market (or roost settings set market.enabled true).' : ''}`
              : `Done: ${r.value.provider?.withdrawable.amount ?? '?'} ${r.value.provider?.withdrawable.symbol ?? ''} is withdrawable now (roost wallet withdraw, or the Wallet page).`) +
              '\n',
          );
        return 0;
      }
      // Money leaves the market's work and market jobs stop: say what happens and ask, as
      // roost wallet withdraw does, unless --yes.
      if (ctx.values.yes !== true) {
        let status = await ctx.client.call('market.status');
        if (!status.ok) return fail(status.error);
        if (status.value.provider === null && ctx.ask) {
          // The stake is read with no key, so a locked wallet shows it too (nothing staked is then
          // said without the password). Where it could not be read, the question could not say
          // what comes back, and the take-back would go ahead unasked once unlocked: unlock
          // first, then ask.
          const wallet = await ctx.client.call('wallet.status');
          if (wallet.ok && wallet.value.state === 'locked') {
            const password = await ctx.ask('Wallet password: ', true);
            const unlocked = await ctx.client.call('wallet.unlock', { password });
            if (!unlocked.ok) return fail(unlocked.error);
            // A running agent builds its market session on its next tick (a few seconds).
            for (let i = 0; i < 20; i++) {
              status = await ctx.client.call('market.status');
              if (!status.ok) return fail(status.error);
              if (status.value.provider !== null) break;
              await new Promise((r) => setTimeout(r, MARKET_STATUS_RETRY_MS));
            }
          }
        }
        const question = unstakeQuestion(status.value, amount);
        // No stake to take back: the agent's answer says why, in its own words.
        if (question !== undefined) {
          if (!ctx.ask) return fail(`${question} Add --yes to take it back without being asked.`);
          if (!(await answeredYes(ctx.ask, question))) {
            ctx.err('Nothing was changed.\n');
            return 1;
          }
        }
      }
      const r = await unlockingIfLocked(() =>
        ctx.client.call('market.unstake', amount === undefined ? {} : { amount }),
      );
      if (!r.ok) return fail(r.error);
      ctx.out((ctx.json ? JSON.stringify(r.value) : unstakeText(r.value)) + '\n');
      return 0;
    }
    case 'jobs': {
      const limit = typeof ctx.values.limit === 'string' ? Number(ctx.values.limit) : undefined;
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
        throw new MarketUsageError(
          `--limit takes a whole number above 0 (got "${String(ctx.values.limit)}").`,
        );
      const r = await ctx.client.call('market.jobs', limit === undefined ? {} : { limit });
      if (!r.ok) return fail(r.error);
      if (ctx.json) ctx.out(JSON.stringify(r.value) + '\n');
      else if (r.value.leases.length === 0)
        ctx.out(
          'No market jobs seen yet. Roost follows the market while it runs (`roost serve` or the app).\n',
        );
      else ctx.out(r.value.leases.map((l) => leaseLine(l, r.value.token)).join('\n') + '\n');
      return 0;
    }
    case 'job': {
      const id = rest[0];
      if (id === undefined || !/^\d+$/.test(id))
        throw new MarketUsageError(
          id === undefined
            ? 'Say which job: roost market job <id> (roost market jobs lists them).'
            : `"${id}" is not a market job id: they are numbers (roost market jobs lists them).`,
        );
      const r = await ctx.client.call('market.job', { jobId: id });
      if (!r.ok) return fail(r.error);
      if (ctx.json) ctx.out(JSON.stringify(r.value) + '\n');
      else
        ctx.out(
          [
            leaseLine(r.value, r.value.token),
            `  requester:  ${r.value.requester}`,
            `  spec:       ${r.value.specUri}`,
            ...(r.value.localJobId
              ? [
                  r.value.localJobRemoved
                    ? `  local job:  ${r.value.localJobId} (removed: its files are gone; the lease and what it paid stay)`
                    : `  local job:  ${r.value.localJobId} (roost job show)`,
                ]
              : []),
            ...(r.value.resultUri ? [`  result:     ${r.value.resultUri}`] : []),
            '  history:',
            ...r.value.history.map((h) => `    ${h.at}  ${h.state.padEnd(11)} ${h.message}`),
          ].join('\n') + '\n',
        );
      return 0;
    }
    case 'deploy': {
      if (rest.length > 0)
        throw new MarketUsageError(
          `Unexpected "${rest.join(' ')}": the node's URL goes in --rpc <url>.`,
        );
      const rpcUrl = ctx.values.rpc;
      if (typeof rpcUrl !== 'string' || rpcUrl.trim() === '')
        throw new MarketUsageError(
          "Say which chain: --rpc <url>, the JSON-RPC URL of your lab's node (http or https).",
        );
      const token = ctx.values.token;
      if (token !== undefined && typeof token !== 'string')
        throw new MarketUsageError('--token takes the address of an ERC-20 on that chain.');
      const feeText = ctx.values['fee-bps'];
      const feeBps =
        typeof feeText === 'string' && /^\d{1,4}$/.test(feeText) ? Number(feeText) : NaN;
      if (feeText !== undefined && !(feeBps <= MAX_MARKET_FEE_BPS))
        throw new MarketUsageError(
          `--fee-bps takes the market's fee in basis points, 0 to ${MAX_MARKET_FEE_BPS} (100 is 1 %; got "${String(feeText)}").`,
        );
      const params = {
        rpcUrl: rpcUrl.trim(),
        ...(token === undefined ? {} : { token: token.trim() }),
        ...(feeText === undefined ? {} : { feeBps }),
        ...(ctx.values.replace === true ? { replace: true } : {}),
      };
      const wallet = await ctx.client.call('wallet.status');
      if (!wallet.ok) return fail(wallet.error);
      const { state, address } = wallet.value;
      // No wallet to deploy from: nothing to ask; the agent says what to do.
      const usable = (state === 'unlocked' || state === 'locked') && address !== null;
      if (usable && ctx.values.yes !== true) {
        let chainId: number;
        try {
          chainId = await (ctx.chainIdAt ?? nodeChainId)(params.rpcUrl);
        } catch (error) {
          if (error instanceof DeployError) return fail(error);
          throw error;
        }
        const question = deployQuestion(chainId, params.rpcUrl, address, params.token);
        if (!ctx.ask) return fail(`${question} Add --yes to deploy without being asked.`);
        if (!(await answeredYes(ctx.ask, question))) {
          if (ctx.json)
            ctx.out(
              JSON.stringify({
                ok: false,
                error: { code: 'CANCELLED', message: 'Nothing was deployed.' },
              }) + '\n',
            );
          ctx.err('Nothing was deployed.\n');
          return 1;
        }
      }
      // A locked wallet signs this one deploy with its password, and stays locked.
      const password =
        usable && state === 'locked' && ctx.ask
          ? await ctx.ask('Wallet password: ', true)
          : undefined;
      const r = await ctx.client.call('market.deploy', {
        ...params,
        ...(password === undefined ? {} : { password }),
      });
      if (!r.ok) return fail(r.error);
      ctx.out((ctx.json ? JSON.stringify(r.value) : deployText(r.value)) + '\n');
      return 0;
    }
    case 'disputes':
    case 'resolve':
      try {
        return await runArbiterCommand(ctx, sub, rest, fail);
      } catch (error) {
        if (error instanceof ArbiterUsageError)
          throw new MarketUsageError(
            `${error.message}\nUsage: ${sub === 'disputes' ? MARKET_DISPUTES_USAGE : MARKET_RESOLVE_USAGE}`,
          );
        throw error;
      }
    default:
      throw new MarketUsageError(
        `Unknown market action "${sub}": use status, jobs, job, register, unstake, deploy, post-job, requests, await, cancel-job, disputes or resolve.`,
      );
  }
}

export const marketCommand: Command = {
  usage:
    'roost market status | jobs [--limit <n>] | job <id> | register | provider status\n       ' +
    'roost market unstake [--amount <n>] [--yes] | unstake --cancel | unstake --complete\n       ' +
    `${MARKET_DEPLOY_USAGE}\n       ` +
    `${MARKET_POST_USAGE}\n       ${MARKET_REQUESTS_USAGE}\n       ${MARKET_AWAIT_USAGE}\n       ${MARKET_CANCEL_USAGE}\n       ` +
    `${MARKET_DISPUTES_USAGE}\n       ${MARKET_RESOLVE_USAGE}`,
  summary:
    "The job market: your provider status, the jobs you took or skipped and why, taking your stake back; post jobs, follow and cancel them; deploy your lab's own market and rule on its disputes",
  help: [
    'roost market unstake takes your stake back: all of it not locked by jobs in progress, or',
    '--amount <n> tokens. It turns market jobs off (while they are on Roost stakes again). The',
    'market releases it after its wait (roost market status shows when); Roost then finishes by',
    'itself, and it is withdrawable with roost wallet withdraw. --cancel puts it back into the',
    'stake; --complete finishes now if the wait is over. Turning market jobs on again also puts',
    'stake still on its way back into the stake. It asks before it acts; --yes does not ask.',
    '',
    "roost market deploy puts a Roost market of your own on your lab's chain (--rpc: its JSON-RPC",
    'URL, reachable from this machine), from this wallet: it pays the fees and becomes the',
    "market's admin, arbiter and treasury. It deploys the Roost test dollar with it and takes",
    'its faucet once, for your providers; --token <address> pays in an ERC-20 already on that',
    "chain instead. --fee-bps sets the market's fee (default 0). This Roost then works on the new",
    'market, and it prints the command lines for your other machines. A second market on the chain',
    'this Roost already works on needs --replace. It asks before it acts; --yes does not ask.',
    '',
    'roost market post-job posts a job to the market this data folder works on and serves its',
    'files from here until every lease is judged. --price is paid per lease; --redundancy 2 has two',
    'providers run it and compares them; --canary runs it here first as the known answer;',
    '--output <name> names an output to check (again for more); --name labels it. On the local',
    'devnet --account picks the test account that pays; on a custom network (a lab market) this',
    "data folder's wallet pays, and its password is asked (where its tokens count as money, it",
    'asks before it posts; --yes does not ask). The files are served on 127.0.0.1:',
    '--port fixes the port, and --public-url is the address other machines reach it by (your',
    'tunnel or proxy to that port). It keeps running while providers fetch the files (so it takes',
    'no --no-wait); stopped, it goes on with roost market await <jobId>.',
    '',
    'roost market cancel-job <jobId> takes back the leases of a job you posted that nobody has',
    'claimed yet: their rewards go back to your balance in the market. Claimed leases run to their',
    'end. It asks before it acts; --yes does not ask.',
    '',
    "roost market disputes lists the market's open disputes: the job, the requester and the",
    "provider, what is at stake, the result on chain and the requester's reason. The market's",
    'arbiter (on your own market, the wallet that deployed it) rules on one with roost market',
    'resolve <jobId> <lease> --for provider (it is paid) or --for requester (it gets the reward',
    "back and the provider's collateral). Nobody may rule on a lease they are party to. It asks",
    'before it acts; --yes does not ask.',
  ].join('\n'),
  options: {
    limit: { type: 'string' },
    amount: { type: 'string' },
    cancel: { type: 'boolean' },
    complete: { type: 'boolean' },
    yes: { type: 'boolean' },
    rpc: { type: 'string' },
    token: { type: 'string' },
    'fee-bps': { type: 'string' },
    replace: { type: 'boolean' },
    for: { type: 'string' },
    ...marketPostOptions,
  },
  async run(ctx) {
    if (isRequesterCommand(ctx.positionals[0])) {
      // The requester's side runs here: it serves the files and waits for the results.
      const stop = new AbortController();
      void ctx.io.untilStopped?.().then(() => stop.abort());
      try {
        return await runRequesterCommand({
          dataDir: ctx.dataDir,
          positionals: ctx.positionals,
          values: ctx.values,
          json: ctx.json,
          out: ctx.io.stdout,
          err: ctx.io.stderr,
          signal: stop.signal,
          ...(ctx.io.prompt
            ? { ask: (question, secret) => ctx.io.prompt!(question, { secret }) }
            : {}),
        });
      } catch (error) {
        if (error instanceof MarketPostUsageError)
          throw new UsageError(`${error.message}\nUsage: ${requesterUsage(ctx.positionals[0])}`);
        throw error;
      }
    }
    return withClient(ctx, async (client) => {
      try {
        return await runMarketCommand({
          client,
          positionals: ctx.positionals,
          values: ctx.values,
          json: ctx.json,
          out: ctx.io.stdout,
          err: ctx.io.stderr,
          ...(ctx.io.prompt
            ? { ask: (question, secret) => ctx.io.prompt!(question, { secret }) }
            : {}),
        });
      } catch (error) {
        if (error instanceof MarketUsageError)
          throw new UsageError(`${error.message}\nUsage: ${marketCommand.usage}`);
        throw error;
      }
    });
  },
};
