/**
 * Start at login (Settings → General → `general.startAtLogin`), applied when the app starts and
 * whenever the setting changes. Roost then starts with `--hidden`: in the tray, without a window.
 *
 * - Windows and macOS: `app.setLoginItemSettings` (the Run key; a macOS login item).
 * - Linux: Electron has no login items there, so an XDG autostart entry,
 *   `$XDG_CONFIG_HOME/autostart/roost.desktop`, starting the AppImage (`$APPIMAGE`) or the
 *   installed binary.
 * - Run from a checkout (not packaged) nothing is registered: it would start a bare Electron.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const HIDDEN_FLAG = '--hidden';
export const AUTOSTART_FILE = 'roost.desktop';

export interface LoginItemDeps {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  /** `app.setLoginItemSettings` */
  setLoginItemSettings: (settings: { openAtLogin: boolean; args?: string[] }) => void;
  /** The binary to start: `process.execPath`, or `$APPIMAGE` for an AppImage. */
  executable: string;
  /** Linux: `$XDG_CONFIG_HOME/autostart` (default `~/.config/autostart`). */
  autostartDir: string;
  fs?: {
    mkdir: (dir: string) => Promise<unknown>;
    writeFile: (file: string, text: string) => Promise<void>;
    rm: (file: string) => Promise<void>;
  };
}

/** Quotes one argument of a desktop entry's Exec key (freedesktop Desktop Entry spec). */
export function quoteExecArg(arg: string): string {
  if (!/[\s"'\\`$<>|&;()*?#~=%]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Roost',
    'Comment=Earn with your GPU while you are away',
    `Exec=${quoteExecArg(executable)} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Applies the setting; returns what was done, for the log. */
export async function applyStartAtLogin(enabled: boolean, deps: LoginItemDeps): Promise<string> {
  if (!deps.isPackaged)
    return 'start at login applies to the installed app only (this is a development run)';
  if (deps.platform === 'linux') {
    const fs = deps.fs ?? {
      mkdir: (dir: string) => mkdir(dir, { recursive: true }),
      writeFile: (file: string, text: string) => writeFile(file, text, { mode: 0o644 }),
      rm: (file: string) => rm(file, { force: true }),
    };
    const file = join(deps.autostartDir, AUTOSTART_FILE);
    if (enabled) {
      await fs.mkdir(deps.autostartDir);
      await fs.writeFile(file, autostartEntry(deps.executable));
      return `Roost starts at login (${file})`;
    }
    await fs.rm(file);
    return 'Roost no longer starts at login';
  }
  // Windows matches the entry by path and args: the same args turn it off again.
  deps.setLoginItemSettings({
    openAtLogin: enabled,
    ...(deps.platform === 'win32' ? { args: [HIDDEN_FLAG] } : {}),
  });
  return enabled ? 'Roost starts at login' : 'Roost no longer starts at login';
}

/** True when this start came from the login item: open no window, only the tray. */
export function startedHidden(argv: readonly string[], wasOpenedAtLogin: boolean): boolean {
  return argv.includes(HIDDEN_FLAG) || wasOpenedAtLogin;
}
