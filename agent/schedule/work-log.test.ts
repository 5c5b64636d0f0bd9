import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openMarketDb } from '../market/db.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import { earningsChart } from './earnings.ts';
import type { GpuDecision } from './schema.ts';
import { MACHINE_UNIT, openWorkLog, workUnits, type WorkUnit } from './work-log.ts';

const T0 = Date.parse('2025-06-04T08:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(flushMs = MIN) {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const path = join(dir.path, 'jobs', 'jobs.sqlite');
  const clock = { now: T0 };
  const open = () => {
    const db = openMarketDb(path);
    cleanups.push(() => {
      if (db.isOpen) db.close();
    });
    return { db, log: openWorkLog({ db, now: () => clock.now, flushMs }) };
  };
  return { clock, open, path };
}

const gpu = (id: string, working: boolean, gross = '2', powerW: number | null = 200): WorkUnit => ({
  id,
  working,
  grossPerHour: gross,
  powerW,
});

describe('the work log', () => {
  it('records each GPU working, extends it by heartbeat and closes it when work stops', async () => {
    const { clock, open } = await setup();
    const { log } = open();
    log.observe([gpu('a', true, '2', 200), gpu('b', false)]);
    clock.now += 30 * MIN;
    log.observe([gpu('a', true, '2', 300), gpu('b', true, '0', 100)]);
    clock.now += 30 * MIN;
    log.observe([gpu('a', false), gpu('b', true, '0', 100)]);
    clock.now += 30 * MIN;
    const periods = log.periods({ sinceMs: T0 - HOUR });
    expect(periods).toEqual([
      {
        gpuId: 'a',
        start: '2025-06-04T08:00:00.000Z',
        end: '2025-06-04T09:00:00.000Z',
        grossPerHour: '2',
        powerW: 250,
      },
      // Still open: it ends now.
      {
        gpuId: 'b',
        start: '2025-06-04T08:30:00.000Z',
        end: '2025-06-04T09:30:00.000Z',
        grossPerHour: '0',
        powerW: 100,
      },
    ]);
    expect(log.periods({ sinceMs: T0 - HOUR, gpuId: 'b' })).toHaveLength(1);
    // A window that ends before b started leaves it out.
    expect(log.periods({ sinceMs: T0, untilMs: T0 + 10 * MIN }).map((p) => p.gpuId)).toEqual(['a']);

    // Predicted = 1 h × 2 tokens/h, electricity = 0.25 kWh × 0.4 for a.
    const chart = earningsChart({
      range: '24h',
      now: clock.now,
      timeZone: 'UTC',
      payouts: [],
      periods,
      electricityPricePerKwh: '0.4',
      currency: 'EUR',
      token: 'rUSD',
      gpuId: 'a',
    });
    expect(chart.totals).toMatchObject({ predicted: '2.000000', electricity: '0.100000' });
  });

  it('starts a new period when the rate changes (a new price or benchmark)', async () => {
    const { clock, open } = await setup();
    const { log } = open();
    log.observe([gpu('a', true, '2')]);
    clock.now += 10 * MIN;
    log.observe([gpu('a', true, '3')]);
    clock.now += 10 * MIN;
    log.close();
    expect(log.periods({ sinceMs: 0 }).map((p) => [p.grossPerHour, p.start, p.end])).toEqual([
      ['2', '2025-06-04T08:00:00.000Z', '2025-06-04T08:10:00.000Z'],
      ['3', '2025-06-04T08:10:00.000Z', '2025-06-04T08:20:00.000Z'],
    ]);
  });

  it('after a crash the period ends at the last heartbeat, and a restart opens a new one', async () => {
    const { clock, open } = await setup(5 * MIN);
    const first = open();
    first.log.observe([gpu('a', true)]);
    for (let i = 0; i < 12; i++) {
      clock.now += MIN;
      first.log.observe([gpu('a', true)]);
    }
    // Killed at 08:12 without close(): the last heartbeat was written at 08:10.
    first.db.close();
    clock.now += 18 * MIN;
    const second = open();
    expect(second.log.periods({ sinceMs: 0 })).toMatchObject([
      { start: '2025-06-04T08:00:00.000Z', end: '2025-06-04T08:10:00.000Z' },
    ]);
    second.log.observe([gpu('a', true)]);
    clock.now += 5 * MIN;
    expect(second.log.periods({ sinceMs: 0 }).map((p) => p.end)).toEqual([
      '2025-06-04T08:10:00.000Z',
      '2025-06-04T08:35:00.000Z',
    ]);
  });

  it('prunes what is older than it keeps', async () => {
    const { clock, path } = await setup();
    const db = openMarketDb(path);
    cleanups.push(() => db.close());
    const first = openWorkLog({ db, now: () => clock.now, keepDays: 2 });
    first.observe([gpu('a', true)]);
    clock.now += HOUR;
    first.close();
    // Back to back with the same rate (e.g. a restart within a second), then one later.
    first.observe([gpu('a', true)]);
    clock.now += HOUR;
    first.close();
    clock.now += 3 * 86_400_000;
    first.observe([gpu('a', true)]);
    clock.now += HOUR;
    first.close();
    // The daily compaction dropped the two periods older than two days.
    expect(first.periods({ sinceMs: 0 }).map((p) => [p.start, p.end])).toEqual([
      ['2025-06-07T10:00:00.000Z', '2025-06-07T11:00:00.000Z'],
    ]);
  });

  it('merges touching periods into one when it keeps them', async () => {
    const { clock, path } = await setup();
    const db = openMarketDb(path);
    cleanups.push(() => db.close());
    const log = openWorkLog({ db, now: () => clock.now });
    log.observe([gpu('a', true)]);
    clock.now += HOUR;
    log.close();
    log.observe([gpu('a', true)]);
    clock.now += HOUR;
    log.close();
    log.observe([gpu('a', true, '5')]);
    clock.now += HOUR;
    log.close();
    // Recent rows are left alone: another process may still be extending one.
    expect(openWorkLog({ db, now: () => clock.now }).periods({ sinceMs: 0 })).toHaveLength(3);
    clock.now += 2 * 86_400_000;
    const reopened = openWorkLog({ db, now: () => clock.now });
    expect(reopened.periods({ sinceMs: 0 }).map((p) => [p.grossPerHour, p.start, p.end])).toEqual([
      ['2', '2025-06-04T08:00:00.000Z', '2025-06-04T10:00:00.000Z'],
      ['5', '2025-06-04T10:00:00.000Z', '2025-06-04T11:00:00.000Z'],
    ]);
  });
});

