/**
 * A small table of PCI ids for GPUs people rent out or own, so a card that no tool names (no
 * driver, an old driver that says "Graphics Device", a board-partner card) still gets its chip's
 * name. Keyed by the chip's own vendor:device id, never the board partner's subsystem id. Unknown
 * ids are fine: the GPU is still listed as `<Vendor> GPU vvvv:dddd`.
 */
import type { GpuVendor } from './schema.ts';

export const PCI_VENDOR = {
  nvidia: '10de',
  amd: '1002',
  intel: '8086',
  apple: '106b',
} as const;

const vendorNames: Record<string, string> = {
  '10de': 'NVIDIA',
  '1002': 'AMD',
  '1022': 'AMD',
  '8086': 'Intel',
  '106b': 'Apple',
  '1414': 'Microsoft',
  '15ad': 'VMware',
  '80ee': 'VirtualBox',
  '1234': 'QEMU',
  '1af4': 'Red Hat (virtio)',
  '1a03': 'ASPEED',
  '102b': 'Matrox',
  '5143': 'Qualcomm',
};

const deviceNames: Record<string, string> = {
  // NVIDIA
  '10de:0df4': 'GeForce GT 540M',
  '10de:0fc6': 'GeForce GTX 650',
  '10de:1184': 'GeForce GTX 770',
  '10de:13d8': 'GeForce GTX 970M',
  '10de:15f8': 'Tesla P100 PCIe 16GB',
  '10de:1b38': 'Tesla P40',
  '10de:1b80': 'GeForce GTX 1080',
  '10de:1b81': 'GeForce GTX 1070',
  '10de:1c03': 'GeForce GTX 1060 6GB',
  '10de:1d01': 'GeForce GT 1030',
  '10de:1db1': 'Tesla V100-SXM2-16GB',
  '10de:1db4': 'Tesla V100 PCIe 16GB',
  '10de:1db5': 'Tesla V100-SXM2-32GB',
  '10de:1e81': 'GeForce RTX 2080 SUPER',
  '10de:1e82': 'GeForce RTX 2080',
  '10de:1e84': 'GeForce RTX 2070 SUPER',
  '10de:1e87': 'GeForce RTX 2080',
  '10de:1eb8': 'Tesla T4',
  '10de:1f02': 'GeForce RTX 2070',
  '10de:1f06': 'GeForce RTX 2060 SUPER',
  '10de:2184': 'GeForce GTX 1660 Ti',
  '10de:20b0': 'A100-SXM4-40GB',
  '10de:20b2': 'A100-SXM4-80GB',
  '10de:20b5': 'A100 80GB PCIe',
  '10de:2204': 'GeForce RTX 3090',
  '10de:2206': 'GeForce RTX 3080',
  '10de:2216': 'GeForce RTX 3080',
  '10de:2236': 'A10',
  '10de:2237': 'A10G',
  '10de:2330': 'H100 80GB HBM3',
  '10de:2331': 'H100 PCIe',
  '10de:2484': 'GeForce RTX 3070',
  '10de:2487': 'GeForce RTX 3060',
  '10de:2503': 'GeForce RTX 3060',
  '10de:2504': 'GeForce RTX 3060',
  '10de:2684': 'GeForce RTX 4090',
  '10de:26b5': 'L40',
  '10de:26b9': 'L40S',
  '10de:2702': 'GeForce RTX 4080 SUPER',
  '10de:2704': 'GeForce RTX 4080',
  '10de:2782': 'GeForce RTX 4070 Ti',
  '10de:2783': 'GeForce RTX 4070 SUPER',
  '10de:2786': 'GeForce RTX 4070',
  '10de:27b0': 'RTX 4000 SFF Ada Generation',
  '10de:27b8': 'L4',
  '10de:2803': 'GeForce RTX 4060 Ti',
  '10de:2882': 'GeForce RTX 4060',
  '10de:2b85': 'GeForce RTX 5090',
  '10de:2c02': 'GeForce RTX 5080',
  // AMD
  '1002:66a1': 'Radeon Pro VII / Instinct MI50 (Vega 20)',
  '1002:67df': 'Radeon RX 470/480/570/580 (Ellesmere)',
  '1002:6861': 'Radeon Pro WX 9100 (Vega 10 XT)',
  '1002:687f': 'Radeon RX Vega 56/64 (Vega 10)',
  '1002:6fdf': 'Radeon RX 580 2048SP',
  '1002:738c': 'Instinct MI100',
  '1002:73ae': 'Radeon Pro V620 MxGPU (Navi 21)',
  '1002:73af': 'Radeon RX 6900 XT (Navi 21)',
  '1002:73bf': 'Radeon RX 6800/6800 XT/6900 XT (Navi 21)',
  '1002:73df': 'Radeon RX 6700/6700 XT/6800M (Navi 22)',
  '1002:73ff': 'Radeon RX 6600/6600 XT (Navi 23)',
  '1002:740c': 'Instinct MI250/MI250X',
  '1002:740f': 'Instinct MI210',
  '1002:7448': 'Radeon Pro W7900 (Navi 31)',
  '1002:744c': 'Radeon RX 7900 XT/XTX/GRE (Navi 31)',
  '1002:747e': 'Radeon RX 7700 XT/7800 XT (Navi 32)',
  '1002:7480': 'Radeon RX 7600 (Navi 33)',
  '1002:74a1': 'Instinct MI300X',
  '1002:7550': 'Radeon RX 9070/9070 XT (Navi 48)',
  '1002:7551': 'Radeon AI PRO R9700 (Navi 48)',
  // Intel
  '8086:0116': 'HD Graphics 3000',
  '8086:1616': 'HD Graphics 5500',
  '8086:3e92': 'UHD Graphics 630',
  '8086:4680': 'UHD Graphics 770',
  '8086:46a6': 'Iris Xe Graphics (Alder Lake-P)',
  '8086:56a0': 'Arc A770',
  '8086:56a1': 'Arc A750',
  '8086:56a5': 'Arc A380',
  '8086:5917': 'UHD Graphics 620',
  '8086:7d55': 'Arc Graphics (Meteor Lake)',
  '8086:9a49': 'Iris Xe Graphics (Tiger Lake)',
  '8086:9bc5': 'UHD Graphics 630',
  '8086:a780': 'UHD Graphics 770',
  '8086:e20b': 'Arc B580',
  '8086:e20c': 'Arc B570',
  // Virtual and server display adapters
  '80ee:beef': 'VirtualBox Graphics Adapter',
  '1234:1111': 'QEMU Standard VGA',
  '15ad:0405': 'VMware SVGA II',
  '1414:5353': 'Hyper-V Video',
};

