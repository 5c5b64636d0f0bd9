/**
 * What every `roost` command shares: the exit codes, the terminal it talks to, the shape of a
 * command, and the helpers that reach the agent (`withClient`) and print its answers (`print`).
 * agent/cli.ts parses the command line and dispatches to the commands in this folder.
 */
import type { Result } from '../api/contract.ts';
import { findRunningApp, socketFetch } from '../api/command-channel.ts';
import { findRunningServer, httpClient, type ApiClient } from '../api/node-client.ts';
import { createAgent } from '../agent.ts';
import type { LogEntry } from '../log.ts';
import { holderWords, readLiveHolder, type LockHolder } from '../store/instance-lock.ts';

/** Exit codes: 0 done, 1 the command failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user asks a long-running command (serve) to stop. */
  untilStopped?: () => Promise<string>;
  /** Asks a question (hidden input for secrets); absent: questions fail with a usage error. */
  prompt?: (question: string, options: { secret: boolean }) => Promise<string>;
}

/** The command line is wrong: runCli prints the message and exits 2 (EXIT_USAGE). */
export class UsageError extends Error {}

export interface Command {
  usage: string;
  summary: string;
  /** More for `roost <command> --help`, after the usage (formats, where they are described). */
  help?: string;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  run(ctx: Context): Promise<number>;
}

/** One parsed command line, as a command's `run` gets it. */
export interface Context {
  io: CliIo;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  json: boolean;
  dataDir: string;
}

/** `client.via` when no Roost runs for the data folder and the command runs an agent itself. */
export const OWN_AGENT = 'this process';
/** `client.via` when the command goes through the desktop app's command channel. */
export const DESKTOP_APP = 'the desktop app';

/**
 * Why a command can't start an agent of its own: the desktop app or a `roost serve` still
 * starting holds the data folder (and does not answer commands yet).
 */
export function heldMessage(holder: LockHolder): string {
  return holder.host === 'electron'
    ? `${holderWords(holder)} holds this data folder but does not answer commands: it is starting (run the command again in a moment), or it could not open its command channel (its log says why; quit it and run the command again).`
    : `${holderWords(holder)} is starting with this data folder: run the command again in a moment.`;
}

/**
 * What holds a data folder, looked up once: a running `roost serve` (its serve.json), else the
 * desktop app answering commands (its app.json), else a Roost that holds the folder but does not
 * answer (still starting, or an app without its command channel), else nothing.
 */
export type FoundRoost =
  | { kind: 'serve'; server: NonNullable<Awaited<ReturnType<typeof findRunningServer>>> }
  | { kind: 'app'; app: NonNullable<Awaited<ReturnType<typeof findRunningApp>>> }
  | { kind: 'held'; holder: LockHolder }
  | { kind: 'none' };

/** Reads each of serve.json, app.json and the lock at most once, in that order. */
export async function findRoost(dataDir: string): Promise<FoundRoost> {
  const server = await findRunningServer(dataDir);
  if (server) return { kind: 'serve', server };
  const app = await findRunningApp(dataDir);
  if (app) return { kind: 'app', app };
  const holder = await readLiveHolder(dataDir);
  return holder ? { kind: 'held', holder } : { kind: 'none' };
}

/**
 * Uses the running Roost of this data folder if there is one (`roost serve` over HTTP, the
 * desktop app through its command channel); refuses while one is still starting; else runs an
 * agent in this process, whose warnings and errors go to stderr, except those `said` says the
 * command reports itself (a job's failure, which `roost job run` ends with).
 */
export async function withClient(
  ctx: Context,
  use: (client: ApiClient) => Promise<number>,
  said: (entry: LogEntry) => boolean = () => false,
): Promise<number> {
  return withFoundClient(ctx, await findRoost(ctx.dataDir), use, said);
}

/** A client of the running Roost found (`roost serve` over HTTP, the app's channel), or null. */
export function runningClient(found: FoundRoost): ApiClient | null {
  if (found.kind === 'serve')
    return httpClient(`http://127.0.0.1:${found.server.port}`, found.server.token);
  if (found.kind === 'app')
    return httpClient(
      'http://localhost',
      found.app.token,
      socketFetch(found.app.socket),
      DESKTOP_APP,
    );
  return null;
}

/** As withClient, for a command that has looked the folder up already (`roost status`). */
export async function withFoundClient(
  ctx: Context,
  found: FoundRoost,
  use: (client: ApiClient) => Promise<number>,
  said: (entry: LogEntry) => boolean = () => false,
): Promise<number> {
  const running = runningClient(found);
  if (running) return use(running);
  if (found.kind === 'held')
    return writeRefusal(ctx.io.stdout, ctx.io.stderr, ctx.json, {
      code: 'ROOST_RUNNING',
      message: heldMessage(found.holder),
    });
  const agent = await createAgent({
    dataDir: ctx.dataDir,
    host: 'cli',
    logSink: (entry) => {
      if ((entry.level === 'warn' || entry.level === 'error') && !said(entry))
        ctx.io.stderr(`${entry.level}: ${entry.message}\n`);
    },
  });
  try {
    return await use({
      via: OWN_AGENT,
      inProcess: true,
      events: agent.events,
      callRaw: (method, params) => agent.router.call(method, params),
      call: (method, params) => agent.router.call(method, params ?? {}) as never,
    });
  } finally {
    await agent.close();
  }
}

/** Prints a result (JSON with --json, else `human`); a failure goes to stderr and exits 1. */
export function print<T>(ctx: Context, result: Result<T>, human: (value: T) => string): number {
  if (result.ok) {
    ctx.io.stdout((ctx.json ? JSON.stringify(result.value) : human(result.value)) + '\n');
    return EXIT_OK;
  }
  return writeRefusal(ctx.io.stdout, ctx.io.stderr, ctx.json, result.error);
}

/**
 * A refusal as every command writes it: `Error: …` on stderr and, with --json, the
 * `{ ok: false, error }` on stdout too, so scripts always get JSON. Returns exit code 1.
 */
export function writeRefusal(
  out: (text: string) => void,
  err: (text: string) => void,
  json: boolean,
  error: { code: string; message: string },
): number {
  if (json) out(JSON.stringify({ ok: false, error }) + '\n');
  err(`Error: ${error.message}\n`);
  return EXIT_FAILURE;
}

/** Refuses words that a command takes none of (`roost status now`), naming them. */
export function noArguments(ctx: Context, usage: string): void {
  if (ctx.positionals.length > 0)
    throw new UsageError(`Unexpected "${ctx.positionals.join(' ')}".\nUsage: ${usage}`);
}

/** `--port` of serve and devnet: a whole number from 0 (any free port) to 65535. */
export function parsePort(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535 (got "${String(value)}").`);
  }
  return port;
}

/**
 * Sends; where the agent answers that the wallet is locked and `ask` can reach a terminal, asks
 * its password once, unlocks and sends again (a one-shot agent locks again when the command ends).
 */
export async function unlockingIfLocked<T>(
  client: ApiClient,
  ask: ((question: string, secret: boolean) => Promise<string>) | undefined,
  send: () => Promise<Result<T>>,
): Promise<Result<T>> {
  const r = await send();
  if (r.ok || r.error.code !== 'WALLET_LOCKED' || !ask) return r;
  const password = await ask('Wallet password: ', true);
  const unlocked = await client.call('wallet.unlock', { password });
  return unlocked.ok ? send() : unlocked;
}
