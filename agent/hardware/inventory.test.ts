import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listGpus } from './inventory.ts';
import type { InventoryOptions } from './inventory.ts';
import { silentHardwareLog } from './log.ts';
import { gpuInventorySchema } from './schema.ts';
import type { FakeSysfs } from './testing/fake-sysfs.ts';
import { addPciDevice, amdCardsSysfs, emptySysfs, vegaIntelSysfs } from './testing/fake-sysfs.ts';
import type { FakeTools } from './testing/fake-tools.ts';
import { fakeTools } from './testing/fake-tools.ts';
import { fixture, fixturesDir } from './testing/fixtures.ts';

let sysfs: FakeSysfs | undefined;
let tools: FakeTools | undefined;
afterEach(() => {
  sysfs?.remove();
  tools?.remove();
  sysfs = undefined;
  tools = undefined;
});

const dualXml = join(fixturesDir, 'nvidia-smi-xml/dual-geforce-rtx-2070_590.44.01_multi-gpu.xml');

function options(
  env: Record<string, string>,
  extra: Partial<InventoryOptions> = {},
): InventoryOptions {
  return {
    env: { PATH: process.env.PATH ?? '', ...env },
    platform: 'linux',
    log: silentHardwareLog,
    now: () => new Date('2026-01-01T00:00:00Z'),
    ...extra,
  };
}

function twoNvidiaCards(fake: FakeSysfs, driver = 'nvidia') {
  addPciDevice(fake, '0000:01:00.0', {
    vendor: '10de',
    device: '1f02',
    class: '0x030000',
    driver,
    bootVga: true,
  });
  addPciDevice(fake, '0000:02:00.0', {
    vendor: '10de',
    device: '1f02',
    class: '0x030000',
    driver,
    bootVga: false,
  });
}

