import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  gpusFromSystemInformation,
  gpusFromSystemProfiler,
  gpusFromWmi,
  parsePnpDeviceId,
  splitWmiRecords,
} from './desktop-sources.ts';
import { defaultSpawner, runTool } from './run-tool.ts';
import { fixture } from './testing/fixtures.ts';

describe('Windows Win32_VideoController', () => {
  it('reads the RX 580 2048SP by its chip id from PNPDeviceID (Russian-locale Format-List)', () => {
    const gpus = gpusFromWmi(
      fixture(
        'windows-wmi/get-wmiobject-win32_videocontroller_amd-rx580-2048sp_ru-locale_ws2022.txt',
      ),
    );
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toMatchObject({
      name: 'AMD Radeon RX 580 2048SP',
      vendor: 'amd',
      pciVendorId: '1002',
      pciDeviceId: '6fdf',
      subsystemId: '10020b31',
      vramBytes: 4293918720,
      driverVersion: '31.0.12044.3',
      display: true,
      displayEvidence: 'drives a 1920x1080 desktop',
    });
    expect(gpus[0]?.notes.join(' ')).toMatch(/at most 4 GiB/);
  });

  it('reads wmic /value output without a PNP id', () => {
    const gpus = gpusFromWmi(
      fixture('windows-wmi/wmic-win32_videocontroller-get-value_intel-hd5500.txt'),
    );
    expect(gpus).toEqual([
      expect.objectContaining({
        name: 'Intel(R) HD Graphics 5500',
        vendor: 'intel',
        pciVendorId: null,
        pciDeviceId: null,
        driverVersion: '20.19.15.5058',
        vramBytes: null,
      }),
    ]);
  });

  it('splits several controllers and joins wrapped values', () => {
    const text = [
      'Name        : NVIDIA GeForce RTX 3060',
      'PNPDeviceID : PCI\\VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1\\4&2',
      '              0B0B&0&0008',
      '',
      'Name        : Intel(R) UHD Graphics 770',
      'PNPDeviceID : PCI\\VEN_8086&DEV_A780&SUBSYS_7D251462&REV_04\\3&11583659&0&10',
      '',
    ].join('\r\n');
    const records = splitWmiRecords(text);
    expect(records).toHaveLength(2);
    expect(records[0]?.PNPDeviceID).toBe(
      'PCI\\VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1\\4&20B0B&0&0008',
    );
    expect(gpusFromWmi(text).map((g) => [g.vendor, g.pciDeviceId, g.subsystemId])).toEqual([
      ['nvidia', '2504', '1462397d'],
      ['intel', 'a780', '14627d25'],
    ]);
  });

  it('parses PNP ids strictly', () => {
    expect(parsePnpDeviceId('PCI\\VEN_1002&DEV_6FDF')).toEqual({
      vendorId: '1002',
      deviceId: '6fdf',
    });
    expect(parsePnpDeviceId('ROOT\\BasicDisplay\\0000')).toBeUndefined();
    expect(parsePnpDeviceId(undefined)).toBeUndefined();
  });

  it('yields nothing from garbage', () => {
    expect(gpusFromWmi('garbage\n\u0000\n')).toEqual([]);
  });
});

describe('macOS system_profiler SPDisplaysDataType', () => {
  it('reads the Apple M1 with its built-in display', () => {
    const result = gpusFromSystemProfiler(
      fixture('macos-system-profiler/apple-m1-7core_builtin-retina_SPDisplaysDataType.json'),
    );
    expect(result).toEqual({
      ok: true,
      gpus: [
        {
          name: 'Apple M1',
          vendor: 'apple',
          pciVendorId: null,
          pciDeviceId: null,
          vramBytes: null,
          vramShared: true,
          display: true,
          displayEvidence: 'drives Color LCD',
          notes: ['7 GPU cores.'],
        },
      ],
    });
  });

  it('rejects garbage', () => {
    expect(gpusFromSystemProfiler('nope')).toMatchObject({ ok: false });
    expect(gpusFromSystemProfiler('{"SPDisplaysDataType": 3}')).toMatchObject({ ok: false });
  });
});

describe('systeminformation fallback', () => {
  it('maps controllers and never trusts Apple\u2019s USB vendor id as a PCI id', () => {
    const result = gpusFromSystemInformation(
      JSON.stringify({
        controllers: [
          {
            vendor: 'Apple',
            model: 'Apple M1',
            vendorId: '0x05ac',
            deviceId: '',
            vram: null,
            vramDynamic: true,
            bus: 'Built-In',
          },
        ],
        displays: [{ main: true }],
      }),
    );
    expect(result).toMatchObject({
      ok: true,
      gpus: [
        { name: 'Apple M1', vendor: 'apple', pciVendorId: null, vramShared: true, display: true },
      ],
    });
  });

  it('runs the real helper child here (a machine with no GPU)', async () => {
    const entry = fileURLToPath(new URL('./si-graphics-child.ts', import.meta.url));
    const run = await runTool(defaultSpawner, process.execPath, [entry], { timeoutMs: 30_000 });
    expect(run.kind).toBe('exited');
    if (run.kind !== 'exited') return;
    expect(run.code).toBe(0);
    const result = gpusFromSystemInformation(run.stdout);
    expect(result.ok).toBe(true);
  });

  it('rejects garbage', () => {
    expect(gpusFromSystemInformation('')).toMatchObject({ ok: false });
    expect(gpusFromSystemInformation('{"controllers": "none"}')).toMatchObject({ ok: false });
  });
});
