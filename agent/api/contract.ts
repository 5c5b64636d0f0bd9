/**
 * THE API contract of Roost: every method the agent serves, with zod params and result, and every
 * event it publishes. The Electron IPC bridge, the HTTP router of `roost serve`, the renderer's
 * client and the CLI are all built from this one file. It imports only zod and the zod-only
 * `schema.ts` files of the agent's parts, so both node and browser code can import it.
 */
import { z } from 'zod';
import {
  detectReportSchema,
  gpuInventorySchema,
  installCudaProgressSchema,
  installCudaResultSchema,
  probeReportSchema,
  telemetrySampleSchema,
} from '../hardware/schema.ts';
import {
  defaultPricingExtension,
  defaultWorkExtension,
  earningsMethods,
  gpuDecisionSchema,
  manualHoldInputSchema,
  manualHoldSchema,
  pricingSettingsSchema,
  workPolicySettingsSchema,
  yieldEstimateSchema,
} from '../schedule/schema.ts';
import {
  networkTokensSchema,
  walletErrorCodes,
  walletEvents,
  walletMethods,
} from '../wallet/schema.ts';
import {
  defaultMarketSettings,
  marketEvents,
  marketMethods,
  marketSettingsSchema,
} from '../market/schema.ts';
import {
  benchErrorCodes,
  benchExportParamsSchema,
  benchExportResultSchema,
  benchHistoryEntrySchema,
  benchProgressSchema,
  benchRunParamsSchema,
  benchRunResultSchema,
  benchTargetSchema,
  signedReportSchema,
  STD_SUITE_ID,
  verifyResultSchema,
} from '../bench/schema.ts';
import {
  executionProviderSchema,
  jobDetailSchema,
  jobDownloadParamsSchema,
  uploadFilesParamsSchema,
  uploadFilesResultSchema,
  jobOutputPreviewParamsSchema,
  outputPreviewSchema,
  downloadAsSchema,
  downloadSchema,
  jobCountsSchema,
  jobProgressEventSchema,
  jobRemovedSchema,
  jobRemoveParamsSchema,
  jobRemoveResultSchema,
  jobSpecSchema,
  jobStateChangedSchema,
  jobStateSchema,
  jobSummarySchema,
  modelInspectionSchema,
  runRequestSchema,
} from '../jobs/schema.ts';
import {
  defaultNotificationSettings,
  notificationSettingsSchema,
  noticeEventSchema,
  notifyErrorCodes,
  notifyMethods,
} from '../notify/schema.ts';
import {
  supportBundleParamsSchema,
  supportBundleResultSchema,
  whyNoJobsSchema,
} from '../diagnostics/schema.ts';

/** Bumped when a method or event changes shape incompatibly. */
export const CONTRACT_VERSION = 1;

/** Every error code the agent can answer with; the renderer maps each to words in one place. */
export const errorCodes = [
  ...walletErrorCodes,
  ...benchErrorCodes,
  ...notifyErrorCodes,
  'INVALID_PARAMS',
  'UNKNOWN_METHOD',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'SETTINGS_INVALID',
  'SETTINGS_UNWRITABLE',
  'UNAVAILABLE',
  'INTERNAL',
  /** A job request the agent refused (a file, a hash, a model or an input that is wrong). */
  'JOB_REFUSED',
  /** The job is not in a state that allows this (cancel a finished job). */
  'JOB_STATE',
  /** More than one answer may carry (a download past DOWNLOAD_MAX_BYTES); says where it is. */
  'TOO_LARGE',
] as const;
export const errorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const apiErrorSchema = z.object({ code: errorCodeSchema, message: z.string() });
export type ApiError = z.infer<typeof apiErrorSchema>;