describe('listGpus on Linux', () => {
  it('finds nothing on a machine with no GPU and no tools, and says nothing is wrong', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    const inventory = await listGpus(
      options({ ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: join(tools.dir, 'absent') }),
    );
    expect(inventory).toEqual({ gpus: [], problems: [], scannedAt: '2026-01-01T00:00:00.000Z' });
  });

  it('merges sysfs and nvidia-smi by bus address and records each field\u2019s source', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    twoNvidiaCards(sysfs);
    const smi = tools.tool('nvidia-smi', { stdoutFile: dualXml });
    const inventory = await listGpus(
      options({ ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: smi }),
    );
    expect(gpuInventorySchema.parse(inventory)).toEqual(inventory);
    expect(inventory.problems).toEqual([]);
    expect(inventory.gpus).toHaveLength(2);
    const [first, second] = inventory.gpus;
    expect(first).toMatchObject({
      id: 'pci-0000:01:00.0',
      vendor: 'nvidia',
      name: 'NVIDIA GeForce RTX 2070',
      pciVendorId: '10de',
      pciDeviceId: '1f02',
      busId: '0000:01:00.0',
      vramBytes: 8 * 1024 ** 3,
      driver: 'nvidia',
      driverVersion: '590.44.01',
      cudaVersion: '13.1',
      display: true,
      displayEvidence: 'boot display device (boot_vga)',
      source: 'nvidia-smi',
      status: 'ok',
    });
    expect(first?.fieldSources).toMatchObject({
      name: 'nvidia-smi',
      pciDeviceId: 'pci-sysfs',
      vramBytes: 'nvidia-smi',
      driver: 'pci-sysfs',
      display: 'pci-sysfs',
    });
    expect(second).toMatchObject({ id: 'pci-0000:02:00.0', display: false, status: 'ok' });
  });

  it('keeps the good GPU and marks the cut-off one unreadable', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    twoNvidiaCards(sysfs);
    const xml = fixture('nvidia-smi-xml/dual-geforce-rtx-2070_590.44.01_multi-gpu.xml');
    const cut = join(tools.dir, 'cut.xml');
    writeFileSync(cut, xml.slice(0, xml.indexOf('<gpu id="00000000:02:00.0">') + 500));
    const smi = tools.tool('nvidia-smi', { stdoutFile: cut });
    const inventory = await listGpus(
      options({ ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: smi }),
    );
    expect(inventory.gpus.map((g) => [g.busId, g.status])).toEqual([
      ['0000:01:00.0', 'ok'],
      ['0000:02:00.0', 'unreadable'],
    ]);
    expect(inventory.gpus[1]?.problem?.message).toMatch(/cut off/);
    expect(inventory.gpus[1]?.name).toBe('NVIDIA GeForce RTX 2070');
    expect(inventory.gpus[1]?.fieldSources.name).toBe('pci-ids');
    expect(inventory.problems[0]?.message).toMatch(/not well formed/);
  });

  it('lists NVIDIA cards as unreadable with the driver\u2019s own failure when nvidia-smi fails', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    twoNvidiaCards(sysfs);
    const smi = tools.tool('nvidia-smi', {
      stdout: fixture('errors/nvidia-smi_nvml-driver-library-mismatch_with-nvml-version_570.txt'),
      exitCode: 18,
    });
    const inventory = await listGpus(
      options({ ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: smi }),
    );
    expect(inventory.problems).toEqual([
      expect.objectContaining({ tool: 'nvidia-smi', code: 'driver-mismatch' }),
    ]);
    for (const gpu of inventory.gpus) {
      expect(gpu).toMatchObject({
        status: 'unreadable',
        name: 'NVIDIA GeForce RTX 2070',
        source: 'pci-sysfs',
      });
      expect(gpu.problem?.fix).toMatch(/Restart/);
    }
  });

  it('times out a hung nvidia-smi and still lists the GPUs', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    twoNvidiaCards(sysfs);
    const smi = tools.tool('nvidia-smi', { sleepSeconds: 30, stdoutFile: dualXml });
    const started = Date.now();
    const inventory = await listGpus(
      options({ ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: smi }, { toolTimeoutMs: 300 }),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(inventory.problems[0]).toMatchObject({ code: 'timeout' });
    expect(inventory.gpus.map((g) => g.status)).toEqual(['unreadable', 'unreadable']);
  });

  it('says which NVIDIA cards have no usable driver', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    twoNvidiaCards(sysfs, 'nouveau');
    addPciDevice(sysfs, '0000:03:00.0', { vendor: '10de', device: '2204', class: '0x030000' });
    const inventory = await listGpus(
      options({ ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: join(tools.dir, 'absent') }),
    );
    expect(inventory.gpus.map((g) => [g.name, g.status])).toEqual([
      ['NVIDIA GeForce RTX 2070', 'no-driver'],
      ['NVIDIA GeForce RTX 2070', 'no-driver'],
      ['NVIDIA GeForce RTX 3090', 'no-driver'],
    ]);
    expect(inventory.gpus[0]?.problem?.message).toMatch(/nouveau/);
    expect(inventory.gpus[2]?.problem?.message).toMatch(/No kernel driver/);
    expect(inventory.problems).toEqual([expect.objectContaining({ code: 'not-installed' })]);
  });

  it('names AMD cards from sysfs and the PCI table, and takes the name rocm-smi gives', async () => {
    sysfs = amdCardsSysfs();
    tools = fakeTools();
    const doc = JSON.parse(fixture('rocm-smi-json/rx6700xt_rocm612.json')) as Record<
      string,
      Record<string, string>
    >;
    doc.card0 = {
      ...doc.card0,
      'PCI Bus': '0000:03:00.0',
      'Device ID': '0x744c',
      'Device Name': 'Navi 31 [Radeon RX 7900 XT/7900 XTX]',
    };
    const json = join(tools.dir, 'rocm.json');
    writeFileSync(json, JSON.stringify(doc));
    const rocm = tools.tool('rocm-smi', { stdoutFile: json });
    const inventory = await listGpus(
      options({
        ROOST_SYSFS_ROOT: sysfs.root,
        ROOST_NVIDIA_SMI: join(tools.dir, 'absent'),
        ROOST_ROCM_SMI: rocm,
      }),
    );
    expect(inventory.problems).toEqual([]);
    const [rx7900, rx580] = inventory.gpus;
    expect(rx7900).toMatchObject({
      name: 'Navi 31 [Radeon RX 7900 XT/7900 XTX]',
      pciDeviceId: '744c',
      vramBytes: 12868124672,
      driverVersion: '6.3.6',
      source: 'amdgpu-sysfs',
      fieldSources: { name: 'rocm-smi', vramBytes: 'rocm-smi', pciDeviceId: 'pci-sysfs' },
    });
    expect(rx580).toMatchObject({
      name: 'AMD Radeon RX 470/480/570/580 (Ellesmere)',
      subsystemId: '1da2e387',
      vramBytes: 4294967296,
      powerLimitW: 155,
      clocks: { graphicsMHz: 900, maxGraphicsMHz: 1366, memoryMHz: 1750, maxMemoryMHz: 1750 },
      display: true,
      fieldSources: { name: 'pci-ids', vramBytes: 'amdgpu-sysfs' },
      status: 'ok',
    });
  });

  it('reports a rocm-smi failure but keeps the sysfs facts', async () => {
    sysfs = amdCardsSysfs();
    tools = fakeTools();
    const rocm = tools.tool('rocm-smi', {
      stderr: fixture('errors/rocm-smi_driver-not-initialized_rocm5.txt'),
      exitCode: 1,
    });
    const inventory = await listGpus(
      options({
        ROOST_SYSFS_ROOT: sysfs.root,
        ROOST_NVIDIA_SMI: join(tools.dir, 'absent'),
        ROOST_ROCM_SMI: rocm,
      }),
    );
    expect(inventory.problems).toEqual([
      expect.objectContaining({ tool: 'rocm-smi', code: 'driver-not-loaded' }),
    ]);
    expect(inventory.gpus).toHaveLength(2);
    expect(inventory.gpus.every((g) => g.status === 'ok')).toBe(true);
  });

  it('finds the Intel iGPU with the monitor and the boot-VGA Vega (procfs dump)', async () => {
    sysfs = vegaIntelSysfs();
    tools = fakeTools();
    const inventory = await listGpus(
      options({
        ROOST_SYSFS_ROOT: sysfs.root,
        ROOST_NVIDIA_SMI: join(tools.dir, 'absent'),
        ROOST_ROCM_SMI: join(tools.dir, 'absent'),
      }),
    );
    expect(inventory.gpus.map((g) => [g.name, g.vendor, g.display, g.displayEvidence])).toEqual([
      ['Intel UHD Graphics 620', 'intel', true, 'monitor on DP-5'],
      ['AMD Radeon RX Vega 56/64 (Vega 10)', 'amd', true, 'boot display device (boot_vga)'],
    ]);
    expect(inventory.gpus[0]).toMatchObject({
      vramShared: true,
      vramBytes: null,
      source: 'intel-sysfs',
      driver: 'i915',
    });
  });

  it('lists unknown display devices with what is known', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    addPciDevice(sysfs, '0000:c6:00.0', {
      vendor: '1a03',
      device: '2000',
      class: '0x030000',
      driver: 'ast',
    });
    addPciDevice(sysfs, '0000:03:00.0', {
      vendor: '1002',
      device: '7fff',
      class: '0x038000',
      driver: 'amdgpu',
    });
    const inventory = await listGpus(
      options({
        ROOST_SYSFS_ROOT: sysfs.root,
        ROOST_NVIDIA_SMI: join(tools.dir, 'absent'),
        ROOST_ROCM_SMI: join(tools.dir, 'absent'),
      }),
    );
    expect(inventory.gpus.map((g) => [g.name, g.vendor, g.status])).toEqual([
      ['AMD GPU 1002:7fff', 'amd', 'ok'],
      ['ASPEED GPU 1a03:2000', 'other', 'ok'],
    ]);
  });

  it('falls back to lspci when /sys cannot be read', async () => {
    tools = fakeTools();
    tools.tool('lspci', {
      stdoutFile: join(
        fixturesDir,
        'lspci/lspci-vmmk_intel-broadwell-igpu_nvidia-gtx970m-3d-controller_optimus-laptop.txt',
      ),
    });
    const inventory = await listGpus(
      options({
        PATH: `${tools.dir}:${process.env.PATH ?? ''}`,
        ROOST_SYSFS_ROOT: join(tools.dir, 'no-sys'),
        ROOST_NVIDIA_SMI: join(tools.dir, 'absent'),
      }),
    );
    expect(
      inventory.gpus.map((g) => [g.busId, g.vendor, g.name, g.driver, g.status, g.source]),
    ).toEqual([
      ['0000:00:02.0', 'intel', 'Intel Broadwell-U Integrated Graphics', 'i915', 'ok', 'lspci'],
      [
        '0000:01:00.0',
        'nvidia',
        'NVIDIA GM204M [GeForce GTX 970M]',
        'nouveau',
        'no-driver',
        'lspci',
      ],
    ]);
  });
});
