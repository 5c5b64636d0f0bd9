/**
 * `roost wallet …`: create or import the wallet, lock and unlock it, balances, withdraw and send,
 * through the running agent (or an in-process one). Secrets are asked for, never taken from argv.
 */
import { readFile } from 'node:fs/promises';
import {
  estimateForPeople,
  forPeople,
  historyWords,
  timeWords,
  sentWords,
  networkTokensWords,
  type ResultOf,
} from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';
import { UsageError, withClient, writeRefusal, type Command } from './common.ts';
import { answeredYes } from './flags.ts';

/** What the wallet commands need from the command line around them. */
export interface WalletCliContext {
  client: ApiClient;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Asks on the terminal (hidden for secrets) or reads the next line of stdin. */
  ask: (question: string, secret: boolean) => Promise<string>;
}

export class WalletUsageError extends Error {}

type Amount = { amount: string; symbol: string };
/** Exact, for what is about to be sent. */
const show = (a: Amount) => `${a.amount} ${a.symbol}`;
/** Rounded for reading (balances, fees, history); `--json` keeps the exact amounts. */
const rounded = (a: Amount) => `${forPeople(a.amount)} ${a.symbol}`;
/** An estimate (a fee): three significant digits. */
const estimate = (a: Amount) => `${estimateForPeople(a.amount)} ${a.symbol}`;

type HistoryEntry = ResultOf<'wallet.history'>['entries'][number];

/**
 * One history entry's sign and words, as the Wallet page says them (`historyWords`); when a
 * stake asked back comes free goes at the end of the line (`after`), so the columns stay.
 */
export function historyLine(e: HistoryEntry): { sign: string; what: string; after: string } {
  const { direction, what } = historyWords({ kind: e.kind, reason: e.reason });
  return {
    sign: direction === 'out' ? '-' : direction === 'none' ? ' ' : '+',
    what,
    after: e.availableAt ? `free from ${timeWords(e.availableAt)}` : '',
  };
}

function summary(p: ResultOf<'wallet.prepareSend'>): string {
  const lines = [
    p.kind === 'withdraw' ? 'Withdraw from the market to your wallet:' : 'Send:',
    `  amount:        ${show(p.amount)}`,
    `  to:            ${p.to}${p.kind === 'withdraw' ? ' (your wallet)' : ''}`,
    `  from:          ${p.from}`,
    `  network:       ${p.network.name} (chain ${p.network.chainId})`,
    `  fee:           about ${estimate(p.fee.estimated)} (at most ${estimate(p.fee.max)})`,
  ];
  for (const w of p.warnings) lines.push(`  warning:       ${w.message}`);
  return lines.join('\n');
}

/**
 * Every call's failure ends the command: message on stderr, exit 1, and with --json the refusal
 * on stdout too, as `print` writes it.
 */
class Failed extends Error {
  readonly code: string;
  constructor(message: string, code = 'INVALID_PARAMS') {
    super(message);
    this.code = code;
  }
}

