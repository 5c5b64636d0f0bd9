/**
 * A settings change in the words of the Settings page, for the log and the Dashboard's Activity
 * list: "price changed to 2 rUSD per unit-hour", not "settings changed: pricing.pricePerUnitHour".
 * The labels are the Settings page's own (renderer/src/pages/SettingsPage.tsx), so a line names
 * the field the user can find there.
 */
import type { Settings, SettingsPatch } from '../api/contract.ts';
import { executionProviderName } from '../hardware/schema.ts';

/** What the line needs besides the settings: the market token's symbol, when known. */
export interface SettingsWordsContext {
  tokenSymbol?: string | null;
}

type Field = {
  /** The Settings page's label, as it reads mid-sentence. */
  label: string;
  value?: (value: unknown, settings: Settings, context: SettingsWordsContext) => string;
};

const onOff = (value: unknown) => (value ? 'on' : 'off');
const tokens = (value: unknown, _s: Settings, c: SettingsWordsContext) =>
  `${String(value)} ${c.tokenSymbol ?? 'tokens'}`;
const quoted = (words: Record<string, string>) => (value: unknown) =>
  `“${words[String(value)] ?? String(value)}”`;
const list = (value: unknown) =>
  Array.isArray(value) && value.length > 0 ? value.map(String).join(', ') : 'none';

const fields: Record<string, Field> = {
  'general.theme': {
    label: 'theme',
    value: quoted({ system: 'Same as the system', light: 'Light', dark: 'Dark' }),
  },
  'general.startAtLogin': { label: 'start at login', value: onOff },
  'general.onboarded': { label: 'first-run setup finished', value: onOff },
  'work.mode': {
    label: 'take work',
    value: quoted({
      idle: 'When the computer is idle',
      always: 'Always',
      manual: 'Only when I start it',
    }),
  },
  'work.idleMinutes': { label: 'idle minutes', value: (v) => `${String(v)} min` },
  'work.pauseWhileGaming': { label: 'pause while gaming', value: onOff },
  'work.avoidDisplayGpu': { label: 'keep the display GPU free', value: onOff },
  'work.maxTemperatureC': { label: 'temperature ceiling', value: (v) => `${String(v)} °C` },
  'work.windows': {
    label: 'work hours',
    value: (v) =>
      Array.isArray(v) && v.length > 0
        ? `${v.length} time window${v.length === 1 ? '' : 's'}`
        : 'any time',
  },
  'work.resumeBelowC': { label: 'resume after cooling by', value: (v) => `${String(v)} °C` },
  'work.pauseOnBattery': { label: 'pause on battery', value: onOff },
  'work.gameProcesses': { label: 'games to watch for', value: list },
  'work.pauseOnAnyGpuProcess': { label: 'pause for any other GPU program', value: onOff },
  'work.ignoredGpuProcesses': { label: 'GPU programs to ignore', value: list },
  'work.finishLeaseWithinMinutes': {
    label: 'finish a job if it ends within',
    value: (v) => `${String(v)} min`,
  },
  'pricing.pricePerUnitHour': {
    label: 'price',
    value: (v, s, c) => `${tokens(v, s, c)} per unit-hour`,
  },
  'pricing.electricityPricePerKwh': {
    label: 'electricity price',
    value: (v, s) => `${String(v)} ${s.pricing.currency} per kWh`,
  },
  'pricing.currency': { label: 'currency' },
  'pricing.tokenValueInCurrency': {
    label: 'value of one market token',
    value: (v, s) => `${String(v)} ${s.pricing.currency}`,
  },
  'network.name': {
    label: 'network',
    value: quoted({ local: 'Built-in practice network (local)', custom: 'Custom network' }),
  },
  'network.rpcUrl': { label: 'RPC URL' },
  'network.marketAddress': { label: 'market address' },
  'network.tokens': {
    label: 'tokens on this network',
    value: quoted({
      unknown: 'Not said (counted as real money)',
      test: 'Test money, no value',
      real: 'Real money, worth my token value',
    }),
  },
  'market.enabled': { label: 'take market jobs', value: onOff },
  'market.stake': { label: 'stake', value: tokens },
  'market.autoWithdrawAbove': {
    label: 'withdraw automatically above',
    value: (v, s, c) => (v === null ? 'never (only when you withdraw)' : tokens(v, s, c)),
  },
  'market.practice': { label: 'practice jobs', value: onOff },
  'accelerators.disabled': {
    label: 'never use',
    value: (v) =>
      Array.isArray(v) && v.length > 0
        ? v.map((ep) => executionProviderName(String(ep))).join(', ')
        : 'none',
  },
  'accelerators.allowSoftwareAdapters': { label: 'allow software renderers', value: onOff },
  'updates.channel': { label: 'update channel', value: quoted({ stable: 'Stable', beta: 'Beta' }) },
  'updates.autoInstall': { label: 'install updates automatically', value: onOff },
  'server.port': { label: 'dashboard port' },
};

/**
 * The fields a patch names, each with its saved value in words: `price changed to 2 rUSD per
 * unit-hour; take work changed to “Always”`. A field this file does not know keeps its key, so
 * a new setting is never left out of the log.
 */
export function describeSettingsChange(
  patch: SettingsPatch | Record<string, unknown>,
  saved: Settings,
  context: SettingsWordsContext = {},
): string {
  const parts: string[] = [];
  for (const [section, changed] of Object.entries(patch)) {
    if (!changed || typeof changed !== 'object') continue;
    for (const key of Object.keys(changed)) {
      const value = (saved as Record<string, Record<string, unknown> | undefined>)[section]?.[key];
      const field = fields[`${section}.${key}`];
      const label = field?.label ?? `${section}.${key}`;
      const words = field?.value
        ? field.value(value, saved, context)
        : value === null || value === undefined || value === ''
          ? 'none'
          : String(value);
      parts.push(`${label} changed to ${words}`);
    }
  }
  return parts.join('; ') || 'no settings changed';
}
