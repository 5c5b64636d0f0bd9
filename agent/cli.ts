import { parseArgs } from 'node:util';
import { join, resolve as resolvePath } from 'node:path';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  isMethodName,
  methods,
  settingsSections,
  type Result,
  type Settings,
  type SettingsSection,
  formatTimeWindows,
  parseTimeWindows,
} from './api/contract.ts';
import { findRunningServer, httpClient, type ApiClient } from './api/node-client.ts';
import { createAgent } from './agent.ts';
import { createHardwareService, formatDetectTable } from './hardware/index.ts';
import { silentHardwareLog } from './hardware/log.ts';
import { removeLocalNetwork, writeLocalNetwork } from './market/local-network.ts';
import { runWalletCommand, WalletUsageError } from './cli-wallet.ts';
import { MarketUsageError, runMarketCommand } from './cli-market.ts';
import { MARKET_POST_USAGE, MarketPostUsageError, marketPostOptions } from './cli-market-post.ts';
import {
  MARKET_AWAIT_USAGE,
  MARKET_REQUESTS_USAGE,
  isRequesterCommand,
  requesterUsage,
  runRequesterCommand,
} from './cli-market-requests.ts';
import { formatLogLine } from './log.ts';
import { resolveDataDir } from './store/data-dir.ts';
import { serve, ServeError } from './serve.ts';
import { ROOST_VERSION } from './version.ts';

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

class UsageError extends Error {}

interface Command {
  usage: string;
  summary: string;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  run(ctx: Context): Promise<number>;
}

interface Context {
  io: CliIo;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  json: boolean;
  dataDir: string;
}

