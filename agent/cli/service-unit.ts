/**
 * The systemd user unit that `roost service install` writes: pure text in, text out, so every
 * rule of systemd's unit syntax that a path can trip over is tested here (spaces, quotes, `%`,
 * `$`, backslashes) without a systemd to run it.
 *
 * Syntax followed (systemd.service(5), systemd.unit(5), systemd.exec(5)):
 * - `ExecStart=` splits on whitespace; an argument in double quotes keeps its spaces, and in it
 *   `\\` and `\"` stand for a backslash and a quote (C-style escapes). `%` starts a specifier
 *   everywhere in the line (`%%` is one `%`), and `$` an environment variable in the arguments
 *   (`$$` is one `$`), not in the program's path, which may hold no quote or backslash at all
 *   (systemd 252 refuses it: "Executable name contains special characters").
 * - `LoadCredential=ID:PATH` takes the path as it stands, quotes and all (no unquoting), with
 *   specifiers expanded: only `%` needs escaping, and the line's ends are trimmed.
 */
import { isAbsolute, join } from 'node:path';
import { WALLET_PASSWORD_CREDENTIAL } from '../wallet/password-file.ts';

/** The unit's file name, in the user's unit folder. */
export const UNIT_NAME = 'roost.service';
/** The first line of every unit Roost writes: how `install` and `uninstall` know it is ours. */
export const UNIT_MARKER =
  '# Written by `roost service install`; `roost service uninstall` removes it.';
/**
 * The oldest systemd known to hand `LoadCredential=` to a user service (252, Debian 12,
 * RHEL 9; older ones did not in some releases). On an older one the unit passes
 * `--unlock-with <file>` instead, which reads the same private file.
 */
export const CREDENTIALS_SINCE_SYSTEMD = 252;

export interface UnitOptions {
  /** The Node that runs Roost (the project's pinned Node 24). */
  node: string;
  /** This Roost's `bin/roost.js`. */
  roostBin: string;
  /** The data folder `roost serve` works in (absolute). */
  dataDir: string;
  port?: number | undefined;
  /**
   * The wallet password file: handed over by systemd as a credential (`credential`), or named
   * on the command line (`flag`) where systemd is too old for credentials in user services.
   */
  unlockWith?: { file: string; via: 'credential' | 'flag' } | undefined;
}

/** A path that no unit line can carry as it is (a line break in it, say). */
export class UnitPathError extends Error {}