export function pciVendorName(vendorId: string | null | undefined): string | undefined {
  return vendorId ? vendorNames[vendorId.toLowerCase()] : undefined;
}

export function pciDeviceName(
  vendorId: string | null | undefined,
  deviceId: string | null | undefined,
): string | undefined {
  if (!vendorId || !deviceId) return undefined;
  return deviceNames[`${vendorId.toLowerCase()}:${deviceId.toLowerCase()}`];
}

export function vendorFromPciId(vendorId: string | null | undefined): GpuVendor {
  switch (vendorId?.toLowerCase()) {
    case PCI_VENDOR.nvidia:
      return 'nvidia';
    case PCI_VENDOR.amd:
      return 'amd';
    case PCI_VENDOR.intel:
      return 'intel';
    case PCI_VENDOR.apple:
      return 'apple';
    default:
      return 'other';
  }
}

/** `NVIDIA GeForce RTX 2070` from the table, or `NVIDIA GPU 10de:1f99` for an unknown id. */
export function fallbackGpuName(vendorId: string | null, deviceId: string | null): string {
  const vendor = pciVendorName(vendorId) ?? 'Unknown vendor';
  const known = pciDeviceName(vendorId, deviceId);
  if (known) return known.startsWith(vendor) ? known : `${vendor} ${known}`;
  return `${vendor} GPU ${vendorId ?? '????'}:${deviceId ?? '????'}`;
}

/** A vendor from a name (`Advanced Micro Devices, Inc.`, `NVIDIA Corporation`) when no id is known. */
export function vendorFromName(name: string | undefined): GpuVendor {
  const n = (name ?? '').toLowerCase();
  if (n.includes('nvidia')) return 'nvidia';
  if (n.includes('advanced micro devices') || /\bamd\b|\bati\b|radeon/.test(n)) return 'amd';
  if (n.includes('intel')) return 'intel';
  if (n.includes('apple')) return 'apple';
  return 'other';
}