const globalOptions = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const commands: Record<string, Command> = {
  version: {
    usage: 'roost version [--json]',
    summary: 'Print the versions of Roost, its API, Node and the platform',
    async run(ctx) {
      return withClient(ctx, async (client) => {
        const result = await client.call('agent.version');
        return print(ctx, result, (v) =>
          [
            `Roost ${v.roost}`,
            `API contract ${v.contract}`,
            `Node ${v.node}`,
            `${v.platform} ${v.arch}`,
          ].join('\n'),
        );
      });
    },
  },
  status: {
    usage: 'roost status [--json]',
    summary: "Show the agent's state, data folder and warnings",
    async run(ctx) {
      return withClient(ctx, async (client) => {
        const result = await client.call('agent.status');
        return print(ctx, result, (s) => {
          const lines = [
            `Roost is ${s.state} (${s.host}, via ${client.via})`,
            `Data folder: ${s.dataDir}`,
          ];
          for (const w of s.warnings) lines.push(`Warning: ${w.message}`);
          return lines.join('\n');
        });
      });
    },
  },
  detect: {
    usage: 'roost detect [--refresh] [--force-probe] [--json]',
    summary: 'List every GPU, its VRAM and driver, and which accelerators really work on it',
    options: { refresh: { type: 'boolean' }, 'force-probe': { type: 'boolean' } },
    async run(ctx) {
      return withClient(ctx, async (client) => {
        const result = await client.call('hardware.detect', {
          ...(ctx.values.refresh ? { refresh: true } : {}),
          ...(ctx.values['force-probe'] ? { force: true } : {}),
        });
        return print(ctx, result, (report) => formatDetectTable(report).trimEnd());
      });
    },
  },
  gpu: {
    usage: 'roost gpu install-cuda [--json]',
    summary: "Install onnxruntime's CUDA 12 libraries, for NVIDIA GPUs",
    async run(ctx) {
      const [action, ...rest] = ctx.positionals;
      if (action !== 'install-cuda' || rest.length > 0) {
        throw new UsageError(
          action === undefined
            ? 'Say what to do: roost gpu install-cuda'
            : `Unknown gpu action "${action}": use install-cuda.`,
        );
      }
      // The libraries go into this installation's onnxruntime-node, whoever serves the API.
      const hardware = createHardwareService({ log: silentHardwareLog });
      const result = await hardware.installCuda((p) => {
        if (!ctx.json) ctx.io.stderr(`[${p.phase}] ${p.message}\n`);
      });
      if (ctx.json) ctx.io.stdout(JSON.stringify(result) + '\n');
      if (result.ok) {
        if (!ctx.json)
          ctx.io.stdout(
            `${result.message}\nRun roost detect --force-probe to see CUDA in the accelerators.\n`,
          );
        return EXIT_OK;
      }
      const unchanged =
        result.unchanged && !/nothing was changed/i.test(result.message)
          ? ' Nothing was changed.'
          : '';
      ctx.io.stderr(`Error: ${result.message}${unchanged}\n`);
      return EXIT_FAILURE;
    },
  },
  devnet: {
    usage: 'roost devnet [--port <n>] [--json]',
    summary: 'Run a local practice chain with the Roost market and test dollars, on 127.0.0.1',
    options: { port: { type: 'string' } },
    async run(ctx) {
      const port = parsePort(ctx.values.port);
      const { startDevnet, devnetDeployment } = await import('../contracts/devnet.ts');
      if (!ctx.json) ctx.io.stderr('Starting a local chain and deploying the market…\n');
      let devnet;
      try {
        devnet = await startDevnet({ ...(port === undefined ? {} : { port }) });
      } catch (error) {
        ctx.io.stderr(`roost devnet: the local chain did not start: ${(error as Error).message}\n`);
        return EXIT_FAILURE;
      }
      const file = await writeLocalNetwork(ctx.dataDir, devnetDeployment(devnet));
      if (ctx.json) {
        ctx.io.stdout(
          JSON.stringify({
            rpcUrl: devnet.rpcUrl,
            chainId: devnet.chainId,
            marketAddress: devnet.marketAddress,
            tokenAddress: devnet.tokenAddress,
            accounts: devnet.accounts,
            deployment: file,
          }) + '\n',
        );
      } else {
        ctx.io.stdout(
          [
            'The local Roost market is running.',
            '',
            `  RPC URL:      ${devnet.rpcUrl}   (chain id ${devnet.chainId})`,
            `  JobMarket:    ${devnet.marketAddress}`,
            `  Test dollar:  ${devnet.tokenAddress}   (Roost Test Dollar, rUSD: a test token with a faucet)`,
            `  Accounts:     ${devnet.accounts.length} unlocked test accounts holding test dollars; ${devnet.admin} is the admin`,
            `  Deployment:   ${file}`,
            '',
            'This chain lives in memory: stopping it (Ctrl+C) forgets every job and payment on it.',
            '',
          ].join('\n'),
        );
      }
      const reason = ctx.io.untilStopped ? await ctx.io.untilStopped() : 'done';
      if (!ctx.json) ctx.io.stderr(`${reason} received: stopping the local chain…\n`);
      await devnet.stop();
      await removeLocalNetwork(ctx.dataDir);
      if (!ctx.json) ctx.io.stdout('Local chain stopped.\n');
      return EXIT_OK;
    },
  },
  wallet: {
    usage:
      'roost wallet [status|address|balance|history [--limit <n>]]\n       roost wallet create [--words 12|24] | import [--private-key | --keystore <file>] [--replace]\n       roost wallet unlock | lock | backup --out <file.json>\n       roost wallet withdraw [--amount <n>] [--yes] | send <address> <amount|all> [--native] [--yes]',
    summary: 'Your wallet: create or import it, balances, withdraw earnings, history',
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
            throw new UsageError(`${error.message}\nUsage: ${commands.wallet!.usage}`);
          throw error;
        }
      });
    },
  },
  bench: {
    usage:
      'roost bench [--preset quick|standard|precise] [--ep <ep>] [--device <id>] [--out <report.json>] [--html <file>] [--pdf <file>] [--json]\n       roost bench --list',
    summary: 'Measure this machine with the standard benchmark roost-std/1; saves a signed report',
    options: {
      preset: { type: 'string' },
      ep: { type: 'string' },
      device: { type: 'string' },
      out: { type: 'string' },
      html: { type: 'string' },
      pdf: { type: 'string' },
      list: { type: 'boolean' },
    },
    async run(ctx) {
      return runBenchCommand(ctx);
    },
  },
  report: {
    usage:
      'roost report verify <report.json>\n       roost report export <report.json> (--html <file> | --pdf <file> | --json-out <file>)',
    summary: 'Check a benchmark report (schema, suite, signature), or export it as HTML or PDF',
    options: { html: { type: 'string' }, pdf: { type: 'string' }, 'json-out': { type: 'string' } },
    async run(ctx) {
      const [action, file, ...rest] = ctx.positionals;
      if (!file || rest.length > 0 || (action !== 'verify' && action !== 'export')) {
        throw new UsageError(`Usage: ${commands.report!.usage}`);
      }
      const path = resolvePath(file);
      return withClient(ctx, async (client) => {
        if (action === 'verify') {
          const r = await client.call('bench.verify', { file: path });
          if (!r.ok) return print(ctx, r, () => '');
          const v = r.value;
          if (ctx.json) ctx.io.stdout(JSON.stringify(v) + '\n');
          if (v.ok) {
            if (!ctx.json) {
              ctx.io.stdout(
                `Valid: signed by ${v.signer}; suite ${v.suiteId}; composite ${v.composite === null ? 'none' : v.composite.toPrecision(4)}${v.complete ? '' : ' (incomplete run)'}.\n`,
              );
            }
            return EXIT_OK;
          }
          ctx.io.stderr(
            `Not valid (${v.failed} check failed): ${v.message}${v.issues ? `\n  ${v.issues.join('\n  ')}` : ''}\n`,
          );
          return EXIT_FAILURE;
        }
        const targets = (
          [
            ['html', ctx.values.html],
            ['pdf', ctx.values.pdf],
            ['json', ctx.values['json-out']],
          ] as const
        ).filter(([, out]) => typeof out === 'string');
        if (targets.length === 0)
          throw new UsageError(
            'Say what to export: --html <file>, --pdf <file> or --json-out <file>.',
          );
        for (const [format, out] of targets) {
          const r = await client.call('bench.export', {
            file: path,
            format,
            out: resolvePath(out as string),
          });
          if (!r.ok) return print(ctx, r, () => '');
          if (!ctx.json)
            ctx.io.stdout(
              `Wrote ${r.value.file} (${format.toUpperCase()}, ${Math.ceil(r.value.bytes / 1024)} KiB).\n`,
            );
        }
        return EXIT_OK;
      });
    },
  },
  job: {
    usage:
      'roost job run --model <m.onnx> --input <name>=<x.npy> ... [--out <dir>] [--ep webgpu,cpu] [--max-seconds <n>] [--json]\n       roost job submit <spec.json> | list | show <id> | cancel <id>',
    summary: 'Run ONNX models on your own GPUs: private jobs with .npy inputs and outputs',
    options: {
      model: { type: 'string' },
      input: { type: 'string', multiple: true },
      out: { type: 'string' },
      ep: { type: 'string' },
      'max-seconds': { type: 'string' },
      name: { type: 'string' },
    },
    async run(ctx) {
      return runJobCommand(ctx);
    },
  },
  market: {
    usage:
      'roost market status | jobs [--limit <n>] | job <id> | register | provider status\n       ' +
      `${MARKET_POST_USAGE}\n       ${MARKET_REQUESTS_USAGE}\n       ${MARKET_AWAIT_USAGE}`,
    summary:
      'The job market: your provider status, the jobs you took or skipped and why; post jobs and follow them',
    options: {
      limit: { type: 'string' },
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
          });
        } catch (error) {
          if (error instanceof MarketUsageError)
            throw new UsageError(`${error.message}\nUsage: ${commands.market!.usage}`);
          throw error;
        }
      });
    },
  },
  earnings: {
    usage: 'roost earnings [--csv <file.csv>] [--json]',
    summary: 'What your GPU earns per hour and per day, net of electricity; your payouts as CSV',
    options: { csv: { type: 'string' } },
    async run(ctx) {
      if (ctx.positionals.length > 0) throw new UsageError(`Usage: ${commands.earnings!.usage}`);
      return withClient(ctx, async (client) => {
        if (typeof ctx.values.csv === 'string') {
          const r = await client.call('yield.payoutsCsv');
          if (!r.ok) return print(ctx, r, () => '');
          const { writeFileAtomic } = await import('./store/atomic-file.ts');
          const out = resolvePath(ctx.values.csv);
          await writeFileAtomic(out, r.value.csv, 0o600);
          return print(
            ctx,
            { ok: true, value: { file: out, rows: r.value.rows } },
            (v) => `Wrote ${v.rows} payouts to ${v.file}.`,
          );
        }
        const r = await client.call('yield.estimate');
        return print(ctx, r, (v) =>
          v.missing
            ? v.missing
            : v.estimates
                .map(
                  (e) =>
                    `${e.gpuId}: earns ${e.earnedPerHour} ${e.token}/h (${e.earnedPerHourInCurrency} ${e.currency}); electricity ${e.electricityPerHour} ${e.currency}/h; net ${e.netPerHour} ${e.currency}/h, ${e.netPerDay} ${e.currency}/day${e.profitable ? '' : ' — not profitable at this price'}\n  ${e.explanation}`,
                )
                .join('\n'),
        );
      });
    },
  },
  work: {
    usage:
      'roost work status [--json]\n       roost work pause|start [--gpu <id>] [--until <time>] [--release]\n       roost work auto [--gpu <id>]',
    summary:
      'See what each GPU is doing and why; pause or start work by hand, or hand it back to the policy',
    options: { gpu: { type: 'string' }, until: { type: 'string' }, release: { type: 'boolean' } },
    async run(ctx) {
      const [action, ...rest] = ctx.positionals;
      if (rest.length > 0)
        throw new UsageError(`Unexpected "${rest.join(' ')}". Usage: ${commands.work!.usage}`);
      const gpuId = typeof ctx.values.gpu === 'string' ? ctx.values.gpu : null;
      let until: string | null = null;
      if (typeof ctx.values.until === 'string') {
        const at = parseUntil(ctx.values.until);
        if (!at)
          throw new UsageError(
            `--until takes a time such as 18:30, 2h, 45m or 2026-12-01T08:00 (got "${ctx.values.until}").`,
          );
        until = at.toISOString();
      }
      return withClient(ctx, async (client) => {
        let result;
        if (action === undefined || action === 'status')
          result = await client.call('schedule.status');
        else if (action === 'pause' || action === 'start') {
          result = await client.call('schedule.hold', {
            gpuId,
            action,
            until,
            leaseAction: ctx.values.release ? 'release' : 'finish-lease',
          });
        } else if (action === 'auto') result = await client.call('schedule.clearHold', { gpuId });
        else
          throw new UsageError(
            `Unknown work action "${action}": use status, pause, start or auto.`,
          );
        return print(ctx, result, (v) =>
          v.decisions.length === 0
            ? 'No GPU to schedule (roost detect shows why).'
            : v.decisions
                .map(
                  (d) =>
                    `${d.gpuId}  ${d.state.padEnd(8)} ${d.reason}${d.until ? ` (until ${new Date(d.until).toLocaleString()})` : ''}`,
                )
                .join('\n'),
        );
      });
    },
  },
  support: {
    usage: 'roost support bundle [--out <file.zip>] [--json]',
    summary: 'Write a zip of logs, redacted settings, reports and probe results for support staff',
    options: { out: { type: 'string' } },
    async run(ctx) {
      const [action, ...rest] = ctx.positionals;
      if (action !== 'bundle' || rest.length > 0)
        throw new UsageError('Usage: roost support bundle [--out <file.zip>]');
      const out = typeof ctx.values.out === 'string' ? resolvePath(ctx.values.out) : undefined;
      return withClient(ctx, async (client) => {
        const result = await client.call(
          'diagnostics.supportBundle',
          out === undefined ? {} : { out },
        );
        return print(ctx, result, (b) =>
          [
            `Support bundle written: ${b.path} (${Math.ceil(b.bytes / 1024)} KiB, ${b.entries.length} files).`,
            'Secrets (keys, mnemonics, passwords, tokens) were scrubbed; the API token, signing key and keystore are never included.',
            ...b.skipped.map((s) => `Left out ${s.source}: ${s.why}`),
          ].join('\n'),
        );
      });
    },
  },
  serve: {
    usage:
      'roost serve [--port <n>] [--rpc <url> --market <address>] [--no-devnet] [--data-dir <dir>] [--json]',
    summary: 'Run the agent headless with the dashboard on http://127.0.0.1 (for rigs and servers)',
    options: {
      port: { type: 'string' },
      rpc: { type: 'string' },
      market: { type: 'string' },
      'no-devnet': { type: 'boolean' },
    },
    async run(ctx) {
      const port = parsePort(ctx.values.port);
      const rpc = ctx.values.rpc;
      const market = ctx.values.market;
      if ((typeof rpc === 'string') !== (typeof market === 'string')) {
        throw new UsageError(
          "--rpc and --market go together: the chain's JSON-RPC URL and the JobMarket contract address on it.",
        );
      }
      let serving;
      try {
        serving = await serve({
          dataDir: ctx.dataDir,
          port,
          ...(typeof rpc === 'string' && typeof market === 'string'
            ? { network: { rpcUrl: rpc, marketAddress: market } }
            : {}),
          logSink: (entry) => ctx.io.stderr(formatLogLine(entry) + '\n'),
          ...(ctx.values['no-devnet'] === true ? { embeddedDevnet: false } : {}),
        });
      } catch (error) {
        if (error instanceof ServeError) {
          ctx.io.stderr(`roost serve: ${error.message}\n`);
          return EXIT_FAILURE;
        }
        throw error;
      }
      const { server } = serving;
      if (ctx.json) {
        ctx.io.stdout(
          JSON.stringify({
            url: server.url,
            port: server.port,
            dataDir: ctx.dataDir,
            pid: process.pid,
          }) + '\n',
        );
      } else {
        ctx.io.stdout(
          [
            `Roost ${ROOST_VERSION} is running headless.`,
            '',
            `  Dashboard:   ${server.url}`,
            `  Data folder: ${ctx.dataDir}`,
            '',
            'Open the dashboard link in a browser on this machine (it carries your access token).',
            'Press Ctrl+C to stop.',
            '',
          ].join('\n'),
        );
      }
      const reason = ctx.io.untilStopped ? await ctx.io.untilStopped() : 'done';
      serving.agent.log.info(`${reason} received`);
      await serving.stop();
      if (!ctx.json) ctx.io.stdout('Roost stopped.\n');
      return EXIT_OK;
    },
  },
  settings: {
    usage: 'roost settings get [<key>] [--json]\n       roost settings set <key> <value> [--json]',
    summary: 'Read or change settings (keys like work.idleMinutes)',
    async run(ctx) {
      const [action, key, value, ...rest] = ctx.positionals;
      if (action === 'get') {
        if (value !== undefined) throw new UsageError('roost settings get takes at most one key.');
        const field = key === undefined ? undefined : settingKey(key);
        return withClient(ctx, async (client) => {
          const result = await client.call('settings.get');
          if (!result.ok) return print(ctx, result, () => '');
          if (field) {
            const v = (result.value[field.section] as Record<string, unknown>)[field.name];
            if (ctx.json) ctx.io.stdout(JSON.stringify(v) + '\n');
            else ctx.io.stdout(`${showSetting(field.section, field.name, v)}\n`);
            return EXIT_OK;
          }
          return print(ctx, result, formatSettings);
        });
      }
      if (action === 'set') {
        if (key === undefined || value === undefined || rest.length > 0) {
          throw new UsageError(
            'Usage: roost settings set <key> <value>   e.g. roost settings set work.idleMinutes 15',
          );
        }
        const field = settingKey(key);
        const parsedValue = parseSettingValue(field.section, field.name, value);
        return withClient(ctx, async (client) => {
          const result = await client.call('settings.update', {
            [field.section]: { [field.name]: parsedValue },
          });
          return print(ctx, result, (s) => {
            const v = (s[field.section] as Record<string, unknown>)[field.name];
            return `${key} = ${showSetting(field.section, field.name, v)}`;
          });
        });
      }
      throw new UsageError(
        action === undefined
          ? 'Say what to do: roost settings get, or roost settings set <key> <value>.'
          : `Unknown settings action "${action}": use get or set.`,
      );
    },
  },
  api: {
    usage: "roost api <method> ['<json params>'] [--json]\n       roost api --list",
    summary: 'Call any API method directly (for scripts); --list shows them',
    options: { list: { type: 'boolean' } },
    async run(ctx) {
      if (ctx.values.list) {
        if (ctx.json) ctx.io.stdout(JSON.stringify(Object.keys(methods)) + '\n');
        else
          for (const [name, spec] of Object.entries(methods))
            ctx.io.stdout(`${name.padEnd(18)} ${spec.summary}\n`);
        return EXIT_OK;
      }
      const [method, paramsText, ...rest] = ctx.positionals;
      if (!method || rest.length > 0)
        throw new UsageError(
          "Usage: roost api <method> ['<json params>']   (roost api --list shows the methods)",
        );
      if (!isMethodName(method))
        throw new UsageError(`There is no method "${method}". roost api --list shows the methods.`);
      let params: unknown = {};
      if (paramsText !== undefined) {
        try {
          params = JSON.parse(paramsText);
        } catch (error) {
          throw new UsageError(
            `The params must be JSON, e.g. '{"work":{"idleMinutes":15}}' (${(error as Error).message}).`,
          );
        }
      }
      return withClient(ctx, async (client) => {
        const result = await client.callRaw(method, params);
        return print(ctx, result, (v) => JSON.stringify(v, null, 2));
      });
    },
  },
};

