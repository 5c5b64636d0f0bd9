import { describe, expect, it } from 'vitest';
import {
  parseCsvHeaderCell,
  parseNvidiaCsv,
  parseTelemetryLine,
  TELEMETRY_FIELDS,
} from './nvidia-smi-csv.ts';
import { fixture, fixtureFiles, replayLines } from './testing/fixtures.ts';

describe('parseNvidiaCsv on every real nvidia-smi --format=csv output', () => {
  for (const file of fixtureFiles('nvidia-smi-csv')) {
    const hasHeader = !/noheader/.test(file);
    it(`reads ${file}`, () => {
      const table = parseNvidiaCsv(fixture(file), { header: hasHeader });
      expect(table.badLines).toEqual([]);
      expect(table.rows.length).toBeGreaterThan(0);
      if (hasHeader) {
        expect(table.columns?.length).toBe(table.rows[0]?.length);
      }
    });
  }

  it('keeps [N/A], bare N/A and [Not Supported] out of values', () => {
    const na = parseNvidiaCsv(
      fixture('nvidia-smi-csv/noheader-nounits_2gb-gpu_new-driver_na.csv'),
      {
        header: false,
      },
    );
    const ns = parseNvidiaCsv(
      fixture('nvidia-smi-csv/noheader-nounits_2gb-gpu_old-driver_not-supported.csv'),
      { header: false },
    );
    expect(na.rows[0]).toEqual(['2004', '2004', '0', '44', null, '0', '0']);
    expect(ns.rows[0]).toEqual(na.rows[0]);
    const bare = parseNvidiaCsv(
      fixture('nvidia-smi-csv/geforce-rtx-2080_440.64_noheader-nounits_bare-NA.csv'),
      { header: false },
    );
    expect(bare.rows[0]?.[10]).toBeNull();
    const gtx770 = parseNvidiaCsv(
      fixture('nvidia-smi-csv/geforce-gtx-770_windows_noheader_not-supported.csv'),
      { header: false },
    );
    expect(gtx770.rows[0]?.filter((c) => c === null)).toHaveLength(8);
    const fanless = parseNvidiaCsv(
      fixture(
        'errors/nvidia-smi_fan-speed-noheader-nounits_not-supported_fanless-datacenter-gpu.txt',
      ),
      { header: false, columns: 1 },
    );
    expect(fanless.rows).toEqual([[null]]);
  });

  it('reads the header units and 8 GPUs of different memory sizes', () => {
    const table = parseNvidiaCsv(
      fixture(
        'nvidia-smi-csv/8x-tesla-v100-sxm2-32gb_query-index-name-memtotal-memused-util-temp.csv',
      ),
      { header: true },
    );
    expect(table.columns?.[2]).toEqual({ field: 'memory.total', unit: 'MiB' });
    expect(table.rows).toHaveLength(8);
    expect(table.rows[5]?.[2]).toBe('32764 MiB');
  });

  it('reports lines with the wrong number of cells', () => {
    const table = parseNvidiaCsv('1, 2, 3\n1, 2\n', { header: false, columns: 3 });
    expect(table.rows).toHaveLength(1);
    expect(table.badLines[0]).toMatchObject({ line: 2, reason: 'expected 3 values, got 2' });
  });

  it('splits header cells', () => {
    expect(parseCsvHeaderCell('temperature.gpu')).toEqual({ field: 'temperature.gpu' });
    expect(parseCsvHeaderCell(' power.draw [W] ')).toEqual({ field: 'power.draw', unit: 'W' });
  });
});

describe('parseTelemetryLine', () => {
  it('reads the sampler fields replayed from real captures', () => {
    const [h100] = replayLines(
      fixture('nvidia-smi-csv/h100-80gb-hbm3_590.48.01_linux_query-gpu-allfields_idle.csv'),
      TELEMETRY_FIELDS,
    );
    expect(h100).toBe('0, 00000000:00:09.0, 0, 0, 81559, 41, 69.85, 345, 2619, [N/A]');
    const parsed = parseTelemetryLine(h100 ?? '');
    expect(parsed).toEqual({
      ok: true,
      reading: {
        index: 0,
        busId: '0000:00:09.0',
        utilizationPct: 0,
        vramUsedBytes: 0,
        vramTotalBytes: 81559 * 1024 * 1024,
        temperatureC: 41,
        powerW: 69.85,
        graphicsClockMHz: 345,
        memoryClockMHz: 2619,
        fanPct: null,
      },
    });
    const [load] = replayLines(
      fixture('nvidia-smi-csv/geforce-rtx-4080-super_595.71.05_linux_query-gpu-allfields_load.csv'),
      TELEMETRY_FIELDS,
    );
    expect(parseTelemetryLine(load ?? '')).toMatchObject({
      ok: true,
      reading: { utilizationPct: 7, powerW: 84.24, fanPct: 0, temperatureC: 46 },
    });
  });

  it.each([
    ['', /expected 10 values/],
    ['0, 00000000:01:00.0, 7', /expected 10 values/],
    ['x, 00000000:01:00.0, 1, 2, 3, 4, 5, 6, 7, 8', /no GPU index/],
    ['0, nonsense, 1, 2, 3, 4, 5, 6, 7, 8', /no GPU index/],
    ['0, 00000000:01:00.0, 250, 2, 3, 4, 5, 6, 7, 8', /utilization.gpu="250"/],
    ['0, 00000000:01:00.0, 1, lots, 3, 4, 5, 6, 7, 8', /memory.used="lots"/],
  ])('rejects %j', (line, reason) => {
    const parsed = parseTelemetryLine(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
