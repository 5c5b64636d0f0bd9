/**
 * `roost service install|uninstall|status`: run `roost serve` as the user's systemd service
 * (Linux), so a rig or a lab server starts Roost at boot and again after a crash. The unit's
 * text comes from service-unit.ts; every `systemctl --user` call goes through an injected
 * runner, so the tests run it all without a systemd.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { holderWords, readLiveHolder } from '../store/instance-lock.ts';
import { keystorePath } from '../wallet/keystore.ts';
import { shellQuote } from '../shell-quote.ts';
import { WALLET_PASSWORD_CREDENTIAL } from '../wallet/password-file.ts';
import {
  EXIT_OK,
  UsageError,
  parsePort,
  writeRefusal,
  type Command,
  type Context,
} from './common.ts';
import {
  CREDENTIALS_SINCE_SYSTEMD,
  UNIT_NAME,
  UnitPathError,
  compareUnits,
  differenceLines,
  systemdVersion,
  unitText,
  userUnitDir,
  type UnitOptions,
} from './service-unit.ts';

/** What `systemctl --user <args>` answered; `missing` when there is no systemctl to run. */
export type SystemctlResult = { code: number; stdout: string; stderr: string } | { missing: true };
/** Runs `systemctl --user` with these arguments. */
export type Systemctl = (args: string[]) => Promise<SystemctlResult>;

/** The outside world of `roost service`, injected so tests run without systemd. */
export interface ServiceDeps {
  platform: NodeJS.Platform;
  systemctl: Systemctl;
  home: string;
  /** The login name, for `loginctl enable-linger <user>`. */
  user: string;
  /** The Node that runs Roost in the unit. */
  node: string;
  /** This Roost's bin/roost.js. */
  roostBin: string;
  /** Where logind marks users whose services run without a login (a file per user). */
  lingerDir: string;
  /** Where a relative `--unlock-with` path starts. */
  cwd: string;
  /** Whether systemd runs this computer (sd_booted: /run/systemd/system exists). */
  systemdBooted: () => boolean;
}

const ROOT = new URL('../../', import.meta.url);

