/**
 * GPU sources for Windows and macOS, and the systeminformation fallback for everything else:
 * - Windows: `Win32_VideoController` from PowerShell (Format-List) or `wmic ... /value`. Its
 *   PNPDeviceID carries the chip's own VEN/DEV ids, which systeminformation drops (it keeps only
 *   the board partner's SUBSYS id). AdapterRAM is a 32-bit field: 4 GiB and more read as ~4 GiB.
 * - macOS: `system_profiler -json SPDisplaysDataType`.
 * - anything else: systeminformation's `graphics()`, run in a child process because on Linux and
 *   Windows it calls nvidia-smi synchronously, with no timeout, which could hang the agent.
 */
import { z } from 'zod';
import { fallbackGpuName, vendorFromName, vendorFromPciId } from './pci-ids.ts';
import type { GpuVendor } from './schema.ts';
import { toNumber, toPciId } from './tool-values.ts';

/** A GPU as a desktop OS source describes it; merged into the inventory by listGpus(). */
export interface DesktopGpu {
  name: string;
  vendor: GpuVendor;
  pciVendorId: string | null;
  pciDeviceId: string | null;
  subsystemId?: string;
  vramBytes: number | null;
  vramShared?: boolean;
  driverVersion?: string;
  display: boolean;
  displayEvidence?: string;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Windows

/** Split `Format-List` or `/value` output into one key/value map per controller. */
export function splitWmiRecords(text: string): Record<string, string>[] {
  const records: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let lastKey: string | undefined;
  const flush = () => {
    if (Object.keys(current).length > 0) records.push(current);
    current = {};
    lastKey = undefined;
  };
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (raw.trim() === '') {
      // Format-List separates records with a blank line; `/value` uses several.
      if (
        current.PNPDeviceID !== undefined ||
        current.Caption !== undefined ||
        current.Name !== undefined
      ) {
        flush();
      }
      continue;
    }
    const listLine = /^(\S[^:=]*?)\s*:\s?(.*)$/.exec(raw);
    const valueLine = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (/^\s/.test(raw) && lastKey) {
      current[lastKey] = `${current[lastKey] ?? ''}${raw.trim()}`;
    } else if (valueLine?.[1]) {
      if (current[valueLine[1]] !== undefined) flush();
      current[valueLine[1]] = (valueLine[2] ?? '').trim();
      lastKey = valueLine[1];
    } else if (listLine?.[1]) {
      if (current[listLine[1]] !== undefined) flush();
      current[listLine[1]] = (listLine[2] ?? '').trim();
      lastKey = listLine[1];
    }
  }
  flush();
  return records;
}

/** `PCI\VEN_1002&DEV_6FDF&SUBSYS_0B311002&REV_EF\...` → ids. */
export function parsePnpDeviceId(
  value: string | undefined,
): { vendorId: string; deviceId: string; subsystemId?: string } | undefined {
  const m = /PCI\\VEN_([0-9A-F]{4})&DEV_([0-9A-F]{4})(?:&SUBSYS_([0-9A-F]{4})([0-9A-F]{4}))?/i.exec(
    value ?? '',
  );
  if (!m?.[1] || !m[2]) return undefined;
  const ids = { vendorId: m[1].toLowerCase(), deviceId: m[2].toLowerCase() };
  // SUBSYS_ssssvvvv: subsystem device, then subsystem vendor.
  return m[3] && m[4] ? { ...ids, subsystemId: `${m[4]}${m[3]}`.toLowerCase() } : ids;
}

const FOUR_GIB_CAP = 0xfff00000;

export function gpusFromWmi(text: string): DesktopGpu[] {
  return splitWmiRecords(text)
    .filter((r) => r.Name !== undefined || r.Caption !== undefined)
    .map((r) => {
      const ids = parsePnpDeviceId(r.PNPDeviceID);
      const notes: string[] = [];
      const vendor = ids ? vendorFromPciId(ids.vendorId) : vendorFromName(r.AdapterCompatibility);
      const ram = toNumber(r.AdapterRAM);
      let vramBytes: number | null = ram !== undefined && ram >= 0 ? ram : null;
      if (vramBytes !== null && vramBytes >= FOUR_GIB_CAP) {
        notes.push(
          'Windows reports at most 4 GiB here (AdapterRAM is 32-bit); the card may have more.',
        );
      }
      if (vramBytes === 0) vramBytes = null;
      const width = toNumber(r.CurrentHorizontalResolution);
      const display = width !== undefined && width > 0;
      const gpu: DesktopGpu = {
        name: r.Name || r.Caption || fallbackGpuName(ids?.vendorId ?? null, ids?.deviceId ?? null),
        vendor,
        pciVendorId: ids?.vendorId ?? null,
        pciDeviceId: ids?.deviceId ?? null,
        vramBytes,
        display,
        notes,
      };
      if (ids?.subsystemId) gpu.subsystemId = ids.subsystemId;
      if (r.DriverVersion) gpu.driverVersion = r.DriverVersion;
      if (display)
        gpu.displayEvidence = `drives a ${width}x${r.CurrentVerticalResolution ?? '?'} desktop`;
      if (r.Status && r.Status !== 'OK')
        notes.push(`Windows reports the device status as "${r.Status}".`);
      return gpu;
    });
}

export const WMI_COMMAND = {
  command: 'powershell.exe',
  args: [
    '-NoProfile',
    '-NonInteractive',
    '-Command',
    'Get-CimInstance -ClassName Win32_VideoController | Format-List Name,AdapterCompatibility,PNPDeviceID,DriverVersion,AdapterRAM,Status,CurrentHorizontalResolution,CurrentVerticalResolution',
  ],
} as const;

// ---------------------------------------------------------------------------------------------
// macOS