/** `18:30` (today, or tomorrow if past), `2h`, `45m`, or an ISO date-time. */
export function parseUntil(text: string, now = new Date()): Date | undefined {
  const rel = /^(\d+)\s*(m|min|h)$/i.exec(text.trim());
  if (rel)
    return new Date(now.getTime() + Number(rel[1]) * (/^h$/i.test(rel[2]!) ? 3_600_000 : 60_000));
  const clock = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (clock) {
    const at = new Date(now);
    at.setHours(Number(clock[1]), Number(clock[2]), 0, 0);
    if (at <= now) at.setDate(at.getDate() + 1);
    return at;
  }
  const iso = new Date(text);
  return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(iso.getTime()) && iso > now
    ? iso
    : undefined;
}

function parsePort(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535 (got "${String(value)}").`);
  }
  return port;
}

function showSetting(section: string, name: string, value: unknown): string {
  if (value === null) return 'none';
  if (section === 'work' && name === 'windows') {
    const text = formatTimeWindows(value as Parameters<typeof formatTimeWindows>[0]);
    return text === '' ? 'any time' : text;
  }
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ');
  return String(value);
}

function formatSettings(s: Settings): string {
  const rows: string[] = [];
  for (const [section, schema] of Object.entries(settingsSections)) {
    for (const [name, field] of Object.entries(schema.shape)) {
      const value = (s[section as SettingsSection] as Record<string, unknown>)[name];
      const shown = showSetting(section, name, value);
      rows.push(
        `${`${section}.${name}`.padEnd(30)} ${shown.padEnd(12)} ${(field as z.ZodType).description ?? ''}`.trimEnd(),
      );
    }
  }
  return rows.join('\n');
}

function allKeys(): string[] {
  return Object.entries(settingsSections).flatMap(([section, schema]) =>
    Object.keys(schema.shape).map((name) => `${section}.${name}`),
  );
}

function settingKey(key: string): { section: SettingsSection; name: string } {
  const [section, name, extra] = key.split('.');
  if (
    extra === undefined &&
    section !== undefined &&
    name !== undefined &&
    Object.hasOwn(settingsSections, section) &&
    Object.hasOwn(settingsSections[section as SettingsSection].shape, name)
  ) {
    return { section: section as SettingsSection, name };
  }
  throw new UsageError(`There is no setting "${key}". Settings are:\n  ${allKeys().join('\n  ')}`);
}

/** Turns the text of `roost settings set` into the type the setting holds; the agent validates the rest. */
export function parseSettingValue(section: SettingsSection, name: string, text: string): unknown {
  let field = (settingsSections[section].shape as Record<string, z.ZodType>)[name]!;
  if (field instanceof z.ZodNullable) {
    if (/^(none|null|)$/i.test(text)) return null;
    field = field.unwrap() as z.ZodType;
  }
  if (field instanceof z.ZodArray) {
    if (section === 'work' && name === 'windows') {
      const parsed = parseTimeWindows(text);
      if (!parsed.ok) throw new UsageError(`work.windows: ${parsed.error}.`);
      return parsed.value;
    }
    // Lists of names: comma-separated, `none` for an empty list.
    return /^none$/i.test(text.trim())
      ? []
      : text
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '');
  }
  if (field instanceof z.ZodNumber) {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`${section}.${name} takes a number (got "${text}").`);
    return n;
  }
  if (field instanceof z.ZodBoolean) {
    if (/^(true|yes|on|1)$/i.test(text)) return true;
    if (/^(false|no|off|0)$/i.test(text)) return false;
    throw new UsageError(`${section}.${name} takes true or false (got "${text}").`);
  }
  return text;
}

async function runBenchCommand(ctx: Context): Promise<number> {
  const v = ctx.values;
  if (ctx.positionals.length > 0) throw new UsageError(`Usage: ${commands.bench!.usage}`);
  return withClient(ctx, async (client) => {
    if (v.list) {
      const r = await client.call('bench.targets');
      return print(ctx, r, ({ targets }) =>
        targets
          .map((t) => `--ep ${t.ep}${t.device ? ` --device ${t.device}` : ''}   ${t.label}`)
          .join('\n'),
      );
    }
    const params: Record<string, string> = {};
    for (const key of ['preset', 'ep', 'device'] as const)
      if (typeof v[key] === 'string') params[key] = v[key];
    const tty = process.stderr.isTTY && !ctx.json;
    let lastLine = '';
    const stop = client.events?.subscribe((e) => {
      if (e.event !== 'bench.progress' || ctx.json) return;
      const p = e.payload;
      if (tty) {
        const width = 24;
        const filled = Math.round(p.fraction * width);
        ctx.io.stderr(
          `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(p.fraction * 100)).padStart(3)}% ${p.message.slice(0, 60).padEnd(60)}`,
        );
      } else {
        const line = `[${p.phase}] ${p.message}`;
        if (line !== lastLine) ctx.io.stderr(line + '\n');
        lastLine = line;
      }
    });
    if (!client.events && !ctx.json)
      ctx.io.stderr(`Benchmarking on the running agent (${client.via})…\n`);
    let r;
    try {
      r = await client.call('bench.run', params as never);
    } finally {
      stop?.();
      if (tty) ctx.io.stderr('\n');
    }
    if (!r.ok) return print(ctx, r, () => '');
    const { report, file } = r.value;
    const rep = report.report;
    for (const [format, out] of [
      ['json', v.out],
      ['html', v.html],
      ['pdf', v.pdf],
    ] as const) {
      if (typeof out !== 'string') continue;
      const written = await client.call('bench.export', { file, format, out: resolvePath(out) });
      if (!written.ok) return print(ctx, written, () => '');
    }
    if (ctx.json) {
      ctx.io.stdout(JSON.stringify({ file, report }) + '\n');
    } else {
      const rows = rep.workloads.map(
        (w) =>
          `  ${w.title.padEnd(34)} ${w.value === null ? `does not score: ${w.reason ?? w.status}` : `${w.value.toPrecision(4)} ${w.unit}`}${w.timing ? `  (CV ${(w.timing.cv * 100).toFixed(1)} %)` : ''}`,
      );
      ctx.io.stdout(
        [
          `${rep.suite.id} on ${rep.target.ep}${rep.target.adapter ? ` (${rep.target.adapter.name}${rep.target.adapter.software ? ', a software adapter' : ''})` : ''}${rep.complete ? '' : ' (incomplete)'}`,
          ...rows,
          `  Composite: ${rep.composite.value === null ? `none (${rep.composite.missing.join(', ')} did not score)` : `${rep.composite.value.toPrecision(4)} ${rep.composite.unit}`}`,
          ...rep.warnings.map((w) => `  Warning: ${w.message}`),
          `Signed report: ${file}`,
          ...(typeof v.html === 'string' ? [`HTML: ${resolvePath(v.html)}`] : []),
          ...(typeof v.pdf === 'string' ? [`PDF: ${resolvePath(v.pdf)}`] : []),
        ].join('\n') + '\n',
      );
    }
    return rep.complete ? EXIT_OK : EXIT_FAILURE;
  });
}

const terminal = new Set(['done', 'failed', 'cancelled']);

async function runJobCommand(ctx: Context): Promise<number> {
  const [action, ...rest] = ctx.positionals;
  const v = ctx.values as Record<string, string | boolean | string[] | undefined>;
  if (action === 'run') {
    if (
      rest.length > 0 ||
      typeof v.model !== 'string' ||
      !Array.isArray(v.input) ||
      v.input.length === 0
    ) {
      throw new UsageError(
        `roost job run needs --model and at least one --input <name>=<file.npy>.\nUsage: ${commands.job!.usage}`,
      );
    }
    // A name given twice makes a batch: the n-th file of each name forms input set n.
    const sets: Record<string, string>[] = [];
    for (const pair of v.input) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1)
        throw new UsageError(`--input takes <name>=<file.npy> (got "${pair}").`);
      const name = pair.slice(0, eq);
      const file = resolvePath(pair.slice(eq + 1));
      const set = sets.find((s) => !(name in s)) ?? (sets.push({}), sets[sets.length - 1]!);
      set[name] = file;
    }
    let maxSeconds: number | undefined;
    if (typeof v['max-seconds'] === 'string') {
      maxSeconds = Number(v['max-seconds']);
      if (!Number.isInteger(maxSeconds) || maxSeconds < 1)
        throw new UsageError('--max-seconds takes a whole number of seconds.');
    }
    const request = {
      model: resolvePath(v.model),
      inputs: sets.length === 1 ? sets[0]! : sets,
      ...(typeof v.out === 'string' ? { outDir: resolvePath(v.out) } : {}),
      ...(typeof v.ep === 'string'
        ? { executionProviders: v.ep.split(',').map((e) => e.trim()) }
        : {}),
      ...(maxSeconds ? { limits: { maxSeconds } } : {}),
      ...(typeof v.name === 'string' ? { name: v.name } : {}),
    };
    return withClient(ctx, async (client) => {
      const progress = (p: {
        stage: string;
        setsDone: number;
        setsTotal: number;
        message?: string | undefined;
      }) => {
        if (!ctx.json)
          ctx.io.stderr(
            `[${p.stage}] ${p.setsDone}/${p.setsTotal} input sets${p.message ? `: ${p.message}` : ''}\n`,
          );
      };
      let detail;
      if (client.events) {
        // Here: run it now, following its progress events.
        let last = '';
        const stop = client.events.subscribe((e) => {
          if (e.event !== 'job.progress') return;
          const key = `${e.payload.progress.stage}:${e.payload.progress.setsDone}`;
          if (key !== last) progress(e.payload.progress);
          last = key;
        });
        try {
          detail = await client.call('job.run', request as never);
        } finally {
          stop();
        }
      } else {
        // Through the running roost serve: queue it there and follow it.
        const queued = await client.call('job.add', request as never);
        if (!queued.ok) return print(ctx, queued, () => '');
        let last = '';
        for (;;) {
          detail = await client.call('job.show', { id: queued.value.id });
          if (!detail.ok) break;
          const key = `${detail.value.progress.stage}:${detail.value.progress.setsDone}`;
          if (key !== last) progress(detail.value.progress);
          last = key;
          if (terminal.has(detail.value.state)) break;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      if (!detail.ok) return print(ctx, detail, () => '');
      const job = detail.value;
      if (ctx.json) ctx.io.stdout(JSON.stringify(job) + '\n');
      if (job.state === 'done') {
        if (!ctx.json) {
          ctx.io.stdout(
            [
              `Job ${job.id} done on ${job.executionProvider ?? 'unknown provider'}.`,
              `Outputs: ${job.exportedTo ?? join(job.jobDir, 'out')}`,
              ...(job.result?.receipt.outputs ?? []).map(
                (o) => `  ${o.name}: ${o.file} (${o.dtype} ${JSON.stringify(o.shape)})`,
              ),
              `Signed result: ${join(job.exportedTo ?? join(job.jobDir, 'out'), 'result.json')}`,
            ].join('\n') + '\n',
          );
        }
        return EXIT_OK;
      }
      ctx.io.stderr(`Job ${job.id} ${job.state}: ${job.error?.message ?? 'no reason given'}\n`);
      return EXIT_FAILURE;
    });
  }
  if (action === 'submit') {
    const [file, ...extra] = rest;
    if (!file || extra.length > 0) throw new UsageError('Usage: roost job submit <spec.json>');
    let spec: unknown;
    try {
      spec = JSON.parse(await readFile(resolvePath(file), 'utf8'));
    } catch (error) {
      ctx.io.stderr(`Error: could not read the job spec ${file}: ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
    return withClient(ctx, async (client) => {
      const r = await client.call('job.submit', spec as never);
      return print(ctx, r, (j) =>
        client.events
          ? `Job ${j.id} queued. It runs while Roost runs (roost serve, or the desktop app).`
          : `Job ${j.id} queued; follow it with: roost job show ${j.id}`,
      );
    });
  }
  if (action === 'list' || action === undefined) {
    return withClient(ctx, async (client) => {
      const r = await client.call('job.list', {});
      return print(ctx, r, ({ jobs }) =>
        jobs.length === 0
          ? 'No jobs yet. Run one with: roost job run --model <m.onnx> --input <name>=<x.npy>'
          : jobs
              .map(
                (j) =>
                  `${j.id}  ${j.state.padEnd(9)} ${j.origin.padEnd(8)} ${j.progress.setsDone}/${j.progress.setsTotal}  ${j.name ?? ''}${j.error ? `  ${j.error.message}` : ''}`,
              )
              .join('\n'),
      );
    });
  }
  if (action === 'show' || action === 'cancel') {
    const [id, ...extra] = rest;
    if (!id || extra.length > 0) throw new UsageError(`Usage: roost job ${action} <id>`);
    return withClient(ctx, async (client) => {
      if (action === 'cancel')
        return print(
          ctx,
          await client.call('job.cancel', { id }),
          (j) => `Job ${j.id}: ${j.state}.`,
        );
      return print(ctx, await client.call('job.show', { id }), (j) =>
        [
          `Job ${j.id} (${j.origin}${j.name ? `, ${j.name}` : ''}): ${j.state}`,
          `Progress: ${j.progress.stage}, ${j.progress.setsDone}/${j.progress.setsTotal} input sets`,
          ...(j.executionProvider ? [`Ran on: ${j.executionProvider}`] : []),
          ...(j.error ? [`Error: ${j.error.message}`] : []),
          `Folder: ${j.jobDir}`,
        ].join('\n'),
      );
    });
  }
  throw new UsageError(`Unknown job action "${action}". Usage: ${commands.job!.usage}`);
}

