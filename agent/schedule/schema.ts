/**
 * The shapes that leave `agent/schedule/`: the proposed extension of the `work` and `pricing`
 * settings, per-GPU work decisions, manual holds, payout records, yield estimates, earnings charts
 * and price suggestions. This file imports only zod, so `agent/api/contract.ts` (zod only) can
 * copy or re-export these schemas for `schedule.*` and `yield.*` without pulling in node code.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Settings: the fields the work policy needs beyond today's `work` and `pricing` sections.

/** `HH:MM`, 24-hour clock, 00:00 to 23:59. */
export const clockTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time such as 07:30 (24-hour clock)');

/** Like `clockTimeSchema`, and also `24:00` for "until midnight". */
export const clockEndSchema = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time such as 07:30, or 24:00');

export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export const weekdaySchema = z.enum(weekdays);
export type Weekday = z.infer<typeof weekdaySchema>;

/**
 * A weekly time window in the machine's local wall-clock time. It opens on each listed day at
 * `start` and closes at `end`; an `end` at or before `start` crosses midnight into the next day
 * (`fri 22:00–06:00` runs Friday night into Saturday morning), and `end` equal to `start` means 24
 * hours. Windows follow the wall clock across daylight-saving changes: a window inside the skipped
 * hour doesn't happen that night, one inside the repeated hour happens twice.
 */
export const timeWindowSchema = z
  .object({
    days: z.array(weekdaySchema).min(1).max(7).describe('Days the window opens on'),
    start: clockTimeSchema.describe('When it opens (local time)'),
    end: clockEndSchema.describe('When it closes (local time); before start: the next day'),
  })
  .strict();
export type TimeWindow = z.infer<typeof timeWindowSchema>;

/** A process name as the user types it: `eldenring.exe`, `cs2`, `Cyberpunk2077.exe`. */
export const processNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^/\\\0]+$/, 'must be a program name, not a path');

/** Names that hold the display GPU on every desktop; they never count as "another program". */
export const defaultIgnoredGpuProcesses = [
  'xorg',
  'xwayland',
  'gnome-shell',
  'kwin_wayland',
  'kwin_x11',
  'plasmashell',
  'mutter',
  'sway',
  'hyprland',
  'weston',
  'dwm',
  'explorer',
  'csrss',
  'windowserver',
  'chrome',
  'chromium',
  'firefox',
  'msedge',
  'electron',
  'roost',
];

/**
 * A starting watch list: processes that run only while a game runs (Steam's in-game overlay, the
 * Easy Anti-Cheat and BattlEye services). Launchers such as Steam itself are left out on purpose:
 * they run all day and would keep every GPU paused. The user adds their games.
 */
export const defaultGameProcesses = [
  'gameoverlayui',
  'easyanticheat',
  'easyanticheat_eos',
  'beservice',
];

/**
 * Proposed additions to the `work` section of the settings (the foundation owner adds them to
 * `agent/api/contract.ts`). Today's fields stay as they are: `mode` (idle | always | manual),
 * `idleMinutes`, `pauseWhileGaming` (the master switch of game mode), `avoidDisplayGpu`,
 * `maxTemperatureC`. Time windows limit every mode: `always` + windows is "work on a schedule".
 */
export const workExtensionSchema = z.object({
  windows: z
    .array(timeWindowSchema)
    .max(28)
    .describe('When work is allowed (local time); empty: at any time'),
  resumeBelowC: z
    .number()
    .int()
    .min(1)
    .max(30)
    .describe('After a temperature pause, resume this many °C below the ceiling'),
  pauseOnBattery: z.boolean().describe('Pause all GPUs while the computer runs on battery'),
  gameProcesses: z
    .array(processNameSchema)
    .max(200)
    .describe('Programs that pause every GPU while they run (game mode)'),
  pauseOnAnyGpuProcess: z
    .boolean()
    .describe('Also pause a GPU while any other program computes or renders on it (game mode)'),
  ignoredGpuProcesses: z
    .array(processNameSchema)
    .max(200)
    .describe('Programs on a GPU that never pause it (the desktop, browsers)'),
  finishLeaseWithinMinutes: z
    .number()
    .int()
    .min(0)
    .max(120)
    .describe(
      'When work must stop (you are back, a game starts, heat, battery), finish a job that ends within this many minutes instead of releasing it',
    ),
  powerBudgetW: z
    .number()
    .int()
    .min(10)
    .max(100_000)
    .nullable()
    .describe(
      "The most power your GPUs may draw together for Roost (a power supply's or a circuit's limit), counted at each GPU's power limit: GPUs past it wait, those already running a job first; empty: no budget",
    ),
});
export type WorkExtension = z.infer<typeof workExtensionSchema>;

