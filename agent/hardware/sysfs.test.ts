import { afterEach, describe, expect, it } from 'vitest';
import { parseDpmLevels, scanSysfs } from './sysfs.ts';
import type { FakeSysfs } from './testing/fake-sysfs.ts';
import { addPciDevice, amdCardsSysfs, emptySysfs, vegaIntelSysfs } from './testing/fake-sysfs.ts';

let fake: FakeSysfs | undefined;
afterEach(() => {
  fake?.remove();
  fake = undefined;
});

describe('scanSysfs on real amdgpu sysfs dumps', () => {
  it('reads the RX 580: ids, memory, busy, clocks and hwmon', async () => {
    fake = amdCardsSysfs();
    const scan = await scanSysfs(fake.root);
    expect(scan.available).toBe(true);
    expect(scan.gpus.map((g) => g.busId)).toEqual(['0000:03:00.0', '0000:09:00.0']);
    const rx580 = scan.gpus.find((g) => g.deviceId === '67df');
    expect(rx580).toMatchObject({
      busId: '0000:09:00.0',
      vendorId: '1002',
      deviceId: '67df',
      subsystemId: '1da2e387',
      driver: 'amdgpu',
      bootVga: true,
      drmCard: 'card0',
      vramTotalBytes: 4294967296,
      vramUsedBytes: 536870912,
      busyPct: 11,
      vbiosVersion: '113-1E3871U-O4C',
      graphicsClockMHz: 900,
      maxGraphicsClockMHz: 1366,
      memoryClockMHz: 1750,
      maxMemoryClockMHz: 1750,
    });
    expect(rx580?.productName).toBeUndefined();
    expect(rx580?.hwmon).toMatchObject({
      name: 'amdgpu',
      temperatureC: 44,
      powerW: 41.045,
      powerCapW: 155,
      graphicsClockMHz: 798.08,
      memoryClockMHz: 1750,
      fanRpm: 595,
    });
    expect(rx580?.hwmon?.fanPct).toBeCloseTo(13.7, 1);
  });

  it('falls back to uevent when the device/vendor files are missing (RX 7900 XT, RX 9070 XT)', async () => {
    fake = amdCardsSysfs();
    const scan = await scanSysfs(fake.root);
    const rx7900 = scan.gpus.find((g) => g.busId === '0000:03:00.0');
    expect(rx7900).toMatchObject({
      vendorId: '1002',
      deviceId: '744c',
      subsystemId: '1da2e471',
      driver: 'amdgpu',
      busyPct: 3,
      graphicsClockMHz: 31,
      maxGraphicsClockMHz: 2219,
    });
    expect(rx7900?.vramTotalBytes).toBeUndefined();
    expect(rx7900?.hwmon).toMatchObject({
      temperatureC: 53,
      junctionC: 61,
      memoryTemperatureC: 68,
      powerW: 68,
    });
    expect(rx7900?.hwmon?.name).toBeUndefined();
  });

  it('reads the RX 9070 XT on its own', async () => {
    fake = amdCardsSysfs(['amdgpu-sysfs-rs_rx9070xt']);
    const scan = await scanSysfs(fake.root);
    expect(scan.gpus).toHaveLength(1);
    expect(scan.gpus[0]).toMatchObject({
      deviceId: '7550',
      subsystemId: '148c2435',
      busyPct: 9,
      hwmon: {
        temperatureC: 39,
        junctionC: 42,
        memoryTemperatureC: 62,
        powerW: 19,
        powerCapW: 330,
      },
    });
  });

  it('reads the Vega + Intel UHD 620 dump and finds the monitor on the Intel card', async () => {
    fake = vegaIntelSysfs();
    const scan = await scanSysfs(fake.root);
    expect(scan.gpus).toHaveLength(2);
    const [intel, vega] = scan.gpus;
    expect(intel).toMatchObject({
      busId: '0000:00:02.0',
      vendorId: '8086',
      deviceId: '5917',
      subsystemId: '17aa2258',
      driver: 'i915',
      drmCard: 'card1',
      connectedOutputs: ['DP-5'],
    });
    expect(vega).toMatchObject({
      busId: '0000:09:00.0',
      vendorId: '1002',
      deviceId: '687f',
      subsystemId: '104304c4',
      driver: 'amdgpu',
      bootVga: true,
      drmCard: 'card0',
    });
    expect(vega?.connectedOutputs).toBeUndefined();
    expect(vega?.vramTotalBytes).toBeGreaterThan(0);
  });
});

describe('scanSysfs on the PCI bus', () => {
  it('lists display devices without a DRM card and skips other devices', async () => {
    fake = emptySysfs();
    addPciDevice(fake, '0000:01:00.0', {
      vendor: '10de',
      device: '2204',
      class: '0x030000',
      driver: 'nvidia',
      bootVga: true,
    });
    addPciDevice(fake, '0000:02:00.0', { vendor: '10de', device: '1eb8', class: '0x030200' });
    addPciDevice(fake, '0000:03:00.0', {
      vendor: '8086',
      device: '1533',
      class: '0x020000',
      driver: 'igb',
    });
    const scan = await scanSysfs(fake.root);
    expect(scan.gpus).toHaveLength(2);
    expect(scan.gpus[0]).toMatchObject({
      busId: '0000:01:00.0',
      vendorId: '10de',
      deviceId: '2204',
      driver: 'nvidia',
      bootVga: true,
      subsystemId: '14623897',
    });
    expect(scan.gpus[1]).toMatchObject({ busId: '0000:02:00.0', deviceId: '1eb8', bootVga: false });
    expect(scan.gpus[1]?.driver).toBeUndefined();
  });

  it('survives garbage files', async () => {
    fake = amdCardsSysfs();
    fake.write('class/drm/card0/device/mem_info_vram_total', 'lots of memory\n');
    fake.write('class/drm/card0/device/gpu_busy_percent', '250\n');
    fake.write('class/drm/card0/device/hwmon/hwmon4/temp1_input', '\0\0\0');
    fake.write('class/drm/card0/device/pp_dpm_sclk', 'garbage');
    const rx580 = (await scanSysfs(fake.root)).gpus.find((g) => g.deviceId === '67df');
    expect(rx580).toBeDefined();
    expect(rx580?.vramTotalBytes).toBeUndefined();
    expect(rx580?.busyPct).toBeUndefined();
    expect(rx580?.hwmon?.temperatureC).toBeUndefined();
    expect(rx580?.graphicsClockMHz).toBeUndefined();
    expect(rx580?.vramUsedBytes).toBe(536870912);
  });

  it('reports an absent sysfs', async () => {
    const scan = await scanSysfs('/nonexistent/roost-sysfs');
    expect(scan).toEqual({ gpus: [], available: false });
  });
});

describe('parseDpmLevels', () => {
  it('finds the current and highest level', () => {
    expect(parseDpmLevels('0: 500Mhz\n1: 31Mhz *\n2: 2219Mhz\n')).toEqual({
      currentMHz: 31,
      maxMHz: 2219,
    });
    expect(parseDpmLevels('0: 300Mhz \n1: 1000Mhz \n')).toEqual({ maxMHz: 1000 });
    expect(parseDpmLevels('nonsense')).toBeUndefined();
    expect(parseDpmLevels(undefined)).toBeUndefined();
  });
});