/** Uses the running `roost serve` of this data folder if there is one, else an agent in this process. */
async function withClient(
  ctx: Context,
  use: (client: ApiClient) => Promise<number>,
): Promise<number> {
  const running = await findRunningServer(ctx.dataDir);
  if (running) return use(httpClient(`http://127.0.0.1:${running.port}`, running.token));
  const agent = await createAgent({
    dataDir: ctx.dataDir,
    host: 'cli',
    logSink: (entry) => {
      if (entry.level === 'warn' || entry.level === 'error')
        ctx.io.stderr(`${entry.level}: ${entry.message}\n`);
    },
  });
  try {
    return await use({
      via: 'this process',
      events: agent.events,
      callRaw: (method, params) => agent.router.call(method, params),
      call: (method, params) => agent.router.call(method, params ?? {}) as never,
    });
  } finally {
    await agent.close();
  }
}

function print<T>(ctx: Context, result: Result<T>, human: (value: T) => string): number {
  if (result.ok) {
    ctx.io.stdout((ctx.json ? JSON.stringify(result.value) : human(result.value)) + '\n');
    return EXIT_OK;
  }
  if (ctx.json) ctx.io.stdout(JSON.stringify(result) + '\n');
  ctx.io.stderr(`Error: ${result.error.message}\n`);
  return EXIT_FAILURE;
}

