/**
 * Parser for `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`, the format the
 * telemetry sampler streams once a second. Absent values (`[N/A]`, `N/A`, `[Not Supported]`,
 * `[Requested functionality has been deprecated]`) become null, never 0.
 */
import { isAbsent, normalizeBusId, toQuantity } from './tool-values.ts';

export interface NvidiaCsvColumn {
  /** Query field name, `memory.total`. */
  field: string;
  /** Unit from the header, `MiB`, when the header had one. */
  unit?: string;
}

export interface NvidiaCsvTable {
  columns: NvidiaCsvColumn[] | undefined;
  /** Cells, trimmed; null for an absent value. */
  rows: (string | null)[][];
  /** Lines that did not have the expected number of cells. */
  badLines: { line: number; text: string; reason: string }[];
}

/** `memory.total [MiB]` → `{ field: 'memory.total', unit: 'MiB' }`. */
export function parseCsvHeaderCell(cell: string): NvidiaCsvColumn {
  const m = /^(.*?)\s*\[([^\]]*)\]$/.exec(cell.trim());
  if (m?.[1] && m[2] !== undefined) return { field: m[1], unit: m[2] };
  return { field: cell.trim() };
}

export function splitCsvLine(line: string): (string | null)[] {
  return line.split(',').map((cell) => {
    const v = cell.trim();
    return isAbsent(v) ? null : v;
  });
}

/**
 * Read a whole CSV output. With `header: true` the first line names the columns; otherwise pass
 * `columns` (the count of queried fields) so short or long lines are caught.
 */
export function parseNvidiaCsv(
  text: string,
  options: { header: boolean; columns?: number },
): NvidiaCsvTable {
  const lines = text.split(/\r?\n/);
  const table: NvidiaCsvTable = { columns: undefined, rows: [], badLines: [] };
  let expected = options.columns;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    if (options.header && table.columns === undefined) {
      table.columns = line.split(',').map(parseCsvHeaderCell);
      expected = table.columns.length;
      return;
    }
    const cells = splitCsvLine(line);
    if (expected !== undefined && cells.length !== expected) {
      table.badLines.push({
        line: index + 1,
        text: line.slice(0, 200),
        reason: `expected ${expected} values, got ${cells.length}`,
      });
      return;
    }
    table.rows.push(cells);
  });
  return table;
}

/** The fields the telemetry sampler asks for, in order. All exist since driver 3xx. */
export const TELEMETRY_FIELDS = [
  'index',
  'pci.bus_id',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
  'clocks.sm',
  'clocks.mem',
  'fan.speed',
] as const;

export interface NvidiaTelemetryReading {
  index: number;
  busId: string;
  utilizationPct: number | null;
  vramUsedBytes: number | null;
  vramTotalBytes: number | null;
  temperatureC: number | null;
  powerW: number | null;
  graphicsClockMHz: number | null;
  memoryClockMHz: number | null;
  fanPct: number | null;
}

export type TelemetryLine =
  { ok: true; reading: NvidiaTelemetryReading } | { ok: false; reason: string };

const MiB = 1024 * 1024;

/**
 * One `noheader,nounits` line of TELEMETRY_FIELDS. Each value is range-checked; a line with a
 * garbage value or the wrong number of cells is rejected as a whole.
 */
export function parseTelemetryLine(line: string): TelemetryLine {
  const cells = splitCsvLine(line.trim());
  if (cells.length !== TELEMETRY_FIELDS.length) {
    return {
      ok: false,
      reason: `expected ${TELEMETRY_FIELDS.length} values, got ${cells.length}`,
    };
  }
  const [index, bus, util, used, total, temp, power, sm, mem, fan] = cells;
  const busId = normalizeBusId(bus ?? undefined);
  const gpuIndex = index === null || index === undefined ? undefined : Number(index);
  if (busId === undefined || gpuIndex === undefined || !Number.isInteger(gpuIndex)) {
    return { ok: false, reason: `no GPU index/bus id in "${line.slice(0, 120)}"` };
  }
  const problems: string[] = [];
  const num = (
    name: string,
    value: string | null | undefined,
    min: number,
    max: number,
    unit = '',
  ): number | null => {
    if (value === null || value === undefined) return null;
    const n = toQuantity(value, unit);
    if (n === undefined || n < min || n > max) {
      problems.push(`${name}="${value}"`);
      return null;
    }
    return n;
  };
  const reading: NvidiaTelemetryReading = {
    index: gpuIndex,
    busId,
    utilizationPct: num('utilization.gpu', util, 0, 100, '%'),
    vramUsedBytes: mul(num('memory.used', used, 0, 16 * 1024 * 1024, 'MiB'), MiB),
    vramTotalBytes: mul(num('memory.total', total, 0, 16 * 1024 * 1024, 'MiB'), MiB),
    temperatureC: num('temperature.gpu', temp, -50, 200, 'C'),
    powerW: num('power.draw', power, 0, 5000, 'W'),
    graphicsClockMHz: num('clocks.sm', sm, 0, 20000, 'MHz'),
    memoryClockMHz: num('clocks.mem', mem, 0, 50000, 'MHz'),
    fanPct: num('fan.speed', fan, 0, 100, '%'),
  };
  if (problems.length > 0) {
    return { ok: false, reason: `unreadable values: ${problems.join(', ')}` };
  }
  return { ok: true, reading };
}

function mul(value: number | null, factor: number): number | null {
  return value === null ? null : value * factor;
}