/** Errors are data across every boundary: nothing throws across IPC, HTTP or the worker pipe. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.union([
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: apiErrorSchema }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Settings: one schema, explicit defaults. The store adds numbered migrations and atomic writes.
// Fields carry no zod defaults on purpose: a patch must never reset a field the user didn't name.

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

export const settingsSections = {
  general: z.object({
    theme: z.enum(['system', 'light', 'dark']).describe('Colour scheme of the window'),
    startAtLogin: z.boolean().describe('Start Roost when you log in (desktop app)'),
    onboarded: z
      .boolean()
      .describe('First-run setup finished or skipped (false: show it on the Dashboard)'),
  }),
  work: workPolicySettingsSchema,
  pricing: pricingSettingsSchema,
  network: z.object({
    name: z
      .enum(['local', 'custom'])
      .describe('local: the built-in devnet; custom: your RPC URL and market'),
    rpcUrl: z
      .url({ protocol: /^(https?|wss?)$/ })
      .nullable()
      .describe('JSON-RPC URL of a custom network'),
    marketAddress: address.nullable().describe('JobMarket contract address on a custom network'),
    tokens: networkTokensSchema.describe(
      "Whether the market's tokens on a custom network have value: test (test money, no value), real (each worth pricing.tokenValueInCurrency), unknown (not said: counted as real). The local network and known test chains are always test money. Back to unknown when network.rpcUrl changes to another chain",
    ),
  }),
  market: marketSettingsSchema,
  accelerators: z.object({
    disabled: z
      .array(executionProviderSchema)
      .max(6)
      .describe('Accelerators jobs must not use, e.g. webgpu (the rest are tried in order)'),
    allowSoftwareAdapters: z
      .boolean()
      .describe('Run jobs on a software renderer (no GPU behind it: slow, for testing)'),
  }),
  updates: z.object({
    channel: z.enum(['stable', 'beta']).describe('Which releases to update to'),
    autoInstall: z.boolean().describe('Install updates by itself (never during a job)'),
  }),
  server: z.object({
    port: z.number().int().min(1024).max(65535).describe('Port of `roost serve` on 127.0.0.1'),
  }),
  notifications: notificationSettingsSchema,
};

export const settingsSchema = z.object(settingsSections).strict();
export type Settings = z.infer<typeof settingsSchema>;
export type SettingsSection = keyof typeof settingsSections;

/**
 * What the Settings page calls each setting, by `section.key`. The page shows these, and the
 * agent's log says a change in the same words (agent/store/settings-words.ts), so a line names
 * the field the user can find.
 */
export const SETTING_LABELS: Record<string, string> = {
  'general.theme': 'Theme',
  'general.startAtLogin': 'Start at login',
  'general.onboarded': 'First-run setup finished',
  'work.mode': 'Take work',
  'work.idleMinutes': 'Idle minutes',
  'work.pauseWhileGaming': 'Pause while gaming',
  'work.avoidDisplayGpu': 'Keep the display GPU free',
  'work.maxTemperatureC': 'Temperature ceiling (°C)',
  'work.windows': 'Work hours',
  'work.resumeBelowC': 'Resume after cooling by (°C)',
  'work.pauseOnBattery': 'Pause on battery',
  'work.gameProcesses': 'Games to watch for',
  'work.pauseOnAnyGpuProcess': 'Pause for any other GPU program',
  'work.ignoredGpuProcesses': 'GPU programs to ignore',
  'work.finishLeaseWithinMinutes': 'Finish a job if it ends within (min)',
  'work.powerBudgetW': 'Power budget for all GPUs (W)',
  'pricing.tokenValueInCurrency': 'Value of one market token',
  'pricing.pricePerUnitHour': 'Price per unit-hour',
  'pricing.electricityPricePerKwh': 'Electricity price per kWh',
  'pricing.currency': 'Currency',
  'network.name': 'Network',
  'network.rpcUrl': 'RPC URL',
  'network.marketAddress': 'Market address',
  'network.tokens': 'Tokens on this network',
  'market.enabled': 'Take market jobs',
  'market.stake': 'Stake (tokens)',
  'market.autoWithdrawAbove': 'Withdraw automatically above (tokens)',
  'market.practice': 'Practice jobs on the local network',
  'accelerators.disabled': 'Never use',
  'accelerators.allowSoftwareAdapters': 'Allow software renderers',
  'updates.channel': 'Channel',
  'updates.autoInstall': 'Install updates automatically',
  'server.port': 'Port',
  'notifications.shown': 'Show as notifications',
  'notifications.webhookUrl': 'Webhook URL',
  'notifications.kinds': 'What to send',
};

