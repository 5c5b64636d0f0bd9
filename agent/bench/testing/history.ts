/**
 * A `bench.history` entry for tests (the agent's and the renderer's): a complete quick CPU run
 * of the current suite, unless told otherwise.
 */
import { STD_SUITE_ID } from '../schema.ts';
import type { BenchHistoryEntry } from '../schema.ts';

export const historyEntry = (over: Partial<BenchHistoryEntry> = {}): BenchHistoryEntry => ({
  id: '3b1f6f0e-8d8a-4c1e-9a57-0d6f2b4c9a11',
  file: '/data/bench/reports/r.json',
  startedAt: '2026-11-25T12:00:00.000Z',
  suiteId: STD_SUITE_ID,
  current: true,
  preset: 'quick',
  ep: 'cpu',
  adapter: 'AMD EPYC',
  software: false,
  complete: true,
  composite: 146.6,
  compositeUnit: 'RCS',
  values: {},
  warnings: 0,
  signer: '0x0',
  digest: 'sha256:aa',
  ...over,
});
