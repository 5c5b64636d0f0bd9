/**
 * Linux sysfs reader: every PCI display device (class 0x03xxxx) under `<root>/bus/pci/devices`,
 * every DRM card under `<root>/class/drm/card*`, with amdgpu's memory, busy percent, clocks and
 * hwmon sensors, Intel i915/xe frequencies, and which card has a monitor connected. `root` is
 * `/sys` or ROOST_SYSFS_ROOT. A file that is missing or holds garbage leaves that field unknown;
 * it never fails the scan.
 */
import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { toNumber, toPciId } from './tool-values.ts';

export interface HwmonReadings {
  dir: string;
  name?: string;
  /** Edge temperature (temp1, or the one labelled `edge`), °C. */
  temperatureC?: number;
  /** Hotspot/junction temperature, °C. */
  junctionC?: number;
  memoryTemperatureC?: number;
  /** power1_average, else power1_input (W). */
  powerW?: number;
  powerCapW?: number;
  /** Cumulative energy counter (J), for GPUs that report energy instead of power (Intel Arc). */
  energyJ?: number;
  /** freq1_input / freq2_input labelled sclk / mclk (MHz). */
  graphicsClockMHz?: number;
  memoryClockMHz?: number;
  fanRpm?: number;
  fanPct?: number;
}

export interface SysfsGpu {
  busId: string;
  vendorId: string;
  deviceId: string;
  /** subsystem vendor + device, 8 hex digits. */
  subsystemId?: string;
  classCode?: string;
  /** Bound kernel driver (`amdgpu`, `i915`, `xe`, `nvidia`, `nouveau`, `vfio-pci`), if any. */
  driver?: string;
  bootVga: boolean;
  /** `card0`, when the GPU has a DRM node. */
  drmCard?: string;
  /** Absolute path of the PCI device directory (for the telemetry sampler). */
  deviceDir: string;
  /** Connectors with a monitor (`DP-5`); undefined when the card exposes no connector info. */
  connectedOutputs?: string[];
  vramTotalBytes?: number;
  vramUsedBytes?: number;
  busyPct?: number;
  vbiosVersion?: string;
  productName?: string;
  /** From pp_dpm_sclk / pp_dpm_mclk (amdgpu): current and highest level. */
  graphicsClockMHz?: number;
  maxGraphicsClockMHz?: number;
  memoryClockMHz?: number;
  maxMemoryClockMHz?: number;
  hwmon?: HwmonReadings;
}

export interface SysfsScan {
  gpus: SysfsGpu[];
  /** False when `<root>/bus/pci` and `<root>/class/drm` are both absent (not Linux, or no /sys). */
  available: boolean;
}

export async function scanSysfs(root: string): Promise<SysfsScan> {
  const byBus = new Map<string, SysfsGpu>();
  const pciDir = join(root, 'bus', 'pci', 'devices');
  const drmDir = join(root, 'class', 'drm');
  const pciEntries = await list(pciDir);
  const drmEntries = await list(drmDir);

  for (const entry of pciEntries ?? []) {
    const dir = join(pciDir, entry);
    const classCode = await readText(join(dir, 'class'));
    if (!classCode || !/^0x03/i.test(classCode)) continue;
    const gpu = await readPciDevice(dir, entry);
    if (gpu) byBus.set(gpu.busId, gpu);
  }

  const cards = (drmEntries ?? []).filter((name) => /^card\d+$/.test(name)).sort(byCardNumber);
  for (const card of cards) {
    const cardDir = join(drmDir, card);
    const deviceDir = join(cardDir, 'device');
    const uevent = parseUevent(await readText(join(deviceDir, 'uevent')));
    const resolved = await realpath(deviceDir).catch(() => deviceDir);
    const busId = normalizeSlot(uevent.PCI_SLOT_NAME) ?? normalizeSlot(basename(resolved));
    if (!busId) continue;
    const gpu = byBus.get(busId) ?? (await readPciDevice(deviceDir, busId, uevent));
    if (!gpu) continue;
    gpu.drmCard = card;
    gpu.connectedOutputs = await connectedOutputs(drmDir, card, drmEntries ?? []);
    await readDriverDetails(gpu, deviceDir, cardDir);
    byBus.set(busId, gpu);
  }
  // PCI devices without a DRM card still get their driver-specific files read.
  for (const gpu of byBus.values()) {
    if (!gpu.drmCard) await readDriverDetails(gpu, gpu.deviceDir, undefined);
  }
  return {
    gpus: [...byBus.values()].sort((a, b) => a.busId.localeCompare(b.busId)),
    available: pciEntries !== undefined || drmEntries !== undefined,
  };
}