function helpText(): string {
  const lines = [
    `Roost ${ROOST_VERSION}: turn an idle GPU into income, or a lab's GPUs into a private job runner.`,
    '',
    'Usage: roost <command> [options]',
    '',
    'Commands:',
  ];
  for (const [name, command] of Object.entries(commands))
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  lines.push(
    '',
    'Options for every command:',
    '  --data-dir <dir>  where settings and data live (else $ROOST_DATA_DIR, else the OS app-data folder)',
    '  --json            machine-readable output',
    '  -h, --help        help for a command: roost <command> --help',
    '',
    'Exit codes: 0 done, 1 failed, 2 wrong command line.',
  );
  return lines.join('\n') + '\n';
}

/** Runs the `roost` command line; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const name = argv[0];
  const json = argv.includes('--json');
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(helpText());
      return EXIT_OK;
    }
    if (name === '--version' || name === '-v') {
      io.stdout(`${ROOST_VERSION}\n`);
      return EXIT_OK;
    }
    const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!command)
      throw new UsageError(`Unknown command "${name}". Run roost --help to see the commands.`);
    let parsed;
    try {
      parsed = parseArgs({
        args: argv.slice(1),
        options: { ...globalOptions, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError(
        `${(error as Error).message.replace(/\. To specify a positional.*$/s, '.')}\nUsage: ${command.usage}`,
      );
    }
    if (parsed.values.help) {
      io.stdout(`${command.summary}.\n\nUsage: ${command.usage}\n`);
      return EXIT_OK;
    }
    const dataDirFlag = parsed.values['data-dir'];
    if (dataDirFlag !== undefined && typeof dataDirFlag === 'string' && dataDirFlag.trim() === '') {
      throw new UsageError('--data-dir needs a folder.');
    }
    const dataDir = resolveDataDir({
      flag: typeof dataDirFlag === 'string' ? dataDirFlag : undefined,
      env: io.env,
    });
    return await command.run({
      io,
      positionals: parsed.positionals,
      values: parsed.values as Context['values'],
      json: Boolean(parsed.values.json),
      dataDir,
    });
  } catch (error) {
    if (error instanceof UsageError) {
      if (json)
        io.stdout(
          JSON.stringify({ ok: false, error: { code: 'USAGE', message: error.message } }) + '\n',
        );
      io.stderr(`roost: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`roost: ${message}\n`);
    return EXIT_FAILURE;
  }
}
