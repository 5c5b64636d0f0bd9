/**
 * Parser for `lspci` output, the Linux fallback when /sys/bus/pci cannot be read (some
 * containers and sandboxes). Reads the one-line form (`lspci`, `lspci -nn`, `-vnnn` first
 * lines) and the machine-readable records (`-vmm`, `-vmmnn`, `-vmmk`, including old pciutils
 * that key the slot as `Device:`). Only display devices (PCI class 03xx) are returned.
 */
import { normalizeBusId, toPciId } from './tool-values.ts';

export interface LspciDevice {
  busId: string;
  className: string;
  /** `0300`, when the output had numeric ids. */
  classCode?: string;
  vendorName: string;
  deviceName: string;
  vendorId?: string;
  deviceId?: string;
  subsystemId?: string;
  driver?: string;
  revision?: string;
  /** `rev ff`: the device did not answer config reads (powered off, e.g. an Optimus dGPU). */
  poweredOff: boolean;
}

const DISPLAY_CLASS_NAMES =
  /^(VGA compatible controller|3D controller|Display controller|XGA compatible controller)$/i;

/** `NVIDIA Corporation [10de]` → name and id. */
function splitId(value: string): { name: string; id?: string } {
  const m = /^(.*?)\s*\[([0-9a-f]{4})\]$/i.exec(value.trim());
  if (m?.[1] !== undefined && m[2]) return { name: m[1], id: m[2].toLowerCase() };
  return { name: value.trim() };
}

export function parseLspci(text: string): LspciDevice[] {
  const lines = text.split(/\r?\n/);
  const isRecordFormat = lines.some((l) => /^(Slot|Device|Class):\t/.test(l));
  return (isRecordFormat ? parseRecords(text) : parseOneLine(lines)).filter(
    (d) => DISPLAY_CLASS_NAMES.test(d.className) || d.classCode?.startsWith('03') === true,
  );
}

function parseOneLine(lines: string[]): LspciDevice[] {
  const out: LspciDevice[] = [];
  // 01:00.0 VGA compatible controller [0300]: NVIDIA Corporation TU106 [GeForce RTX 2060 SUPER] [10de:1f06] (rev a1)
  const re =
    /^((?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])\s+([^:[]+?)(?:\s*\[([0-9a-f]{4})\])?:\s+(.*?)(?:\s+\[([0-9a-f]{4}):([0-9a-f]{4})\])?(?:\s+\(rev ([0-9a-f]{2})\))?(?:\s+\(prog-if [^)]*\))?\s*$/i;
  for (const line of lines) {
    const m = re.exec(line.trim());
    const busId = normalizeBusId(m?.[1]);
    if (!m || !busId) continue;
    const { vendor, device } = splitVendorDevice(m[4] ?? '');
    const d: LspciDevice = {
      busId,
      className: (m[2] ?? '').trim(),
      vendorName: vendor,
      deviceName: device,
      poweredOff: m[7]?.toLowerCase() === 'ff',
    };
    if (m[3]) d.classCode = m[3].toLowerCase();
    if (m[5] && m[6]) {
      d.vendorId = m[5].toLowerCase();
      d.deviceId = m[6].toLowerCase();
    }
    if (m[7]) d.revision = m[7].toLowerCase();
    out.push(d);
  }
  return out;
}

/** Split "Advanced Micro Devices, Inc. [AMD/ATI] Navi 21 [...]" at the vendor's end. */
function splitVendorDevice(text: string): { vendor: string; device: string } {
  const known = [
    'NVIDIA Corporation',
    'Advanced Micro Devices, Inc. [AMD/ATI]',
    'Advanced Micro Devices, Inc. [AMD]',
    'Intel Corporation',
    'ASPEED Technology, Inc.',
    'Matrox Electronics Systems Ltd.',
    'InnoTek Systemberatung GmbH',
    'VMware',
    'Red Hat, Inc.',
  ];
  const vendor = known.find((v) => text.startsWith(`${v} `));
  if (vendor) return { vendor, device: text.slice(vendor.length + 1).trim() };
  const space = text.indexOf(' ');
  return space > 0
    ? { vendor: text.slice(0, space), device: text.slice(space + 1) }
    : { vendor: text, device: '' };
}

function parseRecords(text: string): LspciDevice[] {
  const out: LspciDevice[] = [];
  for (const block of text.split(/\r?\n\s*\r?\n/)) {
    const fields: [string, string][] = [];
    for (const line of block.split(/\r?\n/)) {
      const m = /^([^:\t]+):\t(.*)$/.exec(line);
      if (m?.[1] && m[2] !== undefined) fields.push([m[1], m[2].trim()]);
    }
    if (fields.length === 0) continue;
    // Old pciutils key the slot as `Device:` too: the first `Device:` that looks like a slot is it.
    const slotIndex = fields.findIndex(
      ([k, v]) => (k === 'Slot' || k === 'Device') && normalizeBusId(v),
    );
    const busId = slotIndex >= 0 ? normalizeBusId(fields[slotIndex]?.[1]) : undefined;
    if (!busId) continue;
    const get = (key: string) => fields.find(([k], i) => k === key && i !== slotIndex)?.[1];
    const cls = splitId(get('Class') ?? '');
    const vendor = splitId(get('Vendor') ?? '');
    const device = splitId(get('Device') ?? '');
    const sVendor = splitId(get('SVendor') ?? '');
    const sDevice = splitId(get('SDevice') ?? '');
    const rev = get('Rev');
    const d: LspciDevice = {
      busId,
      className: cls.name,
      vendorName: vendor.name,
      deviceName: device.name,
      poweredOff: rev?.toLowerCase() === 'ff',
    };
    if (cls.id) d.classCode = cls.id;
    if (vendor.id) d.vendorId = toPciId(vendor.id);
    if (device.id) d.deviceId = toPciId(device.id);
    if (sVendor.id && sDevice.id) d.subsystemId = `${sVendor.id}${sDevice.id}`;
    const driver = get('Driver');
    if (driver) d.driver = driver;
    if (rev) d.revision = rev.toLowerCase();
    out.push(d);
  }
  return out;
}
