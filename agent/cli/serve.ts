/** `roost serve`: the agent headless, with the dashboard on 127.0.0.1, until stopped. */
import { formatLogLine } from '../log.ts';
import { serve, ServeError } from '../serve.ts';
import { ROOST_VERSION } from '../version.ts';
import {
  WALLET_PASSWORD_CREDENTIAL,
  WALLET_PASSWORD_FILE_ENV,
  findPasswordFile,
} from '../wallet/password-file.ts';
import {
  EXIT_FAILURE,
  EXIT_OK,
  UsageError,
  noArguments,
  parsePort,
  type Command,
} from './common.ts';

export const serveCommand: Command = {
  usage:
    'roost serve [--port <n>] [--rpc <url> --market <address>] [--no-devnet] [--unlock-with <file>] [--verbose] [--data-dir <dir>] [--json]',
  summary: 'Run the agent headless with the dashboard on http://127.0.0.1 (for rigs and servers)',
  help: [
    '--port <n>        the port on 127.0.0.1 (else the server.port setting, 7787; 0: any free one)',
    '--rpc <url> --market <address>',
    "                  work on a custom chain: its JSON-RPC URL and the JobMarket contract's address",
    '--no-devnet       on the local network, do not start the built-in practice chain',
    '--unlock-with <file>',
    '                  unlock the wallet at start with the password in this file (one line; only',
    '                  you may read it: chmod 600 <file>), for a rig or server that runs unattended.',
    `                  ${WALLET_PASSWORD_FILE_ENV}=<file> does the same; under systemd, so does the`,
    `                  credential ${WALLET_PASSWORD_CREDENTIAL} (LoadCredential=, see roost service).`,
    '                  A problem with the file is a warning: Roost runs with the wallet locked.',
    '--verbose         also print debug lines',
    '--json            print the dashboard URL, port, process id and password file as one JSON line',
  ].join('\n'),
  options: {
    port: { type: 'string' },
    rpc: { type: 'string' },
    market: { type: 'string' },
    'no-devnet': { type: 'boolean' },
    'unlock-with': { type: 'string' },
    verbose: { type: 'boolean' },
  },
  async run(ctx) {
    noArguments(ctx, serveCommand.usage);
    const port = parsePort(ctx.values.port);
    const rpc = ctx.values.rpc;
    const market = ctx.values.market;
    if ((typeof rpc === 'string') !== (typeof market === 'string')) {
      throw new UsageError(
        "--rpc and --market go together: the chain's JSON-RPC URL and the JobMarket contract address on it.",
      );
    }
    const unlockFlag = ctx.values['unlock-with'];
    if (typeof unlockFlag === 'string' && unlockFlag.trim() === '')
      throw new UsageError('--unlock-with needs a file: the one that holds the wallet password.');
    const unlockWith = findPasswordFile({
      flag: typeof unlockFlag === 'string' ? unlockFlag : undefined,
      env: ctx.io.env,
    });
    let serving;
    try {
      serving = await serve({
        dataDir: ctx.dataDir,
        port,
        ...(typeof rpc === 'string' && typeof market === 'string'
          ? { network: { rpcUrl: rpc, marketAddress: market } }
          : {}),
        // Debug lines (a state logged again on every poll, say) only with --verbose: the
        // terminal of a rig should show what happened, as the Dashboard's Activity does.
        logSink: (entry) => {
          if (entry.level !== 'debug' || ctx.values.verbose === true)
            ctx.io.stderr(formatLogLine(entry) + '\n');
        },
        ...(ctx.values['no-devnet'] === true ? { embeddedDevnet: false } : {}),
        ...(unlockWith ? { unlockWith } : {}),
      });
    } catch (error) {
      if (error instanceof ServeError) {
        ctx.io.stderr(`Error: ${error.message}\n`);
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
          walletUnlockedWith: serving.unlockedWith ?? null,
        }) + '\n',
      );
    } else {
      ctx.io.stdout(
        [
          `Roost ${ROOST_VERSION} is running headless.`,
          '',
          `  Dashboard:   ${server.url}`,
          `  Data folder: ${ctx.dataDir}`,
          ...(serving.unlockedWith
            ? [`  Wallet:      unlocked with the password in ${serving.unlockedWith}`]
            : []),
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
};
