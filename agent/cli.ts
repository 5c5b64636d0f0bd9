/**
 * The `roost` command line (bin/roost.js runs it): parses the arguments and the options every
 * command takes, then runs the command from its module in agent/cli/ (one module per command
 * group; what they share, such as withClient and print, is in agent/cli/common.ts).
 */
import { parseArgs } from 'node:util';
import { resolveDataDir } from './store/data-dir.ts';
import { ROOST_VERSION } from './version.ts';
import {
  UsageError,
  EXIT_OK,
  EXIT_USAGE,
  EXIT_FAILURE,
  type CliIo,
  type Command,
  type Context,
} from './cli/common.ts';
import { versionCommand, statusCommand } from './cli/status.ts';
import { detectCommand, gpuCommand } from './cli/hardware.ts';
import { devnetCommand } from './cli/devnet.ts';
import { walletCommand } from './cli/wallet.ts';
import { benchCommand } from './cli/bench.ts';
import { reportCommand } from './cli/report.ts';
import { jobCommand } from './cli/job.ts';
import { marketCommand } from './cli/market.ts';
import { earningsCommand } from './cli/earnings.ts';
import { workCommand } from './cli/work.ts';
import { supportCommand } from './cli/support.ts';
import { serveCommand } from './cli/serve.ts';
import { serviceCommand } from './cli/service.ts';
import { settingsCommand } from './cli/settings.ts';
import { apiCommand } from './cli/api.ts';

export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, type CliIo } from './cli/common.ts';

const globalOptions = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Every command by name, in the order `roost --help` lists them. */
export const commands: Record<string, Command> = {
  version: versionCommand,
  status: statusCommand,
  detect: detectCommand,
  gpu: gpuCommand,
  devnet: devnetCommand,
  wallet: walletCommand,
  bench: benchCommand,
  report: reportCommand,
  job: jobCommand,
  market: marketCommand,
  earnings: earningsCommand,
  work: workCommand,
  support: supportCommand,
  serve: serveCommand,
  service: serviceCommand,
  settings: settingsCommand,
  api: apiCommand,
};

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

/**
 * Node's parseArgs complaint in our words: "--csv needs a value." rather than "Option '--csv
 * <value>' argument missing", and a negative number (read as an option) told how to pass it.
 */
export function argsProblem(message: string): string {
  const missing = /^Option '(-[^ ']+)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value.`;
  // `--until --json`, `--finished-before -5d`: the word after the flag starts with "-".
  const dashed = /^Option '(-[^ ']+)' argument is ambiguous/.exec(message);
  if (dashed)
    return `${dashed[1]} needs a value, and the word after it starts with "-". A value that starts with "-" is written ${dashed[1]}=<value>.`;
  const extra = /^Option '(-[^ ']+)' does not take an argument/.exec(message);
  if (extra) return `${extra[1]} takes no value.`;
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    const option = unknown[1]!;
    return /^-\d/.test(option)
      ? `Unknown option '${option}'. A value that starts with "-" goes after --, e.g. -- ${option}.`
      : `Unknown option '${option}'.`;
  }
  return message;
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
      throw new UsageError(`${argsProblem((error as Error).message)}\nUsage: ${command.usage}`);
    }
    if (parsed.values.help) {
      io.stdout(
        `${command.summary}.\n\nUsage: ${command.usage}\n${command.help ? `\n${command.help}\n` : ''}`,
      );
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
    // Every error line starts "Error:", as print() writes the agent's refusals.
    if (error instanceof UsageError) {
      if (json)
        io.stdout(
          JSON.stringify({ ok: false, error: { code: 'USAGE', message: error.message } }) + '\n',
        );
      io.stderr(`Error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`Error: ${message}\n`);
    return EXIT_FAILURE;
  }
}
