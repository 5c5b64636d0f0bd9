/**
 * `roost serve --unlock-with <file>`: unlock the wallet at start with a password kept in a file,
 * so a rig or a lab server that reboots (a power cut, an update) goes back to work without a
 * person typing the password. The file is named by `--unlock-with`, else by
 * `ROOST_WALLET_PASSWORD_FILE`, else it is systemd's credential `roost-wallet-password`
 * (`LoadCredential=` in the unit that `roost service install --unlock-with` writes).
 *
 * Nothing here stops Roost: whatever goes wrong (no file, a file others can read, a wrong
 * password, no wallet yet) is a warning in the log and in agent.status, and the wallet stays
 * locked until someone unlocks it by hand. The password is registered as a secret before
 * anything else happens, and is never part of a message.
 */
import { open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Agent } from '../agent.ts';
import { shellQuote } from '../shell-quote.ts';

/** The credential's name in `$CREDENTIALS_DIRECTORY` (systemd's `LoadCredential=<name>:<file>`). */
export const WALLET_PASSWORD_CREDENTIAL = 'roost-wallet-password';
/** The environment variable that names the file, as `--unlock-with` does. */
export const WALLET_PASSWORD_FILE_ENV = 'ROOST_WALLET_PASSWORD_FILE';
/** The code of the agent.status warning for every problem with the file. */
export const PASSWORD_FILE_WARNING = 'WALLET_PASSWORD_FILE';
/** A password file holds one password (the wallet takes up to 1024 characters), not a document. */
const MAX_FILE_BYTES = 16 * 1024;

export interface PasswordFile {
  /** Absolute path of the file. */
  file: string;
  /** Who named it: `--unlock-with`, `ROOST_WALLET_PASSWORD_FILE` or systemd's credentials. */
  from: 'flag' | 'env' | 'credential';
}

/**
 * Which password file serve should use, if any: the flag, else the environment variable, else
 * systemd's credential when it exists. Relative paths are taken from `cwd`.
 */
export function findPasswordFile(inputs: {
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  exists?: (file: string) => boolean;
}): PasswordFile | undefined {
  const cwd = inputs.cwd ?? process.cwd();
  if (inputs.flag) return { file: resolve(cwd, inputs.flag), from: 'flag' };
  const named = inputs.env[WALLET_PASSWORD_FILE_ENV];
  if (named) return { file: resolve(cwd, named), from: 'env' };
  const credentials = inputs.env.CREDENTIALS_DIRECTORY;
  if (credentials && isAbsolute(credentials)) {
    const file = join(credentials, WALLET_PASSWORD_CREDENTIAL);
    if ((inputs.exists ?? existsSync)(file)) return { file, from: 'credential' };
  }
  return undefined;
}

/** Where the file came from, as the warnings say it. */
function named(source: PasswordFile): string {
  switch (source.from) {
    case 'flag':
      return `${source.file} (given with --unlock-with)`;
    case 'env':
      return `${source.file} (named by ${WALLET_PASSWORD_FILE_ENV})`;
    case 'credential':
      return `${source.file} (systemd's credential ${WALLET_PASSWORD_CREDENTIAL})`;
  }
}

