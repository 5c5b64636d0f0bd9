/**
 * Parser for `nvidia-smi -q -x` (DTD v11 to v13). Each `<gpu>` element is validated on its own:
 * one garbage or cut-off element makes that GPU `unreadable` while the others are still listed.
 * Failure texts instead of XML ("couldn't communicate with the NVIDIA driver", "No devices were
 * found", ...) become a ToolProblem.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { GpuProblem, ToolProblem } from './schema.ts';
import { PCI_VENDOR } from './pci-ids.ts';
import { classifyNvidiaSmiText } from './tool-errors.ts';
import {
  normalizeBusId,
  splitPciCombined,
  toBytes,
  toNumber,
  toQuantity,
  toText,
} from './tool-values.ts';

/** One GPU as nvidia-smi describes it; fields it did not give are absent. */
export interface NvidiaSmiGpu {
  status: 'ok' | 'unreadable';
  problem?: GpuProblem;
  busId?: string;
  uuid?: string;
  /** product_name, or undefined when nvidia-smi said only "Graphics Device". */
  name?: string;
  brand?: string;
  architecture?: string;
  pciVendorId?: string;
  pciDeviceId?: string;
  subsystemId?: string;
  vramBytes?: number;
  vramUsedBytes?: number;
  vbiosVersion?: string;
  powerLimitW?: number;
  powerDrawW?: number;
  graphicsClockMHz?: number;
  memoryClockMHz?: number;
  maxGraphicsClockMHz?: number;
  maxMemoryClockMHz?: number;
  temperatureC?: number;
  utilizationPct?: number;
  /** /dev/nvidiaN */
  minorNumber?: number;
  display: boolean;
  displayEvidence?: string;
  notes: string[];
}

export type NvidiaSmiXmlResult =
  | {
      ok: true;
      driverVersion?: string;
      cudaVersion?: string;
      attachedGpus?: number;
      gpus: NvidiaSmiGpu[];
      /** Oddities in the document as a whole (fewer `<gpu>` elements than `attached_gpus`). */
      warnings: string[];
    }
  | { ok: false; problem: ToolProblem };

const text = z.string();
const opt = text.optional();
/** Elements that are sometimes a string (`N/A`, `None`) and sometimes hold children. */
const section = <T extends z.ZodRawShape>(shape: T) =>
  z.union([z.object(shape), z.string()]).optional();

/** The fields Roost reads from one `<gpu>`; the rest of the element is ignored. */
const gpuElementSchema = z.object({
  '@_id': opt,
  product_name: text,
  product_brand: opt,
  product_architecture: opt,
  display_mode: opt,
  display_active: opt,
  display_attached: opt,
  mig_mode: section({ current_mig: opt }),
  mig_devices: z.union([z.object({ mig_device: z.unknown().optional() }), z.string()]).optional(),
  driver_model: section({ current_dm: opt }),
  uuid: opt,
  minor_number: opt,
  vbios_version: opt,
  pci: z.object({
    pci_bus_id: text,
    pci_device_id: opt,
    pci_sub_system_id: opt,
  }),
  fb_memory_usage: z.object({ total: text, used: opt }),
  utilization: section({ gpu_util: opt }),
  temperature: section({ gpu_temp: opt }),
  // DTD v12+: gpu_power_readings; v11 and older: power_readings.
  gpu_power_readings: section({
    power_draw: opt,
    instant_power_draw: opt,
    average_power_draw: opt,
    current_power_limit: opt,
  }),
  power_readings: section({ power_draw: opt, power_limit: opt, enforced_power_limit: opt }),
  clocks: section({ graphics_clock: opt, mem_clock: opt }),
  max_clocks: section({ graphics_clock: opt, mem_clock: opt }),
});
type GpuElement = z.infer<typeof gpuElementSchema>;

const rootSchema = z.object({
  nvidia_smi_log: z.object({
    driver_version: opt,
    cuda_version: opt,
    attached_gpus: opt,
    gpu: z.array(z.unknown()).optional(),
  }),
});

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  jPath: true,
  isArray: (_name, jPath) => jPath === 'nvidia_smi_log.gpu',
});

export function parseNvidiaSmiXml(xml: string): NvidiaSmiXmlResult {
  if (!/<nvidia_smi_log[\s>]/.test(xml)) {
    const known = classifyNvidiaSmiText(xml);
    return {
      ok: false,
      problem: known ?? {
        tool: 'nvidia-smi',
        code: 'garbage',
        message: `nvidia-smi printed something that is not its XML report: ${preview(xml)}`,
      },
    };
  }
  const valid = XMLValidator.validate(xml);
  if (valid === true) {
    let doc: unknown;
    try {
      doc = parser.parse(xml);
    } catch (error) {
      return garbage(`its XML could not be read (${(error as Error).message})`);
    }
    const root = rootSchema.safeParse(doc);
    if (!root.success) return garbage('the XML has no <nvidia_smi_log> report in it');
    const log = root.data.nvidia_smi_log;
    const gpus = (log.gpu ?? []).map((element) => readGpu(element));
    return finish(log.driver_version, log.cuda_version, log.attached_gpus, gpus);
  }
  return salvage(xml, valid.err.msg);
}