async function readPciDevice(
  dir: string,
  name: string,
  knownUevent?: Record<string, string>,
): Promise<SysfsGpu | undefined> {
  const uevent = knownUevent ?? parseUevent(await readText(join(dir, 'uevent')));
  const [pciVendor, pciDevice] = (uevent.PCI_ID ?? '').split(':');
  const [subVendor, subDevice] = (uevent.PCI_SUBSYS_ID ?? '').split(':');
  const vendorId = toPciId(await readText(join(dir, 'vendor'))) ?? toPciId(pciVendor);
  const deviceId = toPciId(await readText(join(dir, 'device'))) ?? toPciId(pciDevice);
  const busId = normalizeSlot(uevent.PCI_SLOT_NAME) ?? normalizeSlot(name);
  if (!vendorId || !deviceId || !busId) return undefined;
  const sv = toPciId(await readText(join(dir, 'subsystem_vendor'))) ?? toPciId(subVendor);
  const sd = toPciId(await readText(join(dir, 'subsystem_device'))) ?? toPciId(subDevice);
  const driverLink = await readlink(join(dir, 'driver')).catch(() => undefined);
  const driver = driverLink ? basename(driverLink) : uevent.DRIVER;
  const classCode = (await readText(join(dir, 'class'))) ?? pciClassFromUevent(uevent.PCI_CLASS);
  const gpu: SysfsGpu = {
    busId,
    vendorId,
    deviceId,
    bootVga: (await readText(join(dir, 'boot_vga'))) === '1',
    deviceDir: dir,
  };
  if (sv && sd && sv !== '0000') gpu.subsystemId = `${sv}${sd}`;
  if (driver) gpu.driver = driver;
  if (classCode) gpu.classCode = classCode;
  return gpu;
}

async function readDriverDetails(
  gpu: SysfsGpu,
  deviceDir: string,
  cardDir: string | undefined,
): Promise<void> {
  const num = async (file: string) => toNumber(await readText(join(deviceDir, file)));
  const setIf = <K extends keyof SysfsGpu>(key: K, value: SysfsGpu[K] | undefined) => {
    if (value !== undefined) gpu[key] = value;
  };
  setIf('vramTotalBytes', nonNegative(await num('mem_info_vram_total')));
  setIf('vramUsedBytes', nonNegative(await num('mem_info_vram_used')));
  setIf('busyPct', percent(await num('gpu_busy_percent')));
  setIf('vbiosVersion', (await readText(join(deviceDir, 'vbios_version'))) || undefined);
  setIf('productName', (await readText(join(deviceDir, 'product_name'))) || undefined);
  const sclk = parseDpmLevels(await readText(join(deviceDir, 'pp_dpm_sclk')));
  const mclk = parseDpmLevels(await readText(join(deviceDir, 'pp_dpm_mclk')));
  setIf('graphicsClockMHz', sclk?.currentMHz);
  setIf('maxGraphicsClockMHz', sclk?.maxMHz);
  setIf('memoryClockMHz', mclk?.currentMHz);
  setIf('maxMemoryClockMHz', mclk?.maxMHz);
  // Intel: i915 puts its GT frequencies on the card, xe under the device's tile/gt folders.
  if (cardDir && gpu.graphicsClockMHz === undefined) {
    const act = toNumber(await readText(join(cardDir, 'gt_act_freq_mhz')));
    const max = toNumber(await readText(join(cardDir, 'gt_RP0_freq_mhz')));
    setIf('graphicsClockMHz', nonNegative(act));
    setIf('maxGraphicsClockMHz', nonNegative(max));
  }
  if (gpu.graphicsClockMHz === undefined) {
    const base = join(deviceDir, 'tile0', 'gt0', 'freq0');
    setIf('graphicsClockMHz', nonNegative(toNumber(await readText(join(base, 'act_freq')))));
    setIf('maxGraphicsClockMHz', nonNegative(toNumber(await readText(join(base, 'rp0_freq')))));
  }
  const hwmon = await readHwmon(deviceDir);
  if (hwmon) gpu.hwmon = hwmon;
}

/** The GPU's hwmon folder (`device/hwmon/hwmonN`), read once. */
export async function readHwmon(deviceDir: string): Promise<HwmonReadings | undefined> {
  const base = join(deviceDir, 'hwmon');
  const entries = (await list(base))?.filter((n) => /^hwmon\d+$/.test(n)).sort();
  const first = entries?.[0];
  if (!first) return undefined;
  return readHwmonDir(join(base, first));
}

