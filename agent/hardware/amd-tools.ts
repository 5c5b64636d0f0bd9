/**
 * Parsers for AMD's tools: `rocm-smi ... --json` (inventory: names, memory, bus ids across ROCm
 * 4.3 to 6.x key spellings) and `amd-smi process --json` (which processes hold GPU memory).
 * The chip is identified by "Device ID"/"GPU ID", never by "Card model", which older rocm-smi
 * fills with the board's subsystem id (MI100: 0x0c34) or the vendor id (RX 6700 XT: 0x1002).
 */
import { z } from 'zod';
import type { GpuProblem, ToolProblem } from './schema.ts';
import { classifyAmdToolText } from './tool-errors.ts';
import { normalizeBusId, toNumber, toPciId, toText } from './tool-values.ts';

export interface RocmSmiGpu {
  /** `card0` */
  card: string;
  status: 'ok' | 'unreadable';
  problem?: GpuProblem;
  busId?: string;
  deviceId?: string;
  name?: string;
  vramBytes?: number;
  vramUsedBytes?: number;
  vbiosVersion?: string;
  gfxVersion?: string;
  temperatureC?: number;
  junctionC?: number;
  powerW?: number;
  powerCapW?: number;
  utilizationPct?: number;
  graphicsClockMHz?: number;
  memoryClockMHz?: number;
}

export type RocmSmiResult =
  { ok: true; driverVersion?: string; gpus: RocmSmiGpu[] } | { ok: false; problem: ToolProblem };

const cardSchema = z.record(z.string(), z.string());

export function parseRocmSmiJson(text: string): RocmSmiResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, problem: amdFailure('rocm-smi', text) };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, problem: amdFailure('rocm-smi', text) };
  }
  const entries = Object.entries(doc as Record<string, unknown>);
  const system = cardSchema.safeParse((doc as Record<string, unknown>).system);
  const gpus: RocmSmiGpu[] = entries
    .filter(([key]) => /^card\d+$/.test(key))
    .sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4)))
    .map(([card, value]) => readCard(card, value));
  const driverVersion = system.success ? toText(system.data['Driver version']) : undefined;
  return { ok: true, gpus, ...(driverVersion ? { driverVersion } : {}) };
}

function readCard(card: string, value: unknown): RocmSmiGpu {
  // Values are strings in every version seen; a number here and there is tolerated.
  const loose = z.record(z.string(), z.union([z.string(), z.number()])).safeParse(value);
  if (!loose.success) {
    return unreadable(card, `rocm-smi\u2019s entry for ${card} is not a list of values.`);
  }
  const v = (key: string) => {
    const raw = loose.data[key];
    return raw === undefined ? undefined : toText(String(raw));
  };
  const busId = normalizeBusId(v('PCI Bus'));
  const deviceId = toPciId(v('Device ID')) ?? toPciId(v('GPU ID'));
  if (!busId || !deviceId) {
    return unreadable(
      card,
      `rocm-smi gave no readable ${busId ? 'device id' : 'PCI bus'} for ${card}.`,
      busId,
    );
  }
  const gpu: RocmSmiGpu = { card, status: 'ok', busId, deviceId };
  const set = <K extends keyof RocmSmiGpu>(key: K, val: RocmSmiGpu[K] | undefined) => {
    if (val !== undefined) gpu[key] = val;
  };
  set(
    'name',
    humanName(v('Device Name')) ?? humanName(v('Card Series')) ?? humanName(v('Card series')),
  );
  set('vramBytes', nonNegative(toNumber(v('VRAM Total Memory (B)'))));
  set('vramUsedBytes', nonNegative(toNumber(v('VRAM Total Used Memory (B)'))));
  set('vbiosVersion', v('VBIOS version'));
  set('gfxVersion', v('GFX Version'));
  set('temperatureC', toNumber(v('Temperature (Sensor edge) (C)')));
  set('junctionC', toNumber(v('Temperature (Sensor junction) (C)')));
  set(
    'powerW',
    nonNegative(
      toNumber(v('Average Graphics Package Power (W)')) ??
        toNumber(v('Current Socket Graphics Package Power (W)')),
    ),
  );
  set('powerCapW', nonNegative(toNumber(v('Max Graphics Package Power (W)'))));
  const use = toNumber(v('GPU use (%)'));
  set('utilizationPct', use !== undefined && use >= 0 && use <= 100 ? use : undefined);
  set('graphicsClockMHz', clock(v('sclk clock speed:')));
  set('memoryClockMHz', clock(v('mclk clock speed:')));
  return gpu;
}