/** Each kind of notice as a choice, the same for what is shown and what the webhook is sent. */
const NOTICE_KIND_LABELS: Record<string, string> = {
  'job-done': 'A private or posted job finished',
  'job-failed': 'A private job failed, or a posted one not accepted',
  payment: 'A payment received',
  'bench-done': 'A benchmark finished',
  'needs-you':
    'Roost needs you (the wallet locked while market jobs wait, a GPU too hot, a dispute for you to rule on, or a posted job no longer watched)',
};

/** Labels of a choice, by `section.key.value` (accelerators are named by executionProviderName). */
export const SETTING_OPTION_LABELS: Record<string, string> = {
  'general.theme.system': 'Same as the system',
  'general.theme.light': 'Light',
  'general.theme.dark': 'Dark',
  'work.mode.idle': 'When the computer is idle',
  'work.mode.always': 'Always',
  'work.mode.manual': 'Only when I start it',
  'network.name.local': 'Built-in practice network (local)',
  'network.name.custom': 'Custom network',
  'network.tokens.unknown': 'Not said (counted as real money)',
  'network.tokens.test': 'Test money, no value',
  'network.tokens.real': 'Real money, worth my token value',
  'updates.channel.stable': 'Stable',
  'updates.channel.beta': 'Beta',
  ...Object.fromEntries(
    ['shown', 'kinds'].flatMap((field) =>
      Object.entries(NOTICE_KIND_LABELS).map(([kind, label]) => [
        `notifications.${field}.${kind}`,
        label,
      ]),
    ),
  ),
};

export const defaultSettings: Settings = {
  general: { theme: 'system', startAtLogin: false, onboarded: false },
  work: {
    mode: 'idle',
    idleMinutes: 10,
    pauseWhileGaming: true,
    avoidDisplayGpu: false,
    maxTemperatureC: 83,
    ...defaultWorkExtension,
  },
  pricing: {
    pricePerUnitHour: 0.05,
    electricityPricePerKwh: 0.25,
    currency: 'EUR',
    ...defaultPricingExtension,
  },
  network: { name: 'local', rpcUrl: null, marketAddress: null, tokens: 'unknown' },
  market: defaultMarketSettings,
  accelerators: { disabled: [], allowSoftwareAdapters: true },
  updates: { channel: 'stable', autoInstall: false },
  server: { port: 7787 },
  notifications: defaultNotificationSettings,
};

