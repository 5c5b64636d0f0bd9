import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';

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