export async function readHwmonDir(dir: string): Promise<HwmonReadings> {
  const files = new Set((await list(dir)) ?? []);
  const value = async (file: string) =>
    files.has(file) ? toNumber(await readText(join(dir, file))) : undefined;
  const label = async (file: string) =>
    files.has(file) ? (await readText(join(dir, file)))?.toLowerCase() : undefined;
  const out: HwmonReadings = { dir };
  const name = files.has('name') ? await readText(join(dir, 'name')) : undefined;
  if (name) out.name = name;

  for (const file of [...files].filter((f) => /^temp\d+_input$/.test(f)).sort()) {
    const n = file.slice(4, -'_input'.length);
    const milli = await value(file);
    if (milli === undefined || milli <= -273000 || milli > 200000) continue;
    const c = milli / 1000;
    const what = (await label(`temp${n}_label`)) ?? (n === '1' ? 'edge' : '');
    if (what === 'edge' && out.temperatureC === undefined) out.temperatureC = c;
    else if (what === 'junction' || what === 'hotspot') out.junctionC = c;
    else if (what === 'mem' || what === 'vram') out.memoryTemperatureC = c;
    else if (out.temperatureC === undefined) out.temperatureC = c;
  }
  const microW = (await value('power1_average')) ?? (await value('power1_input'));
  if (microW !== undefined && microW >= 0 && microW < 5e9) out.powerW = microW / 1e6;
  const cap = (await value('power1_cap')) ?? (await value('power1_max'));
  if (cap !== undefined && cap > 0 && cap < 5e9) out.powerCapW = cap / 1e6;
  const energy = await value('energy1_input');
  if (energy !== undefined && energy >= 0) out.energyJ = energy / 1e6;
  for (const n of ['1', '2']) {
    const hz = await value(`freq${n}_input`);
    const what = await label(`freq${n}_label`);
    if (hz === undefined || hz < 0) continue;
    if (what === 'sclk') out.graphicsClockMHz = hz / 1e6;
    if (what === 'mclk') out.memoryClockMHz = hz / 1e6;
  }
  const rpm = await value('fan1_input');
  if (rpm !== undefined && rpm >= 0) out.fanRpm = rpm;
  const pwm = await value('pwm1');
  const pwmMax = (await value('pwm1_max')) ?? 255;
  if (pwm !== undefined && pwm >= 0 && pwmMax > 0 && pwm <= pwmMax) {
    out.fanPct = Math.round((pwm / pwmMax) * 1000) / 10;
  }
  return out;
}

/** `0: 300Mhz\n1: 600Mhz *\n2: 900Mhz` → current 600, max 900. */
export function parseDpmLevels(
  text: string | undefined,
): { currentMHz?: number; maxMHz?: number } | undefined {
  if (!text) return undefined;
  let current: number | undefined;
  let max: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s*(\d+(?:\.\d+)?)\s*mhz\s*(\*)?\s*$/i.exec(line);
    if (!m?.[1]) continue;
    const mhz = Number(m[1]);
    if (m[2]) current = mhz;
    max = max === undefined ? mhz : Math.max(max, mhz);
  }
  if (current === undefined && max === undefined) return undefined;
  return {
    ...(current !== undefined ? { currentMHz: current } : {}),
    ...(max !== undefined ? { maxMHz: max } : {}),
  };
}

async function connectedOutputs(
  drmDir: string,
  card: string,
  drmEntries: string[],
): Promise<string[] | undefined> {
  // Connectors appear both as /sys/class/drm/card0-DP-1 and as /sys/class/drm/card0/card0-DP-1.
  const inside = ((await list(join(drmDir, card))) ?? []).filter((n) => n.startsWith(`${card}-`));
  const beside = drmEntries.filter((n) => n.startsWith(`${card}-`));
  const connectors = [...new Set([...inside, ...beside])].sort();
  if (connectors.length === 0) return undefined;
  const connected: string[] = [];
  for (const connector of connectors) {
    const path = inside.includes(connector)
      ? join(drmDir, card, connector)
      : join(drmDir, connector);
    if ((await readText(join(path, 'status'))) === 'connected') {
      connected.push(connector.slice(card.length + 1));
    }
  }
  return connected;
}

/** Read a small sysfs file, trimmed; undefined if it is missing, unreadable or not text. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > 1024 * 1024) return undefined;
    const text = await readFile(path, 'utf8');
    if (text.includes('\0')) return undefined;
    return text.trim();
  } catch {
    return undefined;
  }
}

async function list(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch {
    return undefined;
  }
}

export function parseUevent(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

function normalizeSlot(slot: string | undefined): string | undefined {
  if (!slot) return undefined;
  const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(slot.trim());
  return m ? slot.trim().toLowerCase() : undefined;
}

function pciClassFromUevent(value: string | undefined): string | undefined {
  if (!value || !/^[0-9a-f]+$/i.test(value)) return undefined;
  return `0x${value.toLowerCase().padStart(6, '0')}`;
}

function byCardNumber(a: string, b: string): number {
  return Number(a.slice(4)) - Number(b.slice(4));
}

function nonNegative(n: number | undefined): number | undefined {
  return n !== undefined && n >= 0 ? n : undefined;
}

function percent(n: number | undefined): number | undefined {
  return n !== undefined && n >= 0 && n <= 100 ? n : undefined;
}