/**
 * The document is not well formed (cut off, or garbage in the middle). Parse every complete
 * `<gpu>` element on its own; an incomplete one becomes an unreadable GPU.
 */
function salvage(xml: string, why: string): NvidiaSmiXmlResult {
  const header = /<nvidia_smi_log>([\s\S]*?)<gpu[\s>]/.exec(xml)?.[1] ?? '';
  const headerValue = (tag: string) =>
    toText(new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(header)?.[1]);
  const driverVersion = headerValue('driver_version');
  const starts = [...xml.matchAll(/<gpu(\s[^>]*)?>/g)];
  if (starts.length === 0) return garbage(`its XML is broken (${why}) and lists no GPU`);
  const gpus: NvidiaSmiGpu[] = [];
  starts.forEach((start, i) => {
    const from = start.index;
    const next = starts[i + 1]?.index ?? xml.length;
    const chunk = xml.slice(from, next);
    const end = chunk.lastIndexOf('</gpu>');
    const busId = normalizeBusId(/id="([^"]*)"/.exec(start[0])?.[1]);
    const element = end >= 0 ? chunk.slice(0, end + '</gpu>'.length) : undefined;
    if (element === undefined || XMLValidator.validate(element) !== true) {
      gpus.push(unreadable(busId, 'nvidia-smi\u2019s report for this GPU was cut off or garbled.'));
      return;
    }
    let parsed: unknown;
    try {
      parsed = parser.parse(`<nvidia_smi_log>${element}</nvidia_smi_log>`);
    } catch {
      gpus.push(unreadable(busId, 'nvidia-smi\u2019s report for this GPU could not be read.'));
      return;
    }
    const root = rootSchema.safeParse(parsed);
    const gpu = root.success ? root.data.nvidia_smi_log.gpu?.[0] : undefined;
    gpus.push(
      gpu === undefined
        ? unreadable(busId, 'nvidia-smi\u2019s report for this GPU could not be read.')
        : readGpu(gpu),
    );
  });
  const result = finish(
    driverVersion,
    headerValue('cuda_version'),
    headerValue('attached_gpus'),
    gpus,
  );
  if (result.ok) result.warnings.push(`nvidia-smi's XML was not well formed: ${why}`);
  return result;
}

function finish(
  driverVersion: string | undefined,
  cudaVersion: string | undefined,
  attached: string | undefined,
  gpus: NvidiaSmiGpu[],
): NvidiaSmiXmlResult {
  const warnings: string[] = [];
  const attachedGpus = toNumber(attached);
  if (attachedGpus !== undefined && attachedGpus > gpus.length) {
    warnings.push(
      `nvidia-smi says ${attachedGpus} GPUs are attached but describes ${gpus.length}.`,
    );
  }
  return {
    ok: true,
    ...(toText(driverVersion) ? { driverVersion: toText(driverVersion) } : {}),
    ...(toText(cudaVersion) ? { cudaVersion: toText(cudaVersion) } : {}),
    ...(attachedGpus !== undefined ? { attachedGpus } : {}),
    gpus,
    warnings,
  };
}

function readGpu(element: unknown): NvidiaSmiGpu {
  const idAttr =
    typeof element === 'object' && element !== null && '@_id' in element
      ? String((element as Record<string, unknown>)['@_id'])
      : undefined;
  const parsed = gpuElementSchema.safeParse(element);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => issue.path.join('.') || 'gpu').join(', ');
    return unreadable(
      normalizeBusId(idAttr),
      `nvidia-smi\u2019s report for this GPU lacks or garbles: ${missing}.`,
    );
  }
  const g = parsed.data;
  const busId = normalizeBusId(g.pci.pci_bus_id) ?? normalizeBusId(g['@_id']);
  const vramBytes = toBytes(g.fb_memory_usage.total);
  if (busId === undefined || vramBytes === undefined) {
    const bad = [
      busId === undefined ? `bus id "${g.pci.pci_bus_id}"` : '',
      vramBytes === undefined ? `memory total "${g.fb_memory_usage.total}"` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return unreadable(
      busId ?? normalizeBusId(idAttr),
      `nvidia-smi gave an unreadable ${bad} for this GPU.`,
    );
  }
  return describe(g, busId, vramBytes);
}

