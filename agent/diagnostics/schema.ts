/**
 * The shapes that leave `agent/diagnostics/`: typed warnings with their fix, the "why no jobs"
 * answer, and the support bundle's manifest and result. This file imports only zod, so
 * `agent/api/contract.ts` (zod only) can reuse these schemas for `diagnostics.*` methods.
 */
import { z } from 'zod';

export const diagnosticCodes = [
  'no-gpu',
  'driver-missing',
  'cuda-libraries-missing',
  'software-adapter-only',
  'thermal-throttling',
  'no-benchmark',
  'benchmark-outdated',
  'not-registered',
  'market-off',
  'score-too-low',
  'price-too-high',
  'schedule-blocks',
  'rpc-unreachable',
  'network-blocks',
  'wallet-missing',
  'wallet-locked',
  'gas-too-low',
  'market-empty',
] as const;
export const diagnosticCodeSchema = z.enum(diagnosticCodes);
export type DiagnosticCode = z.infer<typeof diagnosticCodeSchema>;

/** What the fix button does: run a command, open a setting, call an API method, or open a page. */
export const fixActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('command'), command: z.string() }),
  z.object({
    kind: z.literal('settings'),
    section: z.string(),
    field: z.string(),
    /** A value to offer (a suggested price), when there is one. */
    suggested: z.union([z.string(), z.number(), z.boolean()]).optional(),
  }),
  z.object({ kind: z.literal('method'), method: z.string() }),
  z.object({ kind: z.literal('url'), url: z.url() }),
]);
export type FixAction = z.infer<typeof fixActionSchema>;

export const diagnosticSchema = z.object({
  /** Stable while the cause lasts: `code` or `code:gpuId`. */
  id: z.string(),
  code: diagnosticCodeSchema,
  /** `error`: Roost can't work until fixed. `warning`: works worse. `info`: by choice or waiting. */
  severity: z.enum(['error', 'warning', 'info']),
  /** True when this alone keeps jobs from coming. */
  blocksJobs: z.boolean(),
  gpuId: z.string().nullable(),
  /** A few words for the Dashboard (`Wallet locked`). */
  title: z.string(),
  /** What is wrong, in plain words, with the facts that show it. */
  message: z.string(),
  /** What to do about it. */
  fix: z.string(),
  action: fixActionSchema.nullable(),
});
export type Diagnostic = z.infer<typeof diagnosticSchema>;

export const whyNoJobsSchema = z.object({
  /** `working`: a lease is running. `blocked`: something below keeps jobs away. `waiting`: nothing is wrong, no job fits yet. */
  answer: z.enum(['working', 'blocked', 'waiting']),
  /** One sentence for the Dashboard. */
  headline: z.string(),
  /** What keeps jobs away, most fundamental first. */
  blockers: z.array(diagnosticSchema),
  /** Everything else worth knowing. */
  warnings: z.array(diagnosticSchema),
  checkedAt: z.iso.datetime(),
});
export type WhyNoJobs = z.infer<typeof whyNoJobsSchema>;

// ---------------------------------------------------------------------------------------------
// Support bundle

export const bundleEntrySchema = z.object({
  /** Path inside the zip. */
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Where it came from (a path under the data folder, or `generated`). */
  source: z.string(),
  /** True when the text went through the redactor. */
  redacted: z.boolean(),
  /** What support staff should know about this copy (kept byte-identical, or what redaction cost). */
  note: z.string().optional(),
});
export type BundleEntry = z.infer<typeof bundleEntrySchema>;

export const bundleSkipSchema = z.object({ source: z.string(), why: z.string() });
export type BundleSkip = z.infer<typeof bundleSkipSchema>;

/** `manifest.json` inside the bundle, and the result of `buildSupportBundle`. */
export const bundleManifestSchema = z.object({
  format: z.literal(1),
  createdAt: z.iso.datetime(),
  roostVersion: z.string().nullable(),
  entries: z.array(bundleEntrySchema),
  skipped: z.array(bundleSkipSchema),
  /** How many secrets the redactor replaced, by kind. */
  redactions: z.record(z.string(), z.number().int().nonnegative()),
});
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

export const supportBundleResultSchema = bundleManifestSchema.extend({
  /** The zip written. */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
});
export type SupportBundleResult = z.infer<typeof supportBundleResultSchema>;

/** Params of a `diagnostics.supportBundle` method / `roost support bundle [--out <file.zip>]`. */
export const supportBundleParamsSchema = z
  .object({ out: z.string().min(1).max(4096).optional() })
  .strict();
