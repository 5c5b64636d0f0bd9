import { readFile, rename, stat, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import {
  defaultSettings,
  settingsPatchSchema,
  settingsSchema,
  type Settings,
  type SettingsPatch,
} from '../api/contract.ts';
import { ApiFailure, describeZodError } from '../api/errors.ts';
import type { Logger } from '../log.ts';
import { writeFileAtomic } from './atomic-file.ts';

export const SETTINGS_FILE = 'settings.json';

/** The on-disk format: `{ format, settings }`. Bump `format` and add a migration to change it. */
export const SETTINGS_FORMAT = 1;

/**
 * Numbered migrations: `migrations[n]` turns a format-n document into format n+1. They take and
 * return plain JSON (never the zod types), since they run before validation. Format 1 is the
 * first, so there are none yet; the mechanism is tested with injected ones.
 */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;
export const settingsMigrations: Record<number, Migration> = {};

export interface SettingsWarning {
  code: 'SETTINGS_CORRUPT' | 'SETTINGS_FIELDS_RESET' | 'SETTINGS_NEWER' | 'SETTINGS_UNREADABLE';
  message: string;
}

export interface SettingsStoreOptions {
  dataDir: string;
  log: Logger;
  now?: () => Date;
  migrations?: Record<number, Migration>;
  format?: number;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
function merge(base: unknown, over: unknown): unknown {
  const b = asRecord(base);
  const o = asRecord(over);
  if (!b || !o) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...b };
  for (const [key, value] of Object.entries(o)) out[key] = merge(b[key], value);
  return out;
}

function withoutPath(doc: unknown, path: readonly PropertyKey[]): void {
  let cur = asRecord(doc);
  for (let i = 0; cur && i < path.length - 1; i++) cur = asRecord(cur[path[i] as string]);
  const last = path[path.length - 1];
  if (cur && last !== undefined) delete cur[last as string];
}

/**
 * Settings on disk: one zod schema with explicit defaults, numbered migrations, atomic writes with
 * mode 0600. A corrupt or unreadable file never crashes the agent: it is kept as a backup, the
 * defaults (or every field that still reads) are used, and a warning says so.
 */
export class SettingsStore {
  readonly file: string;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #migrations: Record<number, Migration>;
  readonly #format: number;
  #settings: Settings = structuredClone(defaultSettings);
  #writes: Promise<unknown> = Promise.resolve();

  constructor(options: SettingsStoreOptions) {
    this.file = join(options.dataDir, SETTINGS_FILE);
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
    this.#migrations = options.migrations ?? settingsMigrations;
    this.#format = options.format ?? SETTINGS_FORMAT;
  }

  get(): Settings {
    return structuredClone(this.#settings);
  }

  /** Reads the file; returns what the user must be told. Never throws. */
  async load(): Promise<SettingsWarning[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.#settings = structuredClone(defaultSettings);
        await this.#save().catch((e: unknown) =>
          this.#log.warn(`could not write ${this.file}: ${String(e)}`),
        );
        return [];
      }
      this.#settings = structuredClone(defaultSettings);
      const message = `Roost could not read its settings file ${this.file} (${code ?? String(error)}); the defaults are in use and changes will not be saved until the file can be read. Check the file's owner and permissions.`;
      this.#log.error(message);
      return [{ code: 'SETTINGS_UNREADABLE', message }];
    }

    let doc: Record<string, unknown> | undefined;
    try {
      doc = asRecord(JSON.parse(text));
    } catch {
      doc = undefined;
    }
    if (!doc) {
      const backup = await this.#backup('corrupt');
      this.#settings = structuredClone(defaultSettings);
      await this.#save();
      const message = `Your settings file was not valid JSON. It was kept as ${backup} and the default settings were restored.`;
      this.#log.warn(message);
      return [{ code: 'SETTINGS_CORRUPT', message }];
    }

    const warnings: SettingsWarning[] = [];
    // A hand-written file may hold just the settings, without the `{ format, settings }` wrapper.
    if (!('format' in doc) && !('settings' in doc)) doc = { format: this.#format, settings: doc };
    let format = typeof doc.format === 'number' && Number.isInteger(doc.format) ? doc.format : 0;
    if (format > this.#format) {
      const backup = await this.#backup(`format${format}`);
      const message = `Your settings were written by a newer Roost (settings format ${format}; this version reads up to ${this.#format}). A copy was kept as ${backup}; the settings this version understands were kept.`;
      this.#log.warn(message);
      warnings.push({ code: 'SETTINGS_NEWER', message });
    }
    let migrated = false;
    while (format < this.#format) {
      const step = this.#migrations[format];
      if (!step) break;
      doc = step(doc);
      format += 1;
      migrated = true;
    }

    const stored = asRecord(doc.settings) ?? {};
    const candidate = merge(structuredClone(defaultSettings), stored);
    let parsed = settingsSchema.safeParse(candidate);
    let resetFields: string[] = [];
    if (!parsed.success) {
      // Keep every field that still reads; put the defaults back where a field doesn't.
      resetFields = parsed.error.issues.map((i) => i.path.map(String).join('.') || '(all)');
      const repaired = structuredClone(candidate) as Record<string, unknown>;
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) withoutPath(repaired, [...issue.path, key]);
        } else {
          withoutPath(repaired, issue.path);
        }
      }
      parsed = settingsSchema.safeParse(merge(structuredClone(defaultSettings), repaired));
    }
    if (!parsed.success) {
      const backup = await this.#backup('corrupt');
      this.#settings = structuredClone(defaultSettings);
      await this.#save();
      const message = `Your settings file could not be understood. It was kept as ${backup} and the default settings were restored.`;
      this.#log.warn(message);
      return [...warnings, { code: 'SETTINGS_CORRUPT', message }];
    }
    this.#settings = parsed.data;
    if (resetFields.length > 0) {
      const backup = await this.#backup('invalid');
      const message = `Some settings were not valid and were reset to their defaults: ${resetFields.join(', ')}. The old file was kept as ${backup}.`;
      this.#log.warn(message);
      warnings.push({ code: 'SETTINGS_FIELDS_RESET', message });
    }
    if (resetFields.length > 0 || migrated || warnings.length > 0) await this.#save();
    else await this.#tightenMode();
    return warnings;
  }

  /**
   * Applies a patch: the patch and the settings it produces are validated before anything is
   * written, so bad input changes nothing.
   */
  async update(patch: SettingsPatch): Promise<Settings> {
    const checkedPatch = settingsPatchSchema.safeParse(patch);
    if (!checkedPatch.success) {
      throw new ApiFailure(
        'INVALID_PARAMS',
        describeZodError(checkedPatch.error, patch, 'settings'),
      );
    }
    const next = settingsSchema.safeParse(merge(this.get(), checkedPatch.data));
    if (!next.success) {
      throw new ApiFailure(
        'SETTINGS_INVALID',
        describeZodError(next.error, merge(this.get(), patch), 'settings'),
      );
    }
    const problem = crossFieldProblem(next.data);
    if (problem) throw new ApiFailure('SETTINGS_INVALID', problem);
    const previous = this.#settings;
    this.#settings = next.data;
    try {
      await this.#save();
    } catch (error) {
      this.#settings = previous;
      throw new ApiFailure(
        'SETTINGS_UNWRITABLE',
        `Roost could not save your settings to ${this.file} (${(error as NodeJS.ErrnoException).code ?? String(error)}). Nothing was changed. Check that the data folder is writable and the disk is not full.`,
      );
    }
    return this.get();
  }

  async #save(): Promise<void> {
    const body = JSON.stringify({ format: this.#format, settings: this.#settings }, null, 2) + '\n';
    // Writes are serialized so two quick updates can't land out of order.
    const write = this.#writes.then(() => writeFileAtomic(this.file, body, 0o600));
    this.#writes = write.catch(() => undefined);
    await write;
  }

  async #backup(reason: string): Promise<string> {
    const stamp = this.#now().toISOString().replace(/[:.]/g, '-');
    const backup = `${this.file}.${reason}-${stamp}`;
    try {
      await rename(this.file, backup);
    } catch (error) {
      this.#log.error(`could not keep a backup of ${this.file}: ${String(error)}`);
    }
    return backup;
  }

  async #tightenMode(): Promise<void> {
    if (process.platform === 'win32') return;
    try {
      const info = await stat(this.file);
      if ((info.mode & 0o077) !== 0) await chmod(this.file, 0o600);
    } catch {
      // Best effort: the next save writes 0600 anyway.
    }
  }
}

/** Rules that span fields, in the user's words. */
export function crossFieldProblem(settings: Settings): string | undefined {
  if (settings.network.name === 'custom') {
    if (!settings.network.rpcUrl)
      return 'network.rpcUrl is needed when network.name is custom: give the JSON-RPC URL of your chain.';
    if (!settings.network.marketAddress)
      return 'network.marketAddress is needed when network.name is custom: give the JobMarket contract address.';
  }
  return undefined;
}