function checkPath(path: string, what: string): void {
  if (!isAbsolute(path)) throw new UnitPathError(`${what} must be a full path (got ${path}).`);
  if ([...path].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new UnitPathError(
      `${what} ${JSON.stringify(path)} has a line break or another control character, which a systemd unit can't carry: rename it or choose another.`,
    );
}

/**
 * The program of `ExecStart=`, in double quotes. systemd substitutes no variables in it (a `$`
 * stays as it is) and refuses one with a quote or a backslash in its name.
 */
export function execProgram(path: string): string {
  if (/["'\\]/.test(path))
    throw new UnitPathError(
      `systemd can't start a program whose path has a quote or a backslash in it (${path}): move Roost to a folder without them and run the command again.`,
    );
  return `"${path.replace(/%/g, '%%')}"`;
}

/** One argument of `ExecStart=`, in double quotes, escaped as systemd reads it back. */
export function execArgument(value: string): string {
  const escaped = value.replace(/[\\"%$]/g, (c) =>
    c === '%' ? '%%' : c === '$' ? '$$' : `\\${c}`,
  );
  return `"${escaped}"`;
}

/** The path of `LoadCredential=`: taken as it stands, so only `%` (a specifier) is escaped. */
export function credentialPath(path: string): string {
  if (/[\s\\]$/.test(path))
    throw new UnitPathError(
      `The password file ${JSON.stringify(path)} ends with a space or a backslash, which systemd would cut off: rename it.`,
    );
  return path.replace(/%/g, '%%');
}

/** The unit's text, as `roost service install` writes it. Throws UnitPathError on a path it can't carry. */
export function unitText(options: UnitOptions): string {
  checkPath(options.node, 'Node');
  checkPath(options.roostBin, 'Roost');
  checkPath(options.dataDir, 'The data folder');
  const args = [
    execProgram(options.node),
    execArgument(options.roostBin),
    'serve',
    '--data-dir',
    execArgument(options.dataDir),
  ];
  if (options.port !== undefined) args.push('--port', String(options.port));
  const unlock = options.unlockWith;
  if (unlock) {
    checkPath(unlock.file, 'The password file');
    if (unlock.via === 'flag') args.push('--unlock-with', execArgument(unlock.file));
  }
  return [
    UNIT_MARKER,
    '# It runs `roost serve` at boot (with lingering on: loginctl enable-linger) and again after a crash.',
    '[Unit]',
    'Description=Roost, the GPU provider agent (roost serve)',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${args.join(' ')}`,
    ...(unlock?.via === 'credential'
      ? [`LoadCredential=${WALLET_PASSWORD_CREDENTIAL}:${credentialPath(unlock.file)}`]
      : []),
    'Restart=on-failure',
    'RestartSec=10',
    // A wrong command line (exit 2) does not mend itself: no restarts every 10 s for ever.
    'RestartPreventExitStatus=2',
    // SIGTERM to roost serve alone: it stops its job workers and the built-in chain itself
    // (jobs in flight are recorded and resumed at the next start) and exits within 15 s;
    // anything left after that is killed.
    'KillSignal=SIGTERM',
    'KillMode=mixed',
    'TimeoutStopSec=60',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** The user's unit folder: `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`. */
export function userUnitDir(env: NodeJS.ProcessEnv, home: string): string {
  const config =
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : join(home, '.config');
  return join(config, 'systemd', 'user');
}

/** The settings of a unit, `Section.Key` → values in order; comments and blank lines left out. */
function settings(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      section = line.replace(/^\[|\]$/g, '');
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${eq < 0 ? line : line.slice(0, eq).trim()}`;
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    found.set(key, [...(found.get(key) ?? []), value]);
  }
  return found;
}

/** One setting that differs: its value in the installed unit and in Roost's (null: not set). */
export interface UnitDifference {
  setting: string;
  installed: string | null;
  wanted: string | null;
}

export interface UnitComparison {
  /** Written by `roost service install` (it starts with UNIT_MARKER). */
  ours: boolean;
  /** The settings that differ; empty when they are the same (comments aside). */
  differences: UnitDifference[];
}

/** How an installed unit differs from the one Roost would write now. */
export function compareUnits(installed: string, wanted: string): UnitComparison {
  const ours = installed.split('\n', 1)[0]?.trim() === UNIT_MARKER;
  const have = settings(installed);
  const want = settings(wanted);
  const differences: UnitDifference[] = [];
  for (const key of new Set([...want.keys(), ...have.keys()])) {
    const a = have.get(key)?.join(' | ') ?? null;
    const b = want.get(key)?.join(' | ') ?? null;
    if (a !== b)
      differences.push({ setting: key.slice(key.indexOf('.') + 1), installed: a, wanted: b });
  }
  return { ours, differences };
}

/**
 * The differences in words, a few lines each, for a refusal: what is installed against what this
 * command would write (both are Roost's when it wrote the installed one).
 */
export function differenceLines(differences: UnitDifference[]): string[] {
  return differences.flatMap((d) => [
    `  ${d.setting}=`,
    `    installed:     ${d.installed ?? '(not set)'}`,
    `    this command:  ${d.wanted ?? '(not set)'}`,
  ]);
}

/** The version in `systemctl --version` ("systemd 252 (252.38-1~deb12u1)"); undefined if none. */
export function systemdVersion(output: string): number | undefined {
  const match = /^systemd (\d+)\b/m.exec(output);
  return match ? Number(match[1]) : undefined;
}
