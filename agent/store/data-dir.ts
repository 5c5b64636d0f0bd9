import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdir, stat } from 'node:fs/promises';

export interface DataDirInputs {
  /** `--data-dir` from the command line. */
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * Where Roost keeps its settings, journal, keystore and reports: `--data-dir`, else
 * `ROOST_DATA_DIR`, else the OS's app-data folder (the same folder Electron's userData uses, so
 * the desktop app and `roost serve` share one).
 */
export function resolveDataDir(inputs: DataDirInputs = {}): string {
  const env = inputs.env ?? process.env;
  if (inputs.flag) return resolve(inputs.flag);
  if (env.ROOST_DATA_DIR) return resolve(env.ROOST_DATA_DIR);
  const home = inputs.home ?? homedir();
  switch (inputs.platform ?? process.platform) {
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Roost');
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Roost');
    default:
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'Roost');
  }
}

/** Creates the data folder (owner-only when Roost creates it; a folder the user chose is left as is). */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Where a data folder the user chose (or made before) lets other users of this computer in, what
 * to tell its owner: the folder holds private jobs' inputs and outputs, reports and logs (the
 * secrets in it are owner-only files whatever the folder). Roost does not change a folder it did
 * not make; it says how. Undefined where the folder is private, not the user's own, or on Windows
 * (ACLs, not modes).
 */
export async function openFolderWarning(
  dir: string,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  if (platform === 'win32') return undefined;
  const info = await stat(dir).catch(() => undefined);
  const uid = process.getuid?.();
  if (!info || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) === 0)
    return undefined;
  const who =
    (info.mode & 0o007) !== 0 ? 'every user of this computer' : 'other users in its group';
  return `Roost's data folder ${dir} can be opened by ${who}: your jobs' inputs and outputs, benchmark reports and logs are in it (your keys are not readable by others). To keep it private, run: chmod 700 '${dir}'`;
}