export const defaultWorkExtension: WorkExtension = {
  windows: [],
  resumeBelowC: 5,
  pauseOnBattery: true,
  gameProcesses: [...defaultGameProcesses],
  pauseOnAnyGpuProcess: true,
  ignoredGpuProcesses: [...defaultIgnoredGpuProcesses],
  finishLeaseWithinMinutes: 5,
  powerBudgetW: null,
};

/** The base of the `work` settings section; the API contract builds its settings from these. */
export const workBaseSchema = z.object({
  mode: z
    .enum(['idle', 'always', 'manual'])
    .describe('When to take work: when the computer is idle, always, or only when you start it'),
  idleMinutes: z.number().int().min(1).max(240).describe('Idle minutes before work starts'),
  pauseWhileGaming: z.boolean().describe('Pause a GPU while a game or another program uses it'),
  avoidDisplayGpu: z.boolean().describe('Never run jobs on the GPU that drives your display'),
  maxTemperatureC: z
    .number()
    .int()
    .min(50)
    .max(100)
    .describe('Pause a GPU at this temperature (°C)'),
});

/** Everything the work policy reads: today's `work` section plus the proposed extension. */
export const workPolicySettingsSchema = workBaseSchema.extend(workExtensionSchema.shape);
export type WorkPolicySettings = z.infer<typeof workPolicySettingsSchema>;

/** Proposed additions to the `pricing` section. */
export const pricingExtensionSchema = z.object({
  tokenValueInCurrency: z
    .number()
    .min(0)
    .max(1_000_000)
    .describe('What one market token is worth in your currency (for net yield)'),
});
export type PricingExtension = z.infer<typeof pricingExtensionSchema>;
export const defaultPricingExtension: PricingExtension = { tokenValueInCurrency: 1 };