function describe(g: GpuElement, busId: string, vramBytes: number): NvidiaSmiGpu {
  const notes: string[] = [];
  const obj = <T extends object>(v: T | string | undefined): Partial<T> =>
    typeof v === 'object' ? v : {};

  const ids = splitPciCombined(g.pci.pci_device_id);
  let pciDeviceId: string | undefined;
  if (ids && ids.vendorId === PCI_VENDOR.nvidia && ids.deviceId !== '0000') {
    pciDeviceId = ids.deviceId;
  } else if (g.pci.pci_device_id !== undefined) {
    notes.push(
      `nvidia-smi reported PCI device id ${g.pci.pci_device_id}, which is not an NVIDIA chip id.`,
    );
  }
  const sub = splitPciCombined(g.pci.pci_sub_system_id);
  // nvidia-smi prints the subsystem as device<<16 | vendor; Roost writes vendor then device.
  const subsystemId = sub && sub.vendorId !== '0000' ? `${sub.vendorId}${sub.deviceId}` : undefined;

  let name = toText(g.product_name);
  if (name && /^graphics device$/i.test(name)) {
    notes.push('This NVIDIA driver is too old to know the card\u2019s name ("Graphics Device").');
    name = undefined;
  }

  const mig = toText(obj(g.mig_mode).current_mig);
  if (mig === 'Enabled') {
    const devices = obj(g.mig_devices).mig_device;
    const count = Array.isArray(devices) ? devices.length : devices ? 1 : 0;
    notes.push(
      `MIG is enabled (${count} MIG device${count === 1 ? '' : 's'}): GPU utilization is not reported as a whole.`,
    );
  }
  const dm = toText(obj(g.driver_model).current_dm);
  if (dm) notes.push(`Windows driver model: ${dm}.`);

  const power = obj(g.gpu_power_readings);
  const legacyPower = obj(g.power_readings);
  const powerLimitW =
    toQuantity(power.current_power_limit, 'W') ??
    toQuantity(legacyPower.enforced_power_limit, 'W') ??
    toQuantity(legacyPower.power_limit, 'W');
  const powerDrawW =
    toQuantity(power.power_draw, 'W') ??
    toQuantity(power.instant_power_draw, 'W') ??
    toQuantity(power.average_power_draw, 'W') ??
    toQuantity(legacyPower.power_draw, 'W');

  // display_active: a display is initialised on this GPU. display_attached (v13) and display_mode
  // (older DTDs, where it means "a monitor is connected"): a monitor is plugged into it.
  const active = toText(g.display_active) === 'Enabled';
  const attached = toText(g.display_attached) === 'Yes';
  const legacyMode = g.display_attached === undefined && toText(g.display_mode) === 'Enabled';
  const evidence = [
    active ? 'display active' : '',
    attached ? 'monitor attached' : '',
    legacyMode ? 'display mode enabled' : '',
  ].filter(Boolean);

  const clocks = obj(g.clocks);
  const maxClocks = obj(g.max_clocks);
  const out: NvidiaSmiGpu = {
    status: 'ok',
    busId,
    vramBytes,
    pciVendorId: PCI_VENDOR.nvidia,
    display: evidence.length > 0,
    notes,
  };
  const set = <K extends keyof NvidiaSmiGpu>(key: K, value: NvidiaSmiGpu[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('displayEvidence', evidence.length > 0 ? evidence.join(', ') : undefined);
  set('name', name);
  set('brand', toText(g.product_brand));
  set('architecture', toText(g.product_architecture));
  set('uuid', toText(g.uuid));
  set('pciDeviceId', pciDeviceId);
  set('subsystemId', subsystemId);
  set('vramUsedBytes', toBytes(g.fb_memory_usage.used));
  set('vbiosVersion', toText(g.vbios_version));
  set('powerLimitW', powerLimitW);
  set('powerDrawW', powerDrawW);
  set('graphicsClockMHz', toQuantity(clocks.graphics_clock, 'MHz'));
  set('memoryClockMHz', toQuantity(clocks.mem_clock, 'MHz'));
  set('maxGraphicsClockMHz', toQuantity(maxClocks.graphics_clock, 'MHz'));
  set('maxMemoryClockMHz', toQuantity(maxClocks.mem_clock, 'MHz'));
  set('temperatureC', toQuantity(obj(g.temperature).gpu_temp, 'C'));
  set('utilizationPct', toQuantity(obj(g.utilization).gpu_util, '%'));
  set('minorNumber', toNumber(g.minor_number));
  return out;
}

function unreadable(busId: string | undefined, message: string): NvidiaSmiGpu {
  return {
    status: 'unreadable',
    problem: {
      message,
      fix: 'Run `nvidia-smi -q -x` by hand; if it also fails, reinstall the NVIDIA driver.',
    },
    ...(busId ? { busId } : {}),
    pciVendorId: PCI_VENDOR.nvidia,
    display: false,
    notes: [],
  };
}

function garbage(why: string): NvidiaSmiXmlResult {
  return {
    ok: false,
    problem: { tool: 'nvidia-smi', code: 'garbage', message: `nvidia-smi's report: ${why}.` },
  };
}

function preview(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  if (t === '') return '(nothing)';
  return t.length > 120 ? `${t.slice(0, 120)}\u2026` : t;
}
