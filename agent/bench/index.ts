/**
 * agent/bench: the Roost standard benchmark `roost-std/4` and its signed reports. The agent uses
 * createBenchService(); the pieces are exported for the CLI, the scripts under bench/ and tests.
 */
export {
  BenchError,
  benchTargets,
  createBenchService,
  newestScored,
  reportForMarket,
  resolveTarget,
} from './service.ts';
export type {
  BenchExportOptions,
  BenchRunOptions,
  BenchService,
  BenchServiceOptions,
} from './service.ts';
export { createNodeBenchSpawner, defaultBenchEntry } from './child.ts';
export type { BenchChild, BenchChildExit, BenchLaunch, SpawnBenchChild } from './child.ts';
export { canonicalDigest, canonicalJson } from './canonical.ts';
export { extractReportFromHtml, renderReportHtml } from './html.ts';
export { findChromium, pdfPageCount, renderPdfWithChromium } from './pdf.ts';
export { PRESETS, TEST_PROTOCOL } from './protocol.ts';
export { composite, throughput } from './score.ts';
export { reportDigest, signReport, signingMessage, verifyReport } from './sign.ts';
export { coefficientOfVariation, timingStats } from './stats.ts';
export { STD_SUITE, STD_SUITE_ID, SUITES, TINY_SUITE, suiteHash } from './suite.ts';
export { reportJsonSchema } from './json-schema.ts';
export * from './schema.ts';