/** The `pricing` settings section. */
export const pricingSettingsSchema = z
  .object({
    pricePerUnitHour: z
      .number()
      .min(0)
      .max(1_000_000)
      .describe(
        "Your price per unit-hour, in the market's token: a job pays your price × your benchmark score × the hours it holds this machine",
      ),
    electricityPricePerKwh: z
      .number()
      .min(0)
      .max(100)
      .describe('What you pay per kWh, for net yield'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be a three-letter currency code such as EUR or USD')
      .describe('Your currency (ISO 4217 code)'),
  })
  .extend(pricingExtensionSchema.shape);
export type PricingSettings = z.infer<typeof pricingSettingsSchema>;

// ---------------------------------------------------------------------------------------------
// Work decisions

const isoTime = z.iso.datetime({ offset: true });

/** `working`: may take leases now. `idle`: not its time (waiting for idle, a window, a Start). `paused`: held back by you, a game, heat, battery or the display rule. */
export const gpuWorkStateSchema = z.enum(['working', 'idle', 'paused']);
export type GpuWorkState = z.infer<typeof gpuWorkStateSchema>;

/** The rule that decided a GPU's state; `reason` says it in words. */
export const decisionCauseSchema = z.enum([
  'manual-start',
  'manual-pause',
  'display-gpu',
  'too-hot',
  'power-budget',
  'on-battery',
  'game',
  'gpu-process',
  'manual-mode',
  'outside-window',
  'user-active',
  'idle',
  'headless',
  'always',
]);
export type DecisionCause = z.infer<typeof decisionCauseSchema>;

/** What the job runner must do with a lease in progress: the policy never abandons one. */
export const leaseActionSchema = z.enum(['continue', 'finish-lease', 'release']);
export type LeaseAction = z.infer<typeof leaseActionSchema>;

export const leaseDecisionSchema = z.object({
  leaseId: z.string(),
  action: leaseActionSchema,
  reason: z.string(),
});
export type LeaseDecision = z.infer<typeof leaseDecisionSchema>;

export const gpuDecisionSchema = z.object({
  gpuId: z.string(),
  state: gpuWorkStateSchema,
  cause: decisionCauseSchema,
  /** Plain words for the UI and the log: what holds this GPU and until when. */
  reason: z.string(),
  /** `you`: a manual start or pause; `policy`: the settings and the machine's state. */
  heldBy: z.enum(['you', 'policy']),
  /** When this state is due to change by itself (ISO); null when it waits on an event. */
  until: isoTime.nullable(),
  /** When the GPU entered this state for this cause (ISO). */
  since: isoTime,
  /** Other rules that apply too (a manual start overriding a game, a window that is closed). */
  alsoApplies: z.array(decisionCauseSchema),
  /** The lease on this GPU, if any, and what the job runner must do with it. */
  lease: leaseDecisionSchema.nullable(),
});
export type GpuDecision = z.infer<typeof gpuDecisionSchema>;

/**
 * A manual start or pause by the user. `gpuId` null holds every GPU. It lasts until `until` (ISO)
 * or, when that is null, until the user clears it. Nothing in the policy clears it silently.
 */
export const manualHoldSchema = z.object({
  gpuId: z.string().min(1).nullable(),
  action: z.enum(['start', 'pause']),
  until: isoTime.nullable(),
  setAt: isoTime,
  /** For a pause: finish the lease in progress (default) or release it now. */
  leaseAction: z.enum(['finish-lease', 'release']),
});
export type ManualHold = z.infer<typeof manualHoldSchema>;

/** Params of a manual start/pause as the API would take them. */
export const manualHoldInputSchema = z
  .object({
    gpuId: z.string().min(1).max(200).nullable().default(null),
    action: z.enum(['start', 'pause']),
    until: isoTime.nullable().default(null),
    leaseAction: z.enum(['finish-lease', 'release']).default('finish-lease'),
  })
  .strict();
export type ManualHoldInput = z.input<typeof manualHoldInputSchema>;

// ---------------------------------------------------------------------------------------------
// Money: amounts are decimal strings, never floats.

/** A non-negative decimal amount as a string: `12`, `0.05`, `1234.567890`. */
export const amountSchema = z
  .string()
  .regex(/^\d{1,30}(\.\d{1,36})?$/, 'must be a decimal amount such as 12.5');

/** A signed decimal amount as a string (net yield can be negative). */
export const signedAmountSchema = z
  .string()
  .regex(/^-?\d{1,30}(\.\d{1,36})?$/, 'must be a decimal amount such as -0.25');

/**
 * One money movement of the provider, rebuilt from chain events: `earned` (a job's payment
 * credited), `slashed` (collateral lost), `withdrawn` (moved from the market to the wallet).
 */
export const payoutRecordSchema = z.object({
  /** Unique and stable: `<txHash>:<logIndex>`. */
  id: z.string().min(1).max(200),
  at: isoTime,
  kind: z.enum(['earned', 'slashed', 'withdrawn']),
  /** In whole tokens (not base units), exact: `fromBaseUnits()` converts chain integers. */
  amount: amountSchema,
  /** Token symbol, e.g. `USDC`. */
  token: z.string().min(1).max(16),
  jobId: z.string().max(200).nullable(),
  gpuId: z.string().max(200).nullable(),
  txHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .nullable(),
  blockNumber: z.number().int().nonnegative().nullable(),
});
export type PayoutRecord = z.infer<typeof payoutRecordSchema>;

/** A stretch of time one GPU worked, with the rate the prediction uses. */
export const workPeriodSchema = z.object({
  gpuId: z.string(),
  start: isoTime,
  end: isoTime,
  /** Predicted gross earnings per hour in tokens (price × composite score, after the fee). */
  grossPerHour: amountSchema,
  /** Average measured draw while working; null when not measured. */
  powerW: z.number().nonnegative().nullable(),
});
export type WorkPeriod = z.infer<typeof workPeriodSchema>;

/** One recent job on the market, as the price suggestion reads it. */
export const marketJobQuoteSchema = z.object({
  jobId: z.string(),
  at: isoTime,
  /** What the job paid per composite-unit-hour, in tokens. */
  pricePerUnitHour: amountSchema,
  /** True when a provider claimed it (the price was accepted). */
  accepted: z.boolean(),
  minScore: z.number().nonnegative().nullable(),
});
export type MarketJobQuote = z.infer<typeof marketJobQuoteSchema>;

export const yieldEstimateSchema = z.object({
  gpuId: z.string(),
  token: z.string(),
  currency: z.string(),
  compositeScore: z.number(),
  pricePerUnitHour: amountSchema,
  /** Tokens per hour before the protocol fee. */
  grossPerHour: amountSchema,
  feePerHour: amountSchema,
  /** Tokens per hour after the fee. */
  earnedPerHour: amountSchema,
  /** `earnedPerHour` in the user's currency; null on a test network (test tokens have no value). */
  earnedPerHourInCurrency: amountSchema.nullable(),
  /** Draw counted against the yield (measured, less the baseline when given); null: unknown. */
  chargedPowerW: z.number().nullable(),
  electricityPerHour: amountSchema,
  netPerHour: signedAmountSchema,
  hoursPerDay: z.number(),
  occupancy: z.number(),
  netPerDay: signedAmountSchema,
  /**
   * The network's tokens are test money with no value: amounts stay in the token, with no
   * currency conversion, and electricity is not subtracted. Absent: false.
   */
  testNetwork: z.boolean().optional(),
  /** What `netPerHour` and `netPerDay` are in: the currency, or the token on a test network. */
  netUnit: z.string().optional(),
  /**
   * Electricity is subtracted from `netPerHour` (measured, and not a test network): only then is
   * it net; before, it is the gross. Absent: `chargedPowerW !== null`.
   */
  electricityCounted: z.boolean().optional(),
  profitable: z.boolean(),
  /** The arithmetic in words, for a tooltip and support staff. */
  explanation: z.string(),
});
export type YieldEstimate = z.infer<typeof yieldEstimateSchema>;

export const chartRangeSchema = z.enum(['24h', '7d', '30d']);
export type ChartRange = z.infer<typeof chartRangeSchema>;

export const earningsBucketSchema = z.object({
  start: isoTime,
  end: isoTime,
  /** Local hour (`14:00`) for 24 h, local date (`2025-03-30`) for 7 d and 30 d. */
  label: z.string(),
  /** Tokens the benchmark × market rate predicted for the time worked. */
  predicted: amountSchema,
  /** Tokens earned less slashed, from payout records. */
  actual: signedAmountSchema,
  /** Electricity cost of the time worked, in the user's currency. */
  electricity: amountSchema,
  /**
   * `actual` in the user's currency less `electricity`; on a test network `actual` itself, in
   * the token (see the chart's `netUnit`).
   */
  net: signedAmountSchema,
});
export type EarningsBucket = z.infer<typeof earningsBucketSchema>;

export const earningsChartSchema = z.object({
  range: chartRangeSchema,
  token: z.string(),
  currency: z.string(),
  gpuId: z.string().nullable(),
  /**
   * The network's tokens are test money with no value: `net` is `actual` in the token, never
   * converted, and electricity is not taken from it. Absent: false.
   */
  testNetwork: z.boolean().optional(),
  /** What `net` is in: the currency, or the token on a test network. Absent: the currency. */
  netUnit: z.string().optional(),
  buckets: z.array(earningsBucketSchema),
  totals: earningsBucketSchema.omit({ start: true, end: true, label: true }),
});
export type EarningsChart = z.infer<typeof earningsChartSchema>;

export const priceSuggestionSchema = z.object({
  /** The suggested price per composite-unit-hour; null when the market says too little. */
  price: amountSchema.nullable(),
  /** Accepted jobs the suggestion is based on. */
  count: z.number().int().nonnegative(),
  since: isoTime,
  low: amountSchema.nullable(),
  median: amountSchema.nullable(),
  high: amountSchema.nullable(),
  /** Why this price, in words, including how the current price compares. */
  reason: z.string(),
});
export type PriceSuggestion = z.infer<typeof priceSuggestionSchema>;

/** Predicted, actual, electricity and net over one stretch (today, 7 d, 30 d). */
export const earningsTotalsSchema = earningsBucketSchema
  .omit({ start: true, end: true, label: true })
  .extend({
    /** Hours any unit worked (the union of their periods). */
    hoursWorked: z.number().nonnegative(),
  });
export type EarningsTotals = z.infer<typeof earningsTotalsSchema>;

/** What `yield.earnings` answers: one chart and the totals the Dashboard shows beside it. */
export const earningsReportSchema = z.object({
  chart: earningsChartSchema,
  /** Since local midnight. */
  today: earningsTotalsSchema,
  last7d: earningsTotalsSchema,
  last30d: earningsTotalsSchema,
  /** The rate working earns now (tokens/h), null without a benchmark. */
  grossPerHour: amountSchema.nullable(),
  /** What is missing from the numbers and why, in words (no benchmark, no market yet). */
  notes: z.array(z.string()),
});
export type EarningsReport = z.infer<typeof earningsReportSchema>;

export const earningsParamsSchema = z
  .object({
    range: chartRangeSchema.optional(),
    /** One GPU (its id, or `machine` without a GPU); absent or null: all. */
    gpuId: z.string().min(1).max(200).nullable().optional(),
  })
  .strict()
  .default({});

/** `yield.suggestPrice`: the suggestion with the price it compares against. */
export const priceSuggestionReportSchema = priceSuggestionSchema.extend({
  currentPrice: amountSchema,
  token: z.string(),
  /** The score the jobs' pay is measured at; null without a benchmark. */
  score: z.number().nonnegative().nullable(),
});
export type PriceSuggestionReport = z.infer<typeof priceSuggestionReportSchema>;

/** The `yield.*` methods this part adds to the API contract. */
export const earningsMethods = {
  'yield.earnings': {
    summary:
      'Predicted (hours worked × benchmark × price) beside actual (paid leases) earnings: a 24 h, 7 d or 30 d chart and totals.',
    params: earningsParamsSchema,
    result: earningsReportSchema,
  },
  'yield.suggestPrice': {
    summary:
      'A price per unit-hour from what recent market jobs paid at your score (the median), and how many it is based on.',
    params: z.object({}).strict().default({}),
    result: priceSuggestionReportSchema,
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Time windows as people write them: `mon-fri 22:00-07:00; sat,sun 00:00-24:00`.

const dayOrder: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function formatDays(days: readonly Weekday[]): string {
  const set = new Set(days);
  if (set.size === 7) return 'daily';
  const sorted = dayOrder.filter((d) => set.has(d));
  // Runs of three or more consecutive days read as a range (mon-fri).
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (
      j + 1 < sorted.length &&
      dayOrder.indexOf(sorted[j + 1]!) === dayOrder.indexOf(sorted[j]!) + 1
    )
      j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(sorted[k]!);
    i = j + 1;
  }
  return parts.join(',');
}

/** `mon-fri 22:00-07:00; sat,sun 00:00-24:00`; empty text for no windows (any time). */
export function formatTimeWindows(windows: readonly TimeWindow[]): string {
  return windows.map((w) => `${formatDays(w.days)} ${w.start}-${w.end}`).join('; ');
}

/**
 * Reads the text form back. Each window is `<days> <start>-<end>`, separated by `;` or new lines;
 * days are names (`mon`), ranges (`mon-fri`), lists (`sat,sun`) or `daily`.
 */
export function parseTimeWindows(
  text: string,
): { ok: true; value: TimeWindow[] } | { ok: false; error: string } {
  const value: TimeWindow[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const part = raw.trim().toLowerCase();
    if (part === '') continue;
    const m = /^([a-z,\s-]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/.exec(part);
    if (!m)
      return {
        ok: false,
        error: `"${raw.trim()}" is not a window: write it like mon-fri 22:00-07:00`,
      };
    const days = new Set<Weekday>();
    for (const token of m[1]!.split(',').map((t) => t.trim())) {
      if (token === 'daily' || token === 'every day') {
        for (const d of dayOrder) days.add(d);
        continue;
      }
      const range = /^([a-z]{3})(?:\s*-\s*([a-z]{3}))?$/.exec(token);
      const from = range ? dayOrder.indexOf(range[1] as Weekday) : -1;
      const to = range?.[2] ? dayOrder.indexOf(range[2] as Weekday) : from;
      if (from < 0 || to < 0 || to < from) {
        return {
          ok: false,
          error: `"${token}" is not a day or a range of days (mon, tue, … sun; mon-fri; daily)`,
        };
      }
      for (let i = from; i <= to; i++) days.add(dayOrder[i]!);
    }
    const pad = (t: string) => (t.length === 4 ? `0${t}` : t);
    const parsed = timeWindowSchema.safeParse({
      days: [...days],
      start: pad(m[2]!),
      end: pad(m[3]!),
    });
    if (!parsed.success)
      return {
        ok: false,
        error: `"${raw.trim()}": ${parsed.error.issues[0]?.message ?? 'not a window'}`,
      };
    value.push(parsed.data);
  }
  return { ok: true, value };
}

/**
 * An amount rounded for people to read: 6 significant digits, never rounding the whole part
 * (`133.631776` → `"133.632"`, `99.999542751103898613` → `"99.9995"`, `0.000053220182049678` →
 * `"0.0000532202"`, `1234567.8` → `"1234568"`), half away from zero, trailing zeros dropped.
 * Display only: JSON and CSV keep the exact amount. Text that is not a plain decimal (`"n/a"`,
 * `1e-7`) comes back as it is. Here, not in decimal.ts, so the contract can hand it to the UI.
 */
export function forPeople(value: string | number, significant = 6, down = false): string {
  const text = String(value).trim();
  const m = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return text;
  const negative = m[1] === '-';
  const whole = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  const frac = m[3] ?? '';
  // Decimal places that give `significant` digits: fewer as the whole part grows, more for each
  // zero right after the point.
  const leadingZeros = whole === '0' ? (/^0*/.exec(frac)?.[0].length ?? 0) : 0;
  const places =
    whole === '0' ? significant + leadingZeros : Math.max(0, significant - whole.length);
  let units = BigInt(whole + frac.slice(0, places).padEnd(places, '0'));
  // `down`: never above the value (a price that must not exceed a job's).
  if (!down && (frac[places] ?? '0') >= '5') units += 1n;
  if (units === 0n) return '0';
  const digits = units.toString().padStart(places + 1, '0');
  const int = digits.slice(0, digits.length - places);
  const decimals = digits.slice(digits.length - places).replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${decimals === '' ? '' : `.${decimals}`}`;
}

/**
 * An estimate rounded for people to read: 3 significant digits (`0.287986` → `"0.288"`,
 * `6.91166` → `"6.91"`, `172.791` → `"173"`). For figures that rest on a price, a score and
 * hours (per hour, per day, predicted): more digits would claim a precision they don't have.
 * Balances and payouts keep forPeople's 6.
 */
export function estimateForPeople(value: string | number): string {
  return forPeople(value, 3);
}