describe('work units', () => {
  const decision = (gpuId: string, state: GpuDecision['state']): GpuDecision => ({
    gpuId,
    state,
    cause: state === 'working' ? 'always' : 'game',
    reason: state,
    heldBy: 'policy',
    until: null,
    since: new Date(T0).toISOString(),
    alsoApplies: [],
    lease: null,
  });

  it('gives the rate to the benchmarked GPU while it works, else to the first that works', () => {
    const power = (id: string) => (id === 'a' ? 250 : 90);
    const both = workUnits({
      decisions: [decision('a', 'working'), decision('b', 'working')],
      machineWorking: true,
      benchmarkedGpuId: 'b',
      grossPerHour: '4',
      powerW: power,
    });
    expect(both).toEqual([
      { id: 'a', working: true, grossPerHour: '0', powerW: 250 },
      { id: 'b', working: true, grossPerHour: '4', powerW: 90 },
    ]);
    const bPaused = workUnits({
      decisions: [decision('a', 'working'), decision('b', 'paused')],
      machineWorking: true,
      benchmarkedGpuId: 'b',
      grossPerHour: '4',
      powerW: power,
    });
    expect(bPaused.map((u) => [u.id, u.working, u.grossPerHour, u.powerW])).toEqual([
      ['a', true, '4', 250],
      ['b', false, '0', null],
    ]);
    // A rig: a, b and c are one model (one lease each), d is another card.
    const rig = workUnits({
      decisions: [
        decision('a', 'working'),
        decision('b', 'working'),
        decision('c', 'paused'),
        decision('d', 'working'),
      ],
      machineWorking: true,
      benchmarkedGpuId: 'b',
      grossPerHour: '4',
      marketGpuIds: new Set(['a', 'b', 'c']),
      powerW: power,
    });
    expect(rig.map((u) => [u.id, u.grossPerHour])).toEqual([
      ['a', '4'],
      ['b', '4'],
      ['c', '0'],
      ['d', '0'],
    ]);
  });

  it('without a GPU the machine is the unit; without a benchmark the rate is 0', () => {
    expect(
      workUnits({
        decisions: [],
        machineWorking: true,
        benchmarkedGpuId: null,
        grossPerHour: null,
        powerW: () => null,
      }),
    ).toEqual([{ id: MACHINE_UNIT, working: true, grossPerHour: '0', powerW: null }]);
  });
});
