/**
 * Small, strict readers for the values GPU tools print: `8192 MiB`, `175.00 W`, `[N/A]`,
 * `[Not Supported]`, `0x1F0210DE`. Each returns undefined for "the tool has no value" and for
 * anything it does not recognise, so garbage never becomes a number.
 */

/** Values nvidia-smi, rocm-smi and amd-smi print for "no value here". */
const absent =
  /^\[?(n\/a|not supported|unknown error|requested functionality has been deprecated|insufficient permissions|gpu is lost|no data|none)\]?$/i;

export function isAbsent(value: string): boolean {
  const v = value.trim();
  return v === '' || absent.test(v) || /^N\/A \(.*\)$/i.test(v);
}

/** A plain decimal number (`12`, `-3`, `45.0`, `1.5e3`). */
export function toNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

const unitFactors: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

/** `8192 MiB` → bytes. A bare number is taken in `defaultUnit`. */
export function toBytes(value: string | undefined, defaultUnit = 'b'): number | undefined {
  if (value === undefined || isAbsent(value)) return undefined;
  const m = /^(-?\d+(?:\.\d+)?)\s*([a-z]+)?$/i.exec(value.trim());
  if (!m?.[1]) return undefined;
  const factor = unitFactors[(m[2] ?? defaultUnit).toLowerCase()];
  if (factor === undefined) return undefined;
  const n = Number(m[1]) * factor;
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined;
}

/** `175.00 W`, `300 MHz`, `65 %`, `14 C` → the number, if the unit is the expected one. */
export function toQuantity(value: string | undefined, unit: string): number | undefined {
  if (value === undefined || isAbsent(value)) return undefined;
  const v = value.trim();
  const escaped = unit.replace(/[.*+?^${}()|[\]\\%]/g, '\\$&');
  const m = new RegExp(`^(-?\\d+(?:\\.\\d+)?)\\s*(?:${escaped})?$`, 'i').exec(v);
  if (!m?.[1]) return undefined;
  return toNumber(m[1]);
}

/** `0x67df`, `67DF` → `67df`; anything but 4 hex digits → undefined. */
export function toPciId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:0x)?([0-9a-f]{4})$/i.exec(value.trim());
  return m?.[1]?.toLowerCase();
}

/**
 * nvidia-smi's `pci_device_id`/`pci_sub_system_id` (`1F0210DE`, `0x1F0210DE`): device id in the
 * high 16 bits, vendor id in the low 16 bits.
 */
export function splitPciCombined(
  value: string | undefined,
): { vendorId: string; deviceId: string } | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:0x)?([0-9a-f]{4})([0-9a-f]{4})$/i.exec(value.trim());
  if (!m?.[1] || !m[2]) return undefined;
  return { deviceId: m[1].toLowerCase(), vendorId: m[2].toLowerCase() };
}

/**
 * A PCI address in any form tools print (`00000000:01:00.0`, `0000:1E:00.0`, `01:00.0`) →
 * `0000:01:00.0`. Undefined for anything else.
 */
export function normalizeBusId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(value.trim());
  if (!m?.[2] || !m[3] || !m[4]) return undefined;
  const domain = parseInt(m[1] ?? '0', 16);
  if (domain > 0xffff) return undefined;
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  return `${hex(domain, 4)}:${hex(parseInt(m[2], 16), 2)}:${hex(parseInt(m[3], 16), 2)}.${m[4]}`;
}

/** Trimmed text, or undefined when absent. */
export function toText(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return isAbsent(v) ? undefined : v;
}