async function call<T>(
  promise: Promise<
    { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
  >,
): Promise<T> {
  const r = await promise;
  if (!r.ok) throw new Failed(r.error.message, r.error.code);
  return r.value;
}

async function newPassword(ctx: WalletCliContext): Promise<string> {
  const first = await ctx.ask('Choose a password for the wallet (8 characters or more): ', true);
  const again = await ctx.ask('Type it again: ', true);
  if (first !== again) throw new Failed('The two passwords differ; nothing was changed.');
  return first;
}

/**
 * Where no Roost is running, this command ran its own agent for the moment: the wallet it
 * unlocked locks again when the command ends. Said, so no one expects it to sign work after.
 */
export function unlockLasts(ctx: Pick<WalletCliContext, 'client'>): string {
  return ctx.client.inProcess
    ? 'No Roost is running here, so the wallet locks again as this command ends. Start Roost (`npm start`, or `roost serve` on a server) and unlock it there (the Wallet page, or this command while it runs) so it can sign work.\n'
    : '';
}

function printStatus(ctx: WalletCliContext, s: ResultOf<'wallet.status'>): void {
  if (ctx.json) {
    ctx.out(JSON.stringify(s) + '\n');
    return;
  }
  const words: Record<string, string> = {
    none: 'No wallet yet: roost wallet create, or roost wallet import.',
    pending: 'A new wallet waits for its recovery-phrase check.',
    locked: 'Locked.',
    unlocked: 'Unlocked.',
    damaged: `The wallet file is damaged: ${s.problem?.message ?? ''}`,
  };
  ctx.out(`${s.address ? `Address: ${s.address}\n` : ''}State:   ${words[s.state] ?? s.state}\n`);
  if (s.address)
    ctx.out(
      `Signing work: ${s.workSigning ? 'yes' : 'no (unlock the wallet so Roost can sign receipts and claim jobs)'}\n`,
    );
}

/** `roost wallet …`: returns the exit code. Secrets come from prompts or stdin, never argv. */
export async function runWalletCommand(ctx: WalletCliContext): Promise<number> {
  const [action, ...rest] = ctx.positionals;
  try {
    switch (action) {
      case undefined:
      case 'status':
        printStatus(ctx, await call(ctx.client.call('wallet.status')));
        return 0;
      case 'address': {
        const s = await call(ctx.client.call('wallet.status'));
        if (!s.address)
          throw new Failed(
            'There is no wallet yet: roost wallet create, or roost wallet import.',
            'WALLET_NONE',
          );
        ctx.out(ctx.json ? JSON.stringify({ address: s.address }) + '\n' : `${s.address}\n`);
        return 0;
      }
      case 'create': {
        const words = ctx.values.words === undefined ? 12 : Number(ctx.values.words);
        if (words !== 12 && words !== 24) throw new WalletUsageError('--words takes 12 or 24.');
        const password = await newPassword(ctx);
        const created = await call(
          ctx.client.call('wallet.create', {
            password,
            wordCount: words,
            replace: Boolean(ctx.values.replace),
          }),
        );
        ctx.err(
          [
            '',
            `Your new wallet: ${created.address}`,
            '',
            'Write down these recovery words, in order, on paper. They are shown only now.',
            'Anyone with them can take your money; without them a lost password cannot be recovered.',
            '',
            created.mnemonic
              .split(' ')
              .map((w, i) => `${String(i + 1).padStart(2)}. ${w}`)
              .join('\n'),
            '',
          ].join('\n'),
        );
        const given = [];
        for (const position of created.positions) {
          given.push({ position, word: (await ctx.ask(`Word number ${position}: `, true)).trim() });
        }
        const status = await call(
          ctx.client.call('wallet.confirmCreate', { creationId: created.creationId, words: given }),
        );
        if (!ctx.json) ctx.out(`The wallet is ready and unlocked.\n${unlockLasts(ctx)}`);
        printStatus(ctx, status);
        return 0;
      }
      case 'import': {
        let params;
        if (typeof ctx.values.keystore === 'string') {
          const keystore = await readFile(ctx.values.keystore, 'utf8').catch(() => {
            throw new Failed(`Could not read ${String(ctx.values.keystore)}.`);
          });
          params = {
            kind: 'keystore' as const,
            keystore,
            password: await ctx.ask('Password of this backup: ', true),
          };
        } else if (ctx.values['private-key']) {
          const privateKey = (await ctx.ask('Private key (0x…): ', true)).trim();
          params = { kind: 'privateKey' as const, privateKey, password: await newPassword(ctx) };
        } else {
          const mnemonic = (await ctx.ask('Recovery words, separated by spaces: ', true)).trim();
          params = { kind: 'mnemonic' as const, mnemonic, password: await newPassword(ctx) };
        }
        const status = await call(
          ctx.client.call('wallet.import', { ...params, replace: Boolean(ctx.values.replace) }),
        );
        if (!ctx.json) ctx.out(`Imported; the wallet is unlocked.\n${unlockLasts(ctx)}`);
        printStatus(ctx, status);
        return 0;
      }
      case 'unlock':
        printStatus(
          ctx,
          await call(
            ctx.client.call('wallet.unlock', {
              password: await ctx.ask('Wallet password: ', true),
            }),
          ),
        );
        if (!ctx.json) ctx.out(unlockLasts(ctx));
        return 0;
      case 'lock':
        printStatus(ctx, await call(ctx.client.call('wallet.lock', {})));
        return 0;
      case 'balance': {
        const b = await call(ctx.client.call('wallet.balance'));
        if (ctx.json) ctx.out(JSON.stringify(b) + '\n');
        else {
          // What the tokens are worth needs the token value the user set (pricing).
          const { pricing } = await call(ctx.client.call('settings.get'));
          ctx.out(
            [
              `Wallet ${b.address} on ${b.network.name} (block ${b.blockNumber}): ${networkTokensWords(b.network, pricing, 'cli')}`,
              `  ${rounded(b.token).padEnd(24)} in the wallet`,
              `  ${rounded(b.withdrawable).padEnd(24)} earned, waiting in the market (roost wallet withdraw)`,
              `  ${rounded(b.native).padEnd(24)} for transaction fees`,
            ].join('\n') + '\n',
          );
        }
        return 0;
      }
      case 'withdraw':
      case 'send': {
        let prepared;
        if (action === 'withdraw') {
          if (rest.length > 0)
            throw new WalletUsageError(
              `Unexpected "${rest.join(' ')}": the amount goes in --amount <n>.`,
            );
          prepared = await call(
            ctx.client.call(
              'wallet.prepareWithdraw',
              typeof ctx.values.amount === 'string' ? { amount: ctx.values.amount } : {},
            ),
          );
        } else {
          const [to, amount, ...extra] = rest;
          if (!to || !amount || extra.length > 0)
            throw new WalletUsageError(
              extra.length > 0
                ? `Unexpected "${extra.join(' ')}": roost wallet send takes an address and an amount.`
                : 'Say where to and how much: roost wallet send <address> <amount|all>.',
            );
          prepared = await call(
            ctx.client.call('wallet.prepareSend', {
              to,
              amount,
              asset: ctx.values.native ? 'native' : 'token',
            }),
          );
        }
        if (!ctx.json) ctx.err(summary(prepared) + '\n');
        if (!ctx.values.yes) {
          if (!(await answeredYes(ctx.ask, 'Send this?'))) {
            if (ctx.json)
              ctx.out(
                JSON.stringify({
                  ok: false,
                  error: { code: 'CANCELLED', message: 'Nothing was sent.' },
                }) + '\n',
              );
            ctx.err('Nothing was sent.\n');
            return 1;
          }
        }
        const status = await call(ctx.client.call('wallet.status'));
        const password =
          status.state === 'unlocked' ? undefined : await ctx.ask('Wallet password: ', true);
        const sent = await call(
          ctx.client.call('wallet.confirm', {
            id: prepared.id,
            wait: true,
            ...(password ? { password } : {}),
          }),
        );
        ctx.out(ctx.json ? JSON.stringify(sent) + '\n' : `${sentWords(sent)}\n`);
        return sent.status === 'failed' ? 1 : 0;
      }
      case 'history': {
        const limit = ctx.values.limit === undefined ? undefined : Number(ctx.values.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
          throw new WalletUsageError('--limit takes a whole number above 0.');
        const h = await call(
          ctx.client.call('wallet.history', limit === undefined ? {} : { limit }),
        );
        if (ctx.json) ctx.out(JSON.stringify(h) + '\n');
        else if (h.entries.length === 0) ctx.out('No payments yet.\n');
        else {
          const lines = h.entries.map((e) => ({ e, ...historyLine(e) }));
          const width = Math.max(...lines.map((l) => l.what.length));
          for (const { e, sign, what, after } of lines) {
            ctx.out(
              `${e.at ?? '?'}  ${what.padEnd(width)} ${sign}${rounded(e.amount).padEnd(22)} ${e.txHash}${after ? `  ${after}` : ''}\n`,
            );
          }
        }
        return 0;
      }
      case 'backup': {
        const out = ctx.values.out;
        if (typeof out !== 'string')
          throw new WalletUsageError(
            'Say where to write it: roost wallet backup --out <file.json>.',
          );
        const status = await call(ctx.client.call('wallet.status'));
        const password =
          status.state === 'unlocked' ? undefined : await ctx.ask('Wallet password: ', true);
        const backup = await call(
          ctx.client.call('wallet.exportBackup', password ? { password } : {}),
        );
        const { writeFileAtomic } = await import('../store/atomic-file.ts');
        await writeFileAtomic(out, backup.keystore, 0o600);
        ctx.out(
          `Encrypted backup of ${backup.address} written to ${out}. Keep it with your password.\n`,
        );
        return 0;
      }
      default:
        throw new WalletUsageError(
          `Unknown wallet action "${action}": use status, address, balance, history, create, import, unlock, lock, backup, withdraw or send.`,
        );
    }
  } catch (error) {
    if (error instanceof Failed) {
      return writeRefusal(ctx.out, ctx.err, ctx.json, { code: error.code, message: error.message });
    }
    throw error;
  }
}

export const walletCommand: Command = {
  usage:
    'roost wallet [status|address|balance|history [--limit <n>]]\n       roost wallet create [--words 12|24] | import [--private-key | --keystore <file>] [--replace]\n       roost wallet unlock | lock | backup --out <file.json>\n       roost wallet withdraw [--amount <n>] [--yes] | send <address> <amount|all> [--native] [--yes]',
  summary: 'Your wallet: create or import it, balances, withdraw earnings, history',
  help: [
    'Passwords and recovery words are asked for (hidden), never taken from the command line;',
    'without a terminal they are read one a line from stdin.',
    '--words 12|24        how many recovery words a new wallet gets (default 12)',
    '--private-key        import a private key instead of recovery words',
    '--keystore <file>    import an encrypted backup (roost wallet backup writes one)',
    '--replace            create or import over the wallet there is (back it up first)',
    '--amount <n>         withdraw this much (default: all that is withdrawable)',
    "--native             send the chain's own coin (for fees) instead of the token",
    '--yes                send without asking; --limit <n> shows the latest n payments',
  ].join('\n'),
  options: {
    words: { type: 'string' },
    'private-key': { type: 'boolean' },
    keystore: { type: 'string' },
    replace: { type: 'boolean' },
    amount: { type: 'string' },
    native: { type: 'boolean' },
    yes: { type: 'boolean' },
    limit: { type: 'string' },
    out: { type: 'string' },
  },
  async run(ctx) {
    return withClient(ctx, async (client) => {
      try {
        return await runWalletCommand({
          client,
          positionals: ctx.positionals,
          values: ctx.values,
          json: ctx.json,
          out: ctx.io.stdout,
          err: ctx.io.stderr,
          ask: async (question, secret) => {
            if (!ctx.io.prompt)
              throw new UsageError(
                `This needs an answer ("${question.trim()}") and there is no terminal to ask on.`,
              );
            return ctx.io.prompt(question, { secret });
          },
        });
      } catch (error) {
        if (error instanceof WalletUsageError)
          throw new UsageError(`${error.message}\nUsage: ${walletCommand.usage}`);
        throw error;
      }
    });
  },
};
