/**
 * A settings change in the words of the Settings page, for the log and the Dashboard's Activity
 * list: "price changed to 2 rUSD per unit-hour", not "settings changed: pricing.pricePerUnitHour".
 * The labels and choices are the Settings page's own (SETTING_LABELS in the contract), so a
 * line names the field the user can find there.
 */
import {
  SETTING_LABELS,
  SETTING_OPTION_LABELS,
  type Settings,
  type SettingsPatch,
} from '../api/contract.ts';
import { executionProviderName } from '../hardware/schema.ts';

/** What the line needs besides the settings: the market token's symbol, when known. */
export interface SettingsWordsContext {
  tokenSymbol?: string | null;
  /** The settings before the change: a setting saved with the value it had is not named. */
  before?: Settings;
}

type Field = {
  /** Where the page's label reads badly mid-sentence: "price", not "price per unit-hour". */
  label?: string;
  value?: (value: unknown, settings: Settings, context: SettingsWordsContext) => string;
  /** The whole phrase, where "<label> changed to <value>" must not be said (a secret). */
  phrase?: (value: unknown) => string;
};

const onOff = (value: unknown) => (value ? 'on' : 'off');
const tokens = (value: unknown, _s: Settings, c: SettingsWordsContext) =>
  `${String(value)} ${c.tokenSymbol ?? 'tokens'}`;
/** A choice as the page's list names it: `“Always”`. */
const quoted = (key: string) => (value: unknown) =>
  `“${SETTING_OPTION_LABELS[`${key}.${String(value)}`] ?? String(value)}”`;

/** A page label mid-sentence: "Temperature ceiling (°C)" → "temperature ceiling"; RPC URL stays. */
function midSentence(label: string): string {
  const bare = label.replace(/ \([^)]*\)$/, '');
  return /^[A-Z][a-z]/.test(bare) ? bare[0]!.toLowerCase() + bare.slice(1) : bare;
}
const list = (value: unknown) =>
  Array.isArray(value) && value.length > 0 ? value.map(String).join(', ') : 'none';

/** Each kind of notice mid-sentence, for `notifications.shown` and `notifications.kinds`. */
const NOTICE_WORDS: Record<string, string> = {
  'job-done': 'jobs finished',
  'job-failed': 'jobs failed',
  payment: 'payments',
  'bench-done': 'benchmarks finished',
  'needs-you': 'when Roost needs you',
};

const noticeKinds = (v: unknown) =>
  Array.isArray(v) && v.length > 0
    ? v.map((kind) => NOTICE_WORDS[String(kind)] ?? String(kind)).join(', ')
    : 'none';

/** How each setting's value reads; the label is the page's unless given. */
const fields: Record<string, Field> = {
  'general.theme': { value: quoted('general.theme') },
  'general.startAtLogin': { value: onOff },
  'general.onboarded': { value: onOff },
  'work.mode': { value: quoted('work.mode') },
  'work.idleMinutes': { value: (v) => `${String(v)} min` },
  'work.pauseWhileGaming': { value: onOff },
  'work.avoidDisplayGpu': { value: onOff },
  'work.maxTemperatureC': { value: (v) => `${String(v)} °C` },
  'work.windows': {
    value: (v) =>
      Array.isArray(v) && v.length > 0
        ? `${v.length} time window${v.length === 1 ? '' : 's'}`
        : 'any time',
  },
  'work.resumeBelowC': { value: (v) => `${String(v)} °C` },
  'work.pauseOnBattery': { value: onOff },
  'work.gameProcesses': { value: list },
  'work.pauseOnAnyGpuProcess': { value: onOff },
  'work.ignoredGpuProcesses': { value: list },
  'work.finishLeaseWithinMinutes': {
    value: (v) => `${String(v)} min`,
  },
  'work.powerBudgetW': {
    label: 'power budget',
    value: (v) => (v === null ? 'none' : `${String(v)} W`),
  },
  'pricing.pricePerUnitHour': {
    label: 'price',
    value: (v, s, c) => `${tokens(v, s, c)} per unit-hour`,
  },
  'pricing.electricityPricePerKwh': {
    label: 'electricity price',
    value: (v, s) => `${String(v)} ${s.pricing.currency} per kWh`,
  },
  'pricing.tokenValueInCurrency': {
    value: (v, s) => `${String(v)} ${s.pricing.currency}`,
  },
  'network.name': { value: quoted('network.name') },
  'network.tokens': { value: quoted('network.tokens') },
  'market.enabled': { value: onOff },
  'market.stake': { value: tokens },
  'market.autoWithdrawAbove': {
    value: (v, s, c) => (v === null ? 'never (only when you withdraw)' : tokens(v, s, c)),
  },
  'market.practice': { label: 'practice jobs', value: onOff },
  'accelerators.disabled': {
    value: (v) =>
      Array.isArray(v) && v.length > 0
        ? v.map((ep) => executionProviderName(String(ep))).join(', ')
        : 'none',
  },
  'accelerators.allowSoftwareAdapters': { value: onOff },
  'updates.channel': { label: 'update channel', value: quoted('updates.channel') },
  'updates.autoInstall': { value: onOff },
  'server.port': { label: 'dashboard port' },
  // The URL holds the webhook's token: the log says only whether there is one.
  'notifications.webhookUrl': {
    phrase: (v) => (v ? 'notification webhook set' : 'notification webhook removed'),
  },
  'notifications.shown': { label: 'notifications shown', value: noticeKinds },
  'notifications.kinds': { label: 'notifications sent', value: noticeKinds },
};

/**
 * The fields a patch names, each with its saved value in words: `price changed to 2 rUSD per
 * unit-hour; take work changed to “Always”`. A field with no page label keeps its key, so a new
 * setting is never left out of the log.
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
      const was = (
        context.before as Record<string, Record<string, unknown> | undefined> | undefined
      )?.[section]?.[key];
      if (context.before && JSON.stringify(was) === JSON.stringify(value)) continue;
      const id = `${section}.${key}`;
      const field = fields[id];
      if (field?.phrase) {
        parts.push(field.phrase(value));
        continue;
      }
      const page = SETTING_LABELS[id];
      const label = field?.label ?? (page ? midSentence(page) : id);
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