/** Runs the real systemctl; its absence is an answer (`missing`), not an exception. */
export const realSystemctl: Systemctl = (args) =>
  new Promise((done) => {
    execFile('systemctl', ['--user', ...args], { timeout: 90_000 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT')
        return done({ missing: true });
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

export function defaultServiceDeps(): ServiceDeps {
  // The project's pinned Node 24 (see bin/roost.js); where there is none, the Node running now.
  const pinned = fileURLToPath(new URL('node_modules/node/bin/node', ROOT));
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container's odd uid): $USER as it is
  }
  return {
    platform: process.platform,
    systemctl: realSystemctl,
    home: homedir(),
    user: user || '$USER',
    node: existsSync(pinned) ? pinned : process.execPath,
    roostBin: fileURLToPath(new URL('bin/roost.js', ROOT)),
    lingerDir: '/var/lib/systemd/linger',
    cwd: process.cwd(),
    systemdBooted: () => existsSync('/run/systemd/system'),
  };
}

const BY_HAND = ['systemctl --user daemon-reload', `systemctl --user enable --now ${UNIT_NAME}`];
const LOGS = `journalctl --user -u roost -f`;

/** Why systemctl could not do it, in words; undefined when it answered. */
function systemctlProblem(result: SystemctlResult, deps: ServiceDeps): string | undefined {
  if ('missing' in result)
    return 'systemctl is not on this computer: the service needs systemd, the service manager of most Linux systems.';
  if (result.code === 0) return undefined;
  const said = result.stderr.trim().split('\n')[0] ?? '';
  if (
    !deps.systemdBooted() ||
    /not been booted with systemd|systemd as init system/i.test(result.stderr)
  )
    return `this computer (or container) does not run systemd${said ? ` ("${said}")` : ''}, so nothing would start the service.`;
  if (/bus|DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR/.test(result.stderr))
    return `systemctl --user could not reach your own systemd ("${said}"). That happens under sudo or su, in some ssh or cron sessions, and in containers: log in as this user directly (ssh <user>@<host>) and run it there.`;
  return said !== '' ? `systemctl said: ${said}` : `systemctl failed (exit ${result.code}).`;
}

/** What systemctl printed (is-active, is-enabled), or undefined when it could not answer. */
function answer(result: SystemctlResult): string | undefined {
  if ('missing' in result) return undefined;
  const out = result.stdout.trim().split('\n')[0]?.trim() ?? '';
  return out === '' ? undefined : out;
}

function onlyFor(ctx: Context, subcommand: string, allowed: string[]): void {
  for (const option of ['unlock-with', 'port', 'force'])
    if (ctx.values[option] !== undefined && !allowed.includes(option))
      throw new UsageError(
        `--${option} goes with roost service ${option === 'force' ? 'install or uninstall' : 'install'}, not ${subcommand}.`,
      );
}

function notLinux(ctx: Context, platform: NodeJS.Platform): number {
  const message =
    platform === 'win32' || platform === 'darwin'
      ? `roost service sets Roost up as a systemd service, which only Linux has. On ${platform === 'win32' ? 'Windows' : 'macOS'}, use the desktop app's Start at login (Settings), which starts Roost when you log in.`
      : "roost service sets Roost up as a systemd service, on Linux only. Here, start roost serve from your system's own service manager.";
  return writeRefusal(ctx.io.stdout, ctx.io.stderr, ctx.json, {
    code: 'UNSUPPORTED_PLATFORM',
    message,
  });
}

function lingering(deps: ServiceDeps): boolean {
  return existsSync(join(deps.lingerDir, deps.user));
}

async function readUnit(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The password file for the unit: it must exist and be its owner's alone, as serve demands. */
async function checkPasswordFile(file: string): Promise<string | undefined> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return `There is no password file ${file}. Write the wallet password in it (one line), make it private (chmod 600 ${shellQuote(file)}) and run the command again.`;
  }
  if (!info.isFile()) return `${file} is not a file: name the file that holds the wallet password.`;
  if ((info.mode & 0o077) !== 0)
    return `Other users of this computer can read ${file}, and it holds your wallet password. Make it yours alone and run the command again: chmod 600 ${shellQuote(file)}`;
  return undefined;
}

async function install(ctx: Context, deps: ServiceDeps): Promise<number> {
  const port = parsePort(ctx.values.port);
  const unlockFlag = ctx.values['unlock-with'];
  if (typeof unlockFlag === 'string' && unlockFlag.trim() === '')
    throw new UsageError('--unlock-with needs a file: the one that holds the wallet password.');
  const refuse = (code: string, message: string) =>
    writeRefusal(ctx.io.stdout, ctx.io.stderr, ctx.json, { code, message });
  const passwordFile = typeof unlockFlag === 'string' ? resolve(deps.cwd, unlockFlag) : undefined;
  if (passwordFile !== undefined) {
    const problem = await checkPasswordFile(passwordFile);
    if (problem) return refuse('PASSWORD_FILE', problem);
  }
  // systemd hands credentials to user services since 252; an older one gets the file's name.
  const version = systemdVersion(answer(await deps.systemctl(['--version'])) ?? '');
  const via: 'credential' | 'flag' =
    version !== undefined && version < CREDENTIALS_SINCE_SYSTEMD ? 'flag' : 'credential';
  const options: UnitOptions = {
    node: deps.node,
    roostBin: deps.roostBin,
    dataDir: ctx.dataDir,
    port,
    unlockWith: passwordFile !== undefined ? { file: passwordFile, via } : undefined,
  };
  let text: string;
  try {
    text = unitText(options);
  } catch (error) {
    if (error instanceof UnitPathError) return refuse('UNIT_PATH', error.message);
    throw error;
  }
  const unit = join(userUnitDir(ctx.io.env, deps.home), UNIT_NAME);
  const installed = await readUnit(unit);
  const force = ctx.values.force === true;
  if (installed !== undefined && installed !== text && !force) {
    const { ours, differences } = compareUnits(installed, text);
    if (!ours)
      return refuse(
        'UNIT_EXISTS',
        `${unit} is there already, and Roost did not write it (it may run another program). Look at it; to replace it with Roost's, run the same command with --force, or move it away first.`,
      );
    if (differences.length > 0)
      return refuse(
        'UNIT_EXISTS',
        [
          `Roost's service is installed already, with other settings (${unit}):`,
          ...differenceLines(differences),
          'To replace it, run the same command with --force: the service restarts with the new settings.',
        ].join('\n'),
      );
  }
  // Who holds the folder now: a roost serve started by hand (or the app) keeps the service
  // from starting until it stops; say so on a first install, when it can't be the service.
  const holder = installed === undefined ? await readLiveHolder(ctx.dataDir) : undefined;
  const written = installed !== text;
  if (written) await writeFileAtomic(unit, text, 0o644);

  const steps: string[][] = [['daemon-reload']];
  // A replaced unit takes effect at a restart; try-restart leaves a stopped service stopped.
  if (installed !== undefined && written) steps.push(['try-restart', UNIT_NAME]);
  steps.push(['enable', '--now', UNIT_NAME]);
  for (const step of steps) {
    const problem = systemctlProblem(await deps.systemctl(step), deps);
    if (problem) {
      const message = [
        `Roost wrote its service to ${unit}, but could not turn it on: ${problem}`,
        deps.systemdBooted()
          ? 'Run these two commands as this user, in a login session (ssh or a terminal):'
          : 'On a computer that runs systemd, these two commands turn it on:',
        ...BY_HAND.map((c) => `  ${c}`),
      ].join('\n');
      return refuse('SYSTEMD_UNAVAILABLE', message);
    }
  }

  const linger = lingering(deps);
  const unlockWords =
    passwordFile === undefined
      ? undefined
      : via === 'credential'
        ? `The wallet is unlocked at each start with the password in ${passwordFile} (systemd hands it to Roost as the credential ${WALLET_PASSWORD_CREDENTIAL}).`
        : `The wallet is unlocked at each start with the password in ${passwordFile} (this systemd, ${version}, is too old to hand it over as a credential, so the unit names the file).`;
  if (ctx.json) {
    ctx.io.stdout(
      JSON.stringify({
        ok: true,
        unit,
        written,
        enabled: true,
        dataDir: ctx.dataDir,
        port: port ?? null,
        unlockWith: passwordFile ?? null,
        unlockVia: passwordFile === undefined ? null : via,
        linger,
      }) + '\n',
    );
    return EXIT_OK;
  }
  const lines = [
    `${written ? 'Wrote' : 'Kept'} ${unit}: Roost runs as your systemd service ${UNIT_NAME}.`,
    `It runs roost serve for the data folder ${ctx.dataDir}${port !== undefined ? ` on port ${port}` : ''}, is running now, and starts again 10 s after a crash.`,
  ];
  if (unlockWords) lines.push(unlockWords);
  if (passwordFile !== undefined && !existsSync(keystorePath(ctx.dataDir)))
    lines.push(
      `There is no wallet in ${ctx.dataDir} yet: make it with that password (roost wallet create, or the Wallet page), then restart the service (systemctl --user restart ${UNIT_NAME}) to unlock it.`,
    );
  if (holder)
    lines.push(
      `${holderWords(holder)} has this data folder now, so the service waits: stop it, and the service takes over within 10 s.`,
    );
  lines.push(
    '',
    linger
      ? `Lingering is on for ${deps.user}: Roost starts at boot, with no one logged in.`
      : `To start Roost at boot with no one logged in (and keep it running after you log out), turn on lingering once:\n  sudo loginctl enable-linger ${deps.user}`,
    '',
    `What it prints: ${LOGS}`,
    `Its log:        ${join(ctx.dataDir, 'logs', 'roost.log')}`,
    `Whether it runs: roost service status; stop and remove it: roost service uninstall`,
  );
  ctx.io.stdout(lines.join('\n') + '\n');
  return EXIT_OK;
}

async function uninstall(ctx: Context, deps: ServiceDeps): Promise<number> {
  const refuse = (code: string, message: string) =>
    writeRefusal(ctx.io.stdout, ctx.io.stderr, ctx.json, { code, message });
  const unit = join(userUnitDir(ctx.io.env, deps.home), UNIT_NAME);
  const installed = await readUnit(unit);
  if (installed === undefined) {
    if (ctx.json) ctx.io.stdout(JSON.stringify({ ok: true, unit, removed: false }) + '\n');
    else ctx.io.stdout(`Roost's service is not installed (there is no ${unit}); nothing to do.\n`);
    return EXIT_OK;
  }
  if (!compareUnits(installed, installed).ours && ctx.values.force !== true)
    return refuse(
      'UNIT_NOT_OURS',
      `${unit} was not written by Roost, so Roost leaves it alone. Look at it; to stop and remove it anyway, run roost service uninstall --force.`,
    );
  const stopped = await deps.systemctl(['disable', '--now', UNIT_NAME]);
  let note: string | undefined;
  const failed =
    !('missing' in stopped) &&
    stopped.code !== 0 &&
    !/not loaded|does not exist|not found/i.test(stopped.stderr);
  if ('missing' in stopped || (failed && !deps.systemdBooted())) {
    // No systemd: nothing ran the unit, and nothing ever will.
    note = `${'missing' in stopped ? 'systemctl is not on this computer' : 'This computer (or container) does not run systemd'}, so nothing ran the service: removing the file was all there was to do.`;
  } else if (failed && ctx.values.force === true) {
    note = `Roost could not stop or disable the service (${systemctlProblem(stopped, deps)}); it removed the file anyway, as --force asks. One that runs now stops at the next reboot, or with: systemctl --user stop ${UNIT_NAME}`;
  } else if (failed) {
    return refuse(
      'SYSTEMD_UNAVAILABLE',
      [
        `Roost could not stop its service, so it left ${unit} in place: ${systemctlProblem(stopped, deps)}`,
        'Run these as this user, in a login session (ssh or a terminal):',
        `  systemctl --user disable --now ${UNIT_NAME}`,
        '  roost service uninstall',
        'or remove the file anyway: roost service uninstall --force',
      ].join('\n'),
    );
  }
  await rm(unit, { force: true });
  if (!('missing' in stopped) && !failed) {
    const reload = systemctlProblem(await deps.systemctl(['daemon-reload']), deps);
    if (reload)
      note = `systemd could not reload its units (${reload}); it forgets the service at the next login or boot.`;
  }
  if (ctx.json) {
    ctx.io.stdout(JSON.stringify({ ok: true, unit, removed: true }) + '\n');
    return EXIT_OK;
  }
  // "Stopped" only where systemctl did stop it: without systemd nothing ran, and with --force
  // past a failure it may still run.
  const done = !('missing' in stopped) && !failed ? 'Stopped and removed' : 'Removed';
  const lines = [
    `${done} Roost's service (${unit}): Roost no longer starts at boot. Your data folder and wallet are as they were.`,
  ];
  if (note) lines.push(note);
  if (lingering(deps))
    lines.push(
      `Lingering stays on for ${deps.user} (other services may need it); sudo loginctl disable-linger ${deps.user} turns it off.`,
    );
  ctx.io.stdout(lines.join('\n') + '\n');
  return EXIT_OK;
}

/**
 * The arguments of an `ExecStart=` line as systemd hands them over: split on whitespace, quotes
 * taken off and backslash escapes read, `%%` and `$$` made one `%` and `$`. An argument that holds
 * another specifier (`%h`) or a variable (`$HOME`), which only systemd fills in, is undefined.
 */
export function execStartArguments(line: string): (string | undefined)[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === undefined && /\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === quote) quote = undefined;
    else if (quote === undefined && (c === '"' || c === "'")) {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) word = (word ?? '') + line[++i];
    else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words.map((w) =>
    w.replace(/%%/g, '').includes('%') || w.replace(/\$\$/g, '').includes('$')
      ? undefined
      : w.replace(/%%/g, '%').replace(/\$\$/g, '$'),
  );
}

/**
 * The data folder an installed unit runs Roost for: its `--data-dir`, from the user's home where
 * relative (a user service starts there). Undefined where the unit names none or systemd would
 * have to fill it in.
 */
function unitDataDir(execStart: string | undefined, home: string): string | undefined {
  const args = execStart === undefined ? [] : execStartArguments(execStart);
  let found: string | undefined;
  // As the CLI reads it: the last --data-dir counts.
  args.forEach((arg, i) => {
    if (arg === '--data-dir') found = args[i + 1];
    else if (arg?.startsWith('--data-dir=')) found = arg.slice('--data-dir='.length);
  });
  return found === undefined || found.trim() === '' ? undefined : resolve(home, found);
}

async function status(ctx: Context, deps: ServiceDeps): Promise<number> {
  const unit = join(userUnitDir(ctx.io.env, deps.home), UNIT_NAME);
  const installed = await readUnit(unit);
  const ours = installed !== undefined && compareUnits(installed, installed).ours;
  let problem: string | undefined;
  let enabled: string | undefined;
  let active: string | undefined;
  if (installed !== undefined) {
    const isEnabled = await deps.systemctl(['is-enabled', UNIT_NAME]);
    const isActive = await deps.systemctl(['is-active', UNIT_NAME]);
    enabled = answer(isEnabled);
    active = answer(isActive);
    // is-active and is-enabled exit non-zero for "inactive" and "disabled": only a missing
    // answer is a problem.
    if (enabled === undefined || active === undefined)
      problem = systemctlProblem(enabled === undefined ? isEnabled : isActive, deps);
  }
  const runs = installed
    ?.split('\n')
    .find((l) => l.startsWith('ExecStart='))
    ?.slice('ExecStart='.length);
  const dataDir = unitDataDir(runs, deps.home);
  const linger = lingering(deps);
  if (ctx.json) {
    ctx.io.stdout(
      JSON.stringify({
        unit,
        installed: installed !== undefined,
        ours,
        enabled: enabled ?? null,
        active: active ?? null,
        execStart: runs ?? null,
        dataDir: dataDir ?? null,
        linger,
        problem: problem ?? null,
      }) + '\n',
    );
    return EXIT_OK;
  }
  if (installed === undefined) {
    ctx.io.stdout(
      `Roost's service is not installed (there is no ${unit}). roost service install sets it up.\n`,
    );
    return EXIT_OK;
  }
  const lines = [
    `${UNIT_NAME}: ${unit}${ours ? '' : ' (not written by Roost)'}`,
    `Runs:            ${runs ?? '(no ExecStart= line)'}`,
  ];
  if (problem) lines.push(`Whether it runs: unknown, ${problem}`);
  else {
    lines.push(
      `Starts at boot:  ${enabled === 'enabled' ? 'yes' : 'no'} (${enabled})`,
      `Running now:     ${active === 'active' ? 'yes' : 'no'} (${active})${active === 'failed' || active === 'activating' ? `: see ${LOGS}` : ''}`,
    );
  }
  lines.push(
    linger
      ? `Lingering:       on for ${deps.user}: it starts at boot with no one logged in`
      : `Lingering:       off for ${deps.user}: it starts only once you log in (sudo loginctl enable-linger ${deps.user} changes that)`,
    `What it prints:  ${LOGS}`,
  );
  // The folder this command was given may not be the service's: say so, or "Running now" reads
  // as news of that folder's Roost.
  if (dataDir !== undefined && dataDir !== ctx.dataDir)
    lines.push(
      '',
      `The installed service runs Roost for the data folder ${dataDir}, not for ${ctx.dataDir} (the folder this command looked at).`,
    );
  ctx.io.stdout(lines.join('\n') + '\n');
  return EXIT_OK;
}

const USAGE =
  'roost service [status] | install [--unlock-with <file>] [--port <n>] [--force] | uninstall [--force] [--data-dir <dir>] [--json]';

/** `roost service`, with its outside world given (tests pass a fake systemctl and folders). */
export function createServiceCommand(overrides: Partial<ServiceDeps> = {}): Command {
  const command: Command = {
    usage: USAGE,
    summary: 'Start roost serve at boot and after a crash, as a systemd user service (Linux)',
    help: [
      'install            write ~/.config/systemd/user/roost.service (under $XDG_CONFIG_HOME if set)',
      '                   for this data folder, then enable and start it (systemctl --user)',
      '  --unlock-with <file>  unlock the wallet at each start with the password in this file',
      '                   (one line, chmod 600); systemd hands it over as a credential',
      '  --port <n>       the dashboard port (else the server.port setting)',
      '  --force          replace a roost.service that differs, or that Roost did not write',
      'uninstall          stop, disable and remove the service (the data folder stays)',
      '  --force          remove a roost.service Roost did not write, or one systemctl can not stop',
      'status             whether it is installed, starts at boot and runs now',
      '',
      'To start at boot with no one logged in: sudo loginctl enable-linger $USER.',
      `Its output: ${LOGS}. On Windows and macOS, use the desktop app's Start at login.`,
    ].join('\n'),
    options: {
      'unlock-with': { type: 'string' },
      port: { type: 'string' },
      force: { type: 'boolean' },
    },
    async run(ctx) {
      const [sub = 'status', ...rest] = ctx.positionals;
      if (rest.length > 0) throw new UsageError(`Unexpected "${rest.join(' ')}".\nUsage: ${USAGE}`);
      if (!['install', 'uninstall', 'status'].includes(sub))
        throw new UsageError(
          `roost service has no "${sub}": use install, uninstall or status.\nUsage: ${USAGE}`,
        );
      onlyFor(
        ctx,
        sub,
        sub === 'install' ? ['unlock-with', 'port', 'force'] : sub === 'uninstall' ? ['force'] : [],
      );
      const deps = { ...defaultServiceDeps(), ...overrides };
      if (deps.platform !== 'linux') return notLinux(ctx, deps.platform);
      try {
        if (sub === 'install') return await install(ctx, deps);
        if (sub === 'uninstall') return await uninstall(ctx, deps);
        return await status(ctx, deps);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
          return writeRefusal(ctx.io.stdout, ctx.io.stderr, ctx.json, {
            code: 'UNIT_UNWRITABLE',
            message: `Roost may not change the folder of your systemd units (${(error as Error).message}). Check who owns ${userUnitDir(ctx.io.env, deps.home)} and run the command again as its owner.`,
          });
        throw error;
      }
    },
  };
  return command;
}

export const serviceCommand = createServiceCommand();
