/** `roost settings get|set`: read or change settings by key (work.idleMinutes), in words. */
import { z } from 'zod';
import {
  settingsSections,
  type Settings,
  type SettingsSection,
  formatTimeWindows,
  parseTimeWindows,
} from '../api/contract.ts';
import { EXIT_OK, UsageError, withClient, print, type Command } from './common.ts';

export const settingsCommand: Command = {
  usage: 'roost settings [get [<key>]] [--json]\n       roost settings set <key> <value> [--json]',
  summary: 'Read or change settings (keys like work.idleMinutes)',
  help: [
    'roost settings (or roost settings get) lists every setting with its value and what it does.',
    'Values are written as get shows them: numbers, true or false, none for no value, lists',
    'separated by commas, work.windows like mon-fri 22:00-07:00. A value that starts with "-"',
    'goes after --, e.g. roost settings set <key> -- -5.',
  ].join('\n'),
  async run(ctx) {
    // Like roost wallet and roost work, the command alone shows where things stand.
    const [action = 'get', key, value, ...rest] = ctx.positionals;
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
    throw new UsageError(`Unknown settings action "${action}": use get or set.`);
  },
};

function showSetting(section: string, name: string, value: unknown): string {
  if (value === null || value === '') return 'none';
  if (section === 'work' && name === 'windows') {
    const text = formatTimeWindows(value as Parameters<typeof formatTimeWindows>[0]);
    return text === '' ? 'any time' : text;
  }
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ');
  return String(value);
}

/** Values longer than this get their description on the next line, under the others'. */
const VALUE_COLUMN = 12;

/** Every setting: key, value and what it does, in three columns however long the keys. */
export function formatSettings(s: Settings): string {
  const rows: { key: string; shown: string; about: string }[] = [];
  for (const [section, schema] of Object.entries(settingsSections)) {
    for (const [name, field] of Object.entries(schema.shape)) {
      const value = (s[section as SettingsSection] as Record<string, unknown>)[name];
      rows.push({
        key: `${section}.${name}`,
        shown: showSetting(section, name, value),
        about: (field as z.ZodType).description ?? '',
      });
    }
  }
  const keyWidth = Math.max(...rows.map((r) => r.key.length));
  const indent = ' '.repeat(keyWidth + VALUE_COLUMN + 2);
  return rows
    .map(({ key, shown, about }) =>
      shown.length <= VALUE_COLUMN
        ? `${key.padEnd(keyWidth)} ${shown.padEnd(VALUE_COLUMN)} ${about}`.trimEnd()
        : `${key.padEnd(keyWidth)} ${shown}${about ? `\n${indent}${about}` : ''}`,
    )
    .join('\n');
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
  // A text where empty means none (notifications.webhookUrl): `none` as for the other settings.
  if (/^none$/i.test(text.trim()) && field.safeParse('').success) return '';
  return text;
}