/** A patch of settings: any subset of the sections and of their fields. Unknown keys are refused. */
export const settingsPatchSchema = z
  .object({
    general: settingsSections.general.partial().strict().optional(),
    work: settingsSections.work.partial().strict().optional(),
    pricing: settingsSections.pricing.partial().strict().optional(),
    network: settingsSections.network.partial().strict().optional(),
    market: settingsSections.market.partial().strict().optional(),
    accelerators: settingsSections.accelerators.partial().strict().optional(),
    updates: settingsSections.updates.partial().strict().optional(),
    server: settingsSections.server.partial().strict().optional(),
    notifications: settingsSections.notifications.partial().strict().optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

// ---------------------------------------------------------------------------------------------
// Methods

export const warningSchema = z.object({
  /** Identifies the warning for `agent.dismissWarning`. */
  id: z.string(),
  code: z.string(),
  message: z.string(),
  /** When the warning was raised (ISO 8601). */
  at: z.string(),
});
export type AgentWarning = z.infer<typeof warningSchema>;

export const hostKindSchema = z.enum(['electron', 'serve', 'cli', 'test']);

export const agentStatusSchema = z.object({
  state: z.enum(['starting', 'running', 'stopping']),
  host: hostKindSchema,
  startedAt: z.string(),
  uptimeSeconds: z.number().nonnegative(),
  dataDir: z.string(),
  /**
   * The dashboard's HTTP server of `roost serve`: the port it listens on, and what chose it
   * (`--port`, or the `server.port` setting as it was at start). Null where there is none (the
   * desktop app, a CLI command).
   */
  server: z
    .object({
      port: z.number().int().min(1).max(65535),
      portFrom: z.enum(['flag', 'setting']),
    })
    .nullable(),
  /** Things the user should know, each with what to do. */
  warnings: z.array(warningSchema),
});
export type AgentStatus = z.infer<typeof agentStatusSchema>;

export const agentVersionSchema = z.object({
  roost: z.string(),
  contract: z.number().int(),
  node: z.string(),
  electron: z.string().optional(),
  platform: z.string(),
  arch: z.string(),
});
export type AgentVersion = z.infer<typeof agentVersionSchema>;

const noParams = z.object({}).strict().default({});

export const logLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);

/** One line of the agent's log, as the `agent.log` event and `agent.activity` carry it. */
export const logEntrySchema = z.object({
  level: logLevelSchema,
  /** The part of the agent that logged, e.g. `settings`, `server`. */
  subsystem: z.string(),
  message: z.string(),
  at: z.string(),
});

/**
 * The desktop app's remembered unlock (Electron safeStorage): whether the system keychain can keep
 * the wallet password here, and whether it does. `roost serve` has no keychain: never available.
 */
export const unlockMemoryStatusSchema = z.object({
  available: z.boolean(),
  /** A password is remembered and unlocks the wallet when the desktop app starts. */
  remembered: z.boolean(),
  /** Why it is not available, in words for the Wallet page; null when it is. */
  why: z.string().nullable(),
  /** safeStorage's backend on Linux (`gnome_libsecret`, `kwallet5`, `basic_text`, ...); else null. */
  backend: z.string().nullable(),
});
export type UnlockMemoryStatus = z.infer<typeof unlockMemoryStatusSchema>;

/** Every method: `domain.verb`, its params and its result value. */
export const methods = {
  'agent.status': {
    summary: 'State of the agent: host, uptime, data folder, dashboard port and warnings.',
    params: noParams,
    result: agentStatusSchema,
  },
  'agent.version': {
    summary: 'Versions of Roost, the API contract, Node and Electron.',
    params: noParams,
    result: agentVersionSchema,
  },
  'agent.dismissWarning': {
    summary: 'Remove a warning the user has read from agent.status.',
    params: z.object({ id: z.string().min(1).max(100) }).strict(),
    result: z.object({ dismissed: z.boolean() }),
  },
  'agent.activity': {
    summary:
      "The agent's latest log lines (info and up, oldest first), for a page opened after they were logged.",
    params: z
      .object({ limit: z.int().min(1).max(200).default(50) })
      .strict()
      .default({ limit: 50 }),
    result: z.object({ entries: z.array(logEntrySchema) }),
  },
  'hardware.list': {
    summary:
      'Every GPU found, with VRAM, driver, which drives the display, and what could not be read.',
    params: z.object({ refresh: z.boolean().optional() }).strict().default({}),
    result: gpuInventorySchema,
  },
  'hardware.probe': {
    summary: 'Which onnxruntime accelerators really work here, and why not (cached per driver).',
    params: z.object({ force: z.boolean().optional() }).strict().default({}),
    result: probeReportSchema,
  },
  'hardware.detect': {
    summary: 'Every GPU with the accelerators it can use, the CPU and the OS (roost detect).',
    params: z
      .object({ refresh: z.boolean().optional(), force: z.boolean().optional() })
      .strict()
      .default({}),
    result: detectReportSchema,
  },
  'hardware.installCuda': {
    summary:
      "Install onnxruntime's CUDA 12 libraries for NVIDIA GPUs (several hundred MB, from outside the npm registry), then test the accelerators again (roost gpu install-cuda).",
    params: noParams,
    result: installCudaResultSchema,
  },
  'hardware.telemetry': {
    summary: 'Recent telemetry samples (1 Hz, the last hour), for one GPU or all.',
    params: z
      .object({
        gpuId: z.string().min(1).max(200).optional(),
        sinceMs: z.number().nonnegative().optional(),
      })
      .strict()
      .default({}),
    result: z.object({ samples: z.array(telemetrySampleSchema) }),
  },
  'schedule.status': {
    summary: 'What each GPU is doing (working, idle, paused), why, until when, and your holds.',
    params: noParams,
    result: z.object({ decisions: z.array(gpuDecisionSchema), holds: z.array(manualHoldSchema) }),
  },
  'schedule.hold': {
    summary: 'Start or pause one GPU (or all) by hand, until a time or until you clear it.',
    params: manualHoldInputSchema,
    result: z.object({ decisions: z.array(gpuDecisionSchema), holds: z.array(manualHoldSchema) }),
  },
  'schedule.clearHold': {
    summary: 'Hand one GPU (or all, with gpuId null) back to the work policy.',
    params: z.object({ gpuId: z.string().min(1).max(200).nullable() }).strict(),
    result: z.object({ decisions: z.array(gpuDecisionSchema), holds: z.array(manualHoldSchema) }),
  },
  'diagnostics.whyNoJobs': {
    summary: 'Why this machine gets no jobs (or that it is working), each problem with its fix.',
    params: noParams,
    result: whyNoJobsSchema,
  },
  'diagnostics.supportBundle': {
    summary: 'Write a zip of logs, redacted settings, reports and probe results for support staff.',
    params: supportBundleParamsSchema.default({}),
    result: supportBundleResultSchema,
  },
  'diagnostics.supportBundleFile': {
    summary:
      "A support bundle written to the data folder (its file name, as diagnostics.supportBundle answered), for saving from the page; base64, or a link to stream it from (`as: 'link'`, roost serve).",
    params: z
      .object({
        fileName: z
          .string()
          .regex(
            /^roost-support-[A-Za-z0-9._-]+\.zip$/,
            'a support bundle file name (roost-support-….zip)',
          ),
        as: downloadAsSchema.optional(),
      })
      .strict(),
    result: downloadSchema,
  },
  ...walletMethods,
  ...marketMethods,
  ...notifyMethods,
  'bench.targets': {
    summary: 'What can be benchmarked here: each execution provider and device that works.',
    params: noParams,
    result: z.object({ targets: z.array(benchTargetSchema) }),
  },
  'bench.run': {
    summary: `Run the standard benchmark ${STD_SUITE_ID} and save its signed report (progress: bench.progress).`,
    params: benchRunParamsSchema,
    result: benchRunResultSchema,
  },
  'bench.history': {
    summary: 'Saved benchmark reports, newest first, with their composite scores.',
    params: z
      .object({ limit: z.number().int().min(1).max(1000).optional() })
      .strict()
      .default({}),
    result: z.object({ reports: z.array(benchHistoryEntrySchema) }),
  },
  'bench.get': {
    summary: 'One saved signed report, whole.',
    params: z.object({ id: z.string().min(1).max(100) }).strict(),
    result: signedReportSchema,
  },
  'bench.export': {
    summary: 'A report as JSON, standalone HTML or PDF, written to a file or returned.',
    params: benchExportParamsSchema,
    result: benchExportResultSchema,
  },
  'bench.verify': {
    summary:
      "Check a report's schema, suite hash and signature (and that an exported HTML page shows what its signed report says), and say who signed it.",
    params: z
      .object({
        file: z.string().min(1).max(4096).optional(),
        text: z.string().min(1).max(50_000_000).optional(),
      })
      .strict()
      .refine((p) => (p.file === undefined) !== (p.text === undefined), {
        message: 'give either file or text',
      }),
    result: verifyResultSchema,
  },
  'yield.estimate': {
    summary: 'What your GPU earns per hour and per day at your price, net of electricity.',
    params: noParams,
    result: z.object({
      estimates: z.array(yieldEstimateSchema),
      missing: z.string().nullable(),
      /** What to know about the figures, e.g. a chain Roost does not know (its tokens' value). */
      notes: z.array(z.string()).optional(),
    }),
  },
  'yield.payoutsCsv': {
    summary: 'Your earnings and withdrawals from the chain, as CSV (for taxes).',
    params: noParams,
    result: z.object({ csv: z.string(), rows: z.number().int().nonnegative() }),
  },
  ...earningsMethods,
  'job.submit': {
    summary: 'Queue a job from a roost.job/1 spec (artifacts by file: or http(s): URI and sha256).',
    params: jobSpecSchema,
    result: jobSummarySchema,
  },
  'job.add': {
    summary:
      'Queue a private job from files on this machine: a model and .npy inputs (a folder: one input set per file). With split, the batch as that many jobs, one per GPU at a time; `parts` lists them all.',
    params: runRequestSchema,
    result: jobSummarySchema.extend({ parts: z.array(jobSummarySchema).optional() }),
  },
  'job.inspectModel': {
    summary:
      'What a model file on this machine takes and gives: its inputs and outputs (name, .npy dtype, shape), opsets, size and external data files; or why Roost would refuse it.',
    params: z.object({ model: z.string().min(1).max(4096) }).strict(),
    result: modelInspectionSchema,
  },
  'job.run': {
    summary:
      'Run a private job from files now and wait for it; outputs as .npy and a signed result. With split, every part, in `parts`.',
    params: runRequestSchema,
    result: jobDetailSchema.extend({ parts: z.array(jobDetailSchema).optional() }),
  },
  'job.list': {
    summary: 'Jobs, newest first: queued, running and finished.',
    params: z
      .object({
        states: z.array(jobStateSchema).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict()
      .default({}),
    result: z.object({
      jobs: z.array(jobSummarySchema),
      /** How many jobs are in each state, all of them (not only those listed). */
      counts: jobCountsSchema.optional(),
    }),
  },
  'job.show': {
    summary: 'One job: its spec, progress, provider, outputs, receipt and errors.',
    params: z.object({ id: z.string().min(1).max(200) }).strict(),
    result: jobDetailSchema,
  },
  'job.download': {
    summary:
      "A finished job's files for saving from the page: one output (`file` as the receipt names it), result.json or spec.json, or without `file` a zip of them all; base64 up to 64 MiB, or a link to stream it from (`as: 'link'`, roost serve).",
    params: jobDownloadParamsSchema,
    result: downloadSchema,
  },
  'job.uploadFiles': {
    summary:
      'Files chosen on the browser dashboard, for a job: where each will be on this machine and a one-use link to PUT its bytes to (`PUT /upload/<ticket>`, exactly the size given; roost serve only). Files asked for together land in one folder.',
    params: uploadFilesParamsSchema,
    result: uploadFilesResultSchema,
  },
  'job.outputPreview': {
    summary:
      'One output of a finished job at a glance: how many values, min, max and mean of the finite ones, how many are NaN or infinite, the first few.',
    params: jobOutputPreviewParamsSchema,
    result: outputPreviewSchema,
  },
  'job.cancel': {
    summary: 'Cancel a queued or running job; its worker is stopped.',
    params: z.object({ id: z.string().min(1).max(200) }).strict(),
    result: jobSummarySchema,
  },
  'job.cancelQueued': {
    summary:
      'Cancel every private job still queued (none has started); running jobs and market jobs go on.',
    params: z.object({}).strict().default({}),
    result: z.object({ cancelled: z.array(z.string()) }),
  },
  'job.runAgain': {
    summary:
      'Queue a finished private job again as a new job: the same spec (its files by sha256), device and output folder. The old job stays.',
    params: z.object({ id: z.string().min(1).max(200) }).strict(),
    result: jobSummarySchema,
  },
  'job.runNext': {
    summary:
      'Put a queued job at the front of the queue: the next to take a free GPU. Claimed market jobs (their leases have deadlines) and a job whose files are fetched already still go first.',
    params: z.object({ id: z.string().min(1).max(200) }).strict(),
    result: jobSummarySchema,
  },
  'job.remove': {
    summary:
      "Remove finished jobs, by id or all that finished before a time: their folders (inputs, outputs, result) and journal rows. A market job goes once its lease is done with it (paid, ended or given up; the lease and what it paid stay); before that it stays, and by id refuses the whole call, as an unknown or unfinished job does. A job summary's `removable` says which ones go.",
    params: jobRemoveParamsSchema,
    result: jobRemoveResultSchema,
  },
  'settings.get': {
    summary: 'The current settings, defaults filled in.',
    params: noParams,
    result: settingsSchema,
  },
  'settings.update': {
    summary: 'Change some settings; returns the settings as saved.',
    params: settingsPatchSchema,
    result: settingsSchema,
  },
  'unlock.status': {
    summary: 'Whether the desktop app can remember the wallet password with the system keychain.',
    params: noParams,
    result: unlockMemoryStatusSchema,
  },
  'unlock.remember': {
    summary: 'Unlock with the password and remember it with the system keychain (desktop app).',
    // A bare string, like the wallet's secrets: a refusal must never quote it back.
    params: z.object({ password: z.string() }).strict(),
    result: unlockMemoryStatusSchema,
  },
  'unlock.forget': {
    summary: 'Forget the remembered wallet password; the wallet stays as it is.',
    params: noParams,
    result: unlockMemoryStatusSchema,
  },
} as const satisfies Record<string, { summary: string; params: z.ZodType; result: z.ZodType }>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<Methods[M]['result']>;
export const methodNames = Object.keys(methods) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

// ---------------------------------------------------------------------------------------------
// Events: `domain.noun` or past tense, each with its payload.

export const events = {
  'agent.log': logEntrySchema,
  /** roost serve: a notice for the browser dashboard to show (agent/notify/notices.ts). */
  'agent.notice': noticeEventSchema,
  'settings.changed': settingsSchema,
  /** One reading of one GPU, about once a second per GPU. */
  'hardware.telemetry': telemetrySampleSchema,
  /** The CUDA libraries' install: checking, downloading, extracting, verifying (or rolling back). */
  'hardware.installCudaProgress': installCudaProgressSchema,
  /** The work policy changed a GPU's state (or the reason for it). */
  'schedule.changed': z.object({ decisions: z.array(gpuDecisionSchema) }),
  ...walletEvents,
  ...marketEvents,
  /** A benchmark's progress: its phase, workload and fraction done. */
  'bench.progress': benchProgressSchema,
  /** A job moved to another state (queued, fetching, running, done, failed, cancelled). */
  'job.stateChanged': jobStateChangedSchema,
  /** A job's progress: its stage and input sets done. */
  'job.progress': jobProgressEventSchema,
  /** Finished jobs were removed (their folders and rows): lists drop them. */
  'job.removed': jobRemovedSchema,
} as const satisfies Record<string, z.ZodType>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;
export const eventNames = Object.keys(events) as EventName[];

export type AgentEvent = {
  [E in EventName]: { event: E; payload: EventPayload<E> };
}[EventName];

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}

/**
 * What users call each execution provider, and an adapter's name with "inferred" where it was
 * (the UI says the same as the CLI and the reports).
 */
export { adapterName, executionProviderName } from '../hardware/schema.ts';

/** The text form of `work.windows` for the Settings form and the CLI. */
export { formatTimeWindows, parseTimeWindows } from '../schedule/schema.ts';

/** Amounts rounded for people to read (the UI and the CLI round alike; JSON stays exact). */
export { estimateForPeople, forPeople } from '../schedule/schema.ts';
/** A wallet history entry's direction and words (the CLI and the Wallet page say the same). */
export { historyWords } from '../wallet/schema.ts';
/** What came of a send or a withdrawal (the CLI and the Wallet page say the same). */
export { sentWords } from '../wallet/schema.ts';
/** What a network's tokens are worth and why (the CLI and the pages say the same). */
export { networkTokensWords } from '../wallet/schema.ts';
/** A time as the market's messages write it (the CLI and the agent say the same). */
export { timeWords } from '../market/schema.ts';
/** What a lab does after deploying its market (the CLI and the Settings page say the same). */
export { MAX_MARKET_FEE_BPS, deployNextSteps } from '../market/schema.ts';
/** A posted job's lease in words (the CLI's requests and the Jobs page say the same). */
export { leaseViewWords } from '../market/schema.ts';
/** The answer to `PUT /upload/<ticket>`, for the page to check. */
export { uploadedFileSchema, type UploadedFile } from '../jobs/schema.ts';
/** A posted job's lease length and deadline when the poster names none (the agent's and the form's). */
export { DEFAULT_POST_DEADLINE_SECONDS, DEFAULT_POST_LEASE_SECONDS } from '../market/schema.ts';
/** A job's sandbox, time and durations in words (the CLI and the Jobs page say the same). */
export {
  durationWords,
  jobTimeWords,
  jobWords,
  leftWords,
  queuePlaceWords,
  remainingMs,
  sandboxWords,
  type PaceStart,
} from '../jobs/schema.ts';
/** Disk space in words (`340 MB`, `1.2 GB`): what removing jobs frees, on the CLI and the page. */
export { diskWords, previewWords } from '../jobs/schema.ts';
/** The standard benchmark suite this build runs (`roost-std/4`). */
export { STD_SUITE_ID } from '../bench/schema.ts';