/** `(1200Mhz)` → 1200 */
function clock(value: string | undefined): number | undefined {
  const m = /^\(?(\d+(?:\.\d+)?)\s*mhz\)?$/i.exec(value ?? '');
  return m?.[1] ? Number(m[1]) : undefined;
}

/** Names that are really ids (`0x1002`, `0x73df`) are not names. */
function humanName(value: string | undefined): string | undefined {
  if (!value || /^(0x)?[0-9a-f]+$/i.test(value)) return undefined;
  return value;
}

function nonNegative(n: number | undefined): number | undefined {
  return n !== undefined && n >= 0 ? n : undefined;
}

function unreadable(card: string, message: string, busId?: string): RocmSmiGpu {
  return {
    card,
    status: 'unreadable',
    problem: { message, fix: 'Run `rocm-smi` by hand; if it also fails, reinstall ROCm.' },
    ...(busId ? { busId } : {}),
  };
}

function amdFailure(tool: string, text: string): ToolProblem {
  return (
    classifyAmdToolText(tool, text) ?? {
      tool,
      code: 'garbage',
      message: `${tool} printed something that is not JSON: ${preview(text)}`,
    }
  );
}

function preview(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  if (t === '') return '(nothing)';
  return t.length > 120 ? `${t.slice(0, 120)}\u2026` : t;
}

// ---------------------------------------------------------------------------------------------
// amd-smi process --json

export interface AmdSmiProcess {
  pid: number;
  name: string;
  vramBytes: number | null;
}

export type AmdSmiProcessResult =
  | { ok: true; gpus: { gpu: number; processes: AmdSmiProcess[] }[] }
  | { ok: false; problem: ToolProblem };

const valueUnit = z.object({ value: z.union([z.number(), z.string()]), unit: z.string() });
const processInfo = z.object({
  name: z.string(),
  pid: z.number().int().nonnegative(),
  memory_usage: z.object({ vram_mem: valueUnit.optional() }).optional(),
});
const processGpu = z.object({
  gpu: z.number().int().nonnegative(),
  process_list: z.array(z.object({ process_info: z.union([processInfo, z.string()]) })),
});

const byteUnits: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

export function parseAmdSmiProcessJson(text: string): AmdSmiProcessResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, problem: amdFailure('amd-smi', text) };
  }
  const parsed = z.array(processGpu).safeParse(doc);
  if (!parsed.success) {
    return {
      ok: false,
      problem: {
        tool: 'amd-smi',
        code: 'garbage',
        message: `amd-smi's process list has an unexpected shape (${parsed.error.issues[0]?.path.join('.') ?? '?'}).`,
      },
    };
  }
  return {
    ok: true,
    gpus: parsed.data.map((g) => ({
      gpu: g.gpu,
      processes: g.process_list.flatMap(({ process_info: p }) => {
        // Older amd-smi prints "No running processes detected" in place of the object.
        if (typeof p === 'string') return [];
        const mem = p.memory_usage?.vram_mem;
        const factor = mem ? byteUnits[mem.unit] : undefined;
        const amount = mem ? Number(mem.value) : NaN;
        const vramBytes = factor !== undefined && Number.isFinite(amount) ? amount * factor : null;
        return [{ pid: p.pid, name: p.name, vramBytes }];
      }),
    })),
  };
}