const spDisplaysSchema = z.object({
  SPDisplaysDataType: z.array(
    z
      .object({
        _name: z.string().optional(),
        sppci_model: z.string().optional(),
        sppci_cores: z.string().optional(),
        sppci_bus: z.string().optional(),
        spdisplays_vendor: z.string().optional(),
        'spdisplays_vendor-id': z.string().optional(),
        'spdisplays_device-id': z.string().optional(),
        spdisplays_vram: z.string().optional(),
        spdisplays_vram_shared: z.string().optional(),
        spdisplays_ndrvs: z
          .array(
            z.object({ _name: z.string().optional(), spdisplays_online: z.string().optional() }),
          )
          .optional(),
      })
      .loose(),
  ),
});

export type MacosResult = { ok: true; gpus: DesktopGpu[] } | { ok: false; message: string };

export function gpusFromSystemProfiler(text: string): MacosResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, message: 'system_profiler did not print JSON.' };
  }
  const parsed = spDisplaysSchema.safeParse(doc);
  if (!parsed.success)
    return { ok: false, message: 'system_profiler\u2019s display list has an unexpected shape.' };
  return {
    ok: true,
    gpus: parsed.data.SPDisplaysDataType.map((item) => {
      const vendorText = (item.spdisplays_vendor ?? '').replace(/^sppci_vendor_/, '');
      const pciVendorId = toPciId(item['spdisplays_vendor-id']) ?? null;
      const pciDeviceId = toPciId(item['spdisplays_device-id']) ?? null;
      const builtIn = (item.sppci_bus ?? '').includes('builtin');
      const vendor = pciVendorId ? vendorFromPciId(pciVendorId) : vendorFromName(vendorText);
      const monitors = (item.spdisplays_ndrvs ?? []).filter(
        (d) => d.spdisplays_online !== 'spdisplays_no',
      );
      const notes: string[] = [];
      if (item.sppci_cores) notes.push(`${item.sppci_cores} GPU cores.`);
      const vram = macVram(item.spdisplays_vram) ?? null;
      const gpu: DesktopGpu = {
        name: item.sppci_model ?? item._name ?? fallbackGpuName(pciVendorId, pciDeviceId),
        vendor,
        pciVendorId,
        pciDeviceId,
        vramBytes: vram,
        display: monitors.length > 0,
        notes,
      };
      if (vendor === 'apple' || (builtIn && vram === null)) gpu.vramShared = true;
      if (monitors.length > 0) {
        gpu.displayEvidence = `drives ${monitors.map((m) => m._name ?? 'a display').join(', ')}`;
      }
      return gpu;
    }),
  };
}

/** `8 GB`, `1536 MB` → bytes. */
function macVram(value: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(GB|MB)$/i.exec(value?.trim() ?? '');
  if (!m?.[1] || !m[2]) return undefined;
  return Number(m[1]) * (m[2].toUpperCase() === 'GB' ? 1024 ** 3 : 1024 ** 2);
}

export const SYSTEM_PROFILER_COMMAND = {
  command: '/usr/sbin/system_profiler',
  args: ['-json', 'SPDisplaysDataType'],
} as const;

// ---------------------------------------------------------------------------------------------
// systeminformation (child process)

/** What the si child prints: `{ controllers: [...] }` from `si.graphics()`. */
const siOutputSchema = z.object({
  controllers: z.array(
    z
      .object({
        vendor: z.string().optional(),
        model: z.string().optional(),
        name: z.string().optional(),
        vendorId: z.string().nullable().optional(),
        deviceId: z.string().nullable().optional(),
        subDeviceId: z.string().nullable().optional(),
        vram: z.number().nullable().optional(),
        vramDynamic: z.boolean().optional(),
        driverVersion: z.string().optional(),
        bus: z.string().optional(),
      })
      .loose(),
  ),
  displays: z.array(z.object({ main: z.boolean().optional() }).loose()).optional(),
});

export type SiResult = { ok: true; gpus: DesktopGpu[] } | { ok: false; message: string };

export function gpusFromSystemInformation(text: string): SiResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the systeminformation helper did not print JSON.' };
  }
  const parsed = siOutputSchema.safeParse(doc);
  if (!parsed.success)
    return { ok: false, message: 'systeminformation returned an unexpected shape.' };
  const single = parsed.data.controllers.length === 1 && (parsed.data.displays ?? []).length > 0;
  return {
    ok: true,
    gpus: parsed.data.controllers.map((c) => {
      const notes: string[] = [];
      let pciVendorId = toPciId(c.vendorId ?? undefined) ?? null;
      if (pciVendorId === '05ac') {
        // systeminformation writes Apple's USB vendor id; Apple silicon GPUs are not PCI devices.
        pciVendorId = null;
      }
      const pciDeviceId = toPciId(c.deviceId ?? undefined) ?? null;
      const vendor = pciVendorId ? vendorFromPciId(pciVendorId) : vendorFromName(c.vendor);
      const name = c.name || c.model || fallbackGpuName(pciVendorId, pciDeviceId);
      const vramBytes = typeof c.vram === 'number' && c.vram > 0 ? c.vram * 1024 * 1024 : null;
      const gpu: DesktopGpu = {
        name,
        vendor,
        pciVendorId,
        pciDeviceId,
        vramBytes,
        // systeminformation does not say which controller drives a display; with one GPU and a
        // display, it is that one.
        display: single,
        notes,
      };
      if (c.vramDynamic) gpu.vramShared = true;
      if (c.driverVersion) gpu.driverVersion = c.driverVersion;
      if (single) gpu.displayEvidence = 'the only GPU, and a display is connected';
      if (!pciDeviceId) notes.push('The chip\u2019s PCI device id is not known on this system.');
      return gpu;
    }),
  };
}