function inside(file: string, dir: string | undefined): boolean {
  if (!dir || !isAbsolute(dir)) return false;
  const rel = relative(resolve(dir), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

const UNTIL_THEN =
  'Until then the wallet stays locked: unlock it on the dashboard or with roost wallet unlock.';

/**
 * Reads the password from the file: refuses one that other users can read (except systemd's
 * credentials, which systemd keeps private), strips one trailing newline (`\n` or `\r\n`) and
 * nothing else. Returns the password, or what is wrong in words that say what to do.
 */
export async function readPasswordFile(
  source: PasswordFile,
  options: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): Promise<{ ok: true; password: string } | { ok: false; message: string }> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const where = named(source);
  const quoted = shellQuote(source.file);
  let handle;
  try {
    handle = await open(source.file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return {
        ok: false,
        message: `Roost did not unlock the wallet: there is no file ${where}. Write the wallet password in it, make it private (chmod 600 ${quoted}) and restart Roost. ${UNTIL_THEN}`,
      };
    if (code === 'EACCES' || code === 'EPERM')
      return {
        ok: false,
        message: `Roost did not unlock the wallet: it may not read ${where}. Make the file belong to the user that runs Roost, readable by that user only (chmod 600 ${quoted}), and restart Roost. ${UNTIL_THEN}`,
      };
    return {
      ok: false,
      message: `Roost did not unlock the wallet: it could not open ${where} (${(error as Error).message}). Check the file and restart Roost. ${UNTIL_THEN}`,
    };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      return {
        ok: false,
        message: `Roost did not unlock the wallet: ${where} is not a file. Name the file that holds the wallet password and restart Roost. ${UNTIL_THEN}`,
      };
    // systemd makes its credentials private to the service's user (mode 0400 or an ACL); a file
    // anywhere else must be the owner's alone, or every local user can read the password.
    const systemdKeepsIt =
      source.from === 'credential' || inside(source.file, env.CREDENTIALS_DIRECTORY);
    if (platform !== 'win32' && !systemdKeepsIt && (info.mode & 0o077) !== 0)
      return {
        ok: false,
        message: `Roost did not use the password in ${where}: other users of this computer can read that file. Make it readable by you only, then restart Roost: chmod 600 ${quoted}. ${UNTIL_THEN}`,
      };
    if (info.size > MAX_FILE_BYTES)
      return {
        ok: false,
        message: `Roost did not unlock the wallet: ${where} is ${info.size} bytes, too big for a password file. Write only the wallet password in it, on one line, and restart Roost. ${UNTIL_THEN}`,
      };
    const text = (await handle.readFile()).toString('utf8');
    const password = text.endsWith('\r\n')
      ? text.slice(0, -2)
      : text.endsWith('\n')
        ? text.slice(0, -1)
        : text;
    if (password.length === 0)
      return {
        ok: false,
        message: `Roost did not unlock the wallet: ${where} is empty. Write the wallet password in it, on one line, and restart Roost. ${UNTIL_THEN}`,
      };
    return { ok: true, password };
  } catch (error) {
    return {
      ok: false,
      message: `Roost did not unlock the wallet: it could not read ${where} (${(error as Error).message}). Check the file and restart Roost. ${UNTIL_THEN}`,
    };
  } finally {
    await handle.close();
  }
}

/** What of the agent unlocking at start needs: its router, its warnings, its log, its secrets. */
export type UnlockingAgent = Pick<Agent, 'router' | 'warn' | 'log' | 'addSecret'>;

/**
 * Unlocks the wallet with the password in the file, through `wallet.unlock` as the dashboard
 * does. Says once in the log that it did, or warns (log and agent.status) why it did not.
 * Never throws; returns whether the wallet was unlocked.
 */
export async function unlockWithPasswordFile(
  agent: UnlockingAgent,
  source: PasswordFile,
  options: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): Promise<boolean> {
  const log = agent.log.child('wallet');
  const problem = (message: string): false => {
    log.warn(message);
    agent.warn(PASSWORD_FILE_WARNING, message);
    return false;
  };
  const read = await readPasswordFile(source, options);
  if (!read.ok) return problem(read.message);
  agent.addSecret(read.password);
  const where = named(source);
  const result = await agent.router.call('wallet.unlock', { password: read.password });
  if (result.ok) {
    log.info(`the wallet was unlocked with the password in ${source.file}`);
    return true;
  }
  switch (result.error.code) {
    case 'WALLET_WRONG_PASSWORD':
      return problem(
        `The password in ${where} does not open the wallet (was the password changed?). Write the wallet's current password in the file and restart Roost. ${UNTIL_THEN}`,
      );
    case 'WALLET_NONE':
      return problem(
        `There is no wallet in this data folder yet, so the password in ${where} was not used. Create or import one with that password (Wallet page, or roost wallet create / roost wallet import): Roost unlocks it with the file at its next start.`,
      );
    default:
      return problem(
        `Roost could not unlock the wallet with the password in ${where}: ${result.error.message} ${UNTIL_THEN}`,
      );
  }
}
