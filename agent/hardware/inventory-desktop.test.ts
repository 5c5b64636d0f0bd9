import { describe, expect, it } from 'vitest';
import { listGpus } from './inventory.ts';
import { silentHardwareLog } from './log.ts';
import { gpuInventorySchema } from './schema.ts';
import { tableSpawner } from './testing/fake-tools.ts';
import { fixture } from './testing/fixtures.ts';

const wmiRx580 = fixture(
  'windows-wmi/get-wmiobject-win32_videocontroller_amd-rx580-2048sp_ru-locale_ws2022.txt',
);
const wmiNvidia = [
  'Name                        : NVIDIA GeForce RTX 3080',
  'AdapterCompatibility        : NVIDIA',
  'PNPDeviceID                 : PCI\\VEN_10DE&DEV_2216&SUBSYS_161219DA&REV_A1\\4&1E5A5B2A&0&0008',
  'DriverVersion               : 31.0.15.3640',
  'AdapterRAM                  : 4293918720',
  'Status                      : OK',
  'CurrentHorizontalResolution : ',
  '',
].join('\r\n');

describe('listGpus on Windows (answers from captured tool output)', () => {
  it('merges Win32_VideoController, nvidia-smi and systeminformation', async () => {
    const spawner = tableSpawner((command, args) => {
      if (command === 'powershell.exe') return { stdout: `${wmiRx580}\r\n${wmiNvidia}` };
      if (command === 'nvidia-smi.exe' && args[0] === '-q') {
        return { stdout: fixture('nvidia-smi-xml/geforce-rtx-3080_536.40_windows_v12dtd.xml') };
      }
      // the systeminformation child: the registry's 64-bit memory sizes
      return {
        stdout: JSON.stringify({
          controllers: [
            {
              vendor: 'Advanced Micro Devices, Inc.',
              model: 'AMD Radeon RX 580 2048SP',
              vram: 8192,
              vramDynamic: false,
              subDeviceId: '0B311002',
            },
            { vendor: 'NVIDIA', model: 'NVIDIA GeForce RTX 3080', vram: 10240, vramDynamic: false },
          ],
          displays: [],
        }),
      };
    });
    const inventory = await listGpus({
      platform: 'win32',
      spawner,
      env: {},
      log: silentHardwareLog,
    });
    expect(gpuInventorySchema.parse(inventory)).toEqual(inventory);
    expect(inventory.problems).toEqual([]);
    const [rx580, rtx3080] = inventory.gpus;
    expect(rx580).toMatchObject({
      vendor: 'amd',
      name: 'AMD Radeon RX 580 2048SP',
      pciVendorId: '1002',
      pciDeviceId: '6fdf',
      subsystemId: '10020b31',
      vramBytes: 8 * 1024 ** 3,
      driverVersion: '31.0.12044.3',
      display: true,
      source: 'wmi',
      fieldSources: { vramBytes: 'systeminformation', pciDeviceId: 'wmi' },
    });
    expect(rtx3080).toMatchObject({
      vendor: 'nvidia',
      name: 'NVIDIA GeForce RTX 3080',
      pciDeviceId: '2216',
      vramBytes: 10240 * 1024 ** 2,
      driverVersion: '536.40',
      cudaVersion: '12.2',
      display: true,
      source: 'nvidia-smi',
      fieldSources: { vramBytes: 'nvidia-smi', display: 'nvidia-smi' },
    });
    expect(rtx3080?.notes).toContain('Windows driver model: WDDM.');
  });

  it('flags a card running on Windows\u2019 basic display driver', async () => {
    const basic =
      'Name        : Microsoft Basic Display Adapter\r\nPNPDeviceID : PCI\\VEN_10DE&DEV_2204&SUBSYS_38811462&REV_A1\\4&1\r\n';
    const spawner = tableSpawner((command) =>
      command === 'powershell.exe' ? { stdout: basic } : 'missing',
    );
    const inventory = await listGpus({
      platform: 'win32',
      spawner,
      env: {},
      log: silentHardwareLog,
    });
    expect(inventory.gpus[0]).toMatchObject({
      vendor: 'nvidia',
      pciDeviceId: '2204',
      status: 'no-driver',
    });
    expect(inventory.problems).toEqual([
      expect.objectContaining({ tool: 'nvidia-smi', code: 'not-installed' }),
    ]);
  });
});

describe('listGpus on macOS', () => {
  it('reads system_profiler', async () => {
    const spawner = tableSpawner(() => ({
      stdout: fixture(
        'macos-system-profiler/apple-m1-7core_builtin-retina_SPDisplaysDataType.json',
      ),
    }));
    const inventory = await listGpus({
      platform: 'darwin',
      spawner,
      env: {},
      log: silentHardwareLog,
    });
    expect(inventory.gpus).toEqual([
      expect.objectContaining({
        id: 'gpu-0',
        vendor: 'apple',
        name: 'Apple M1',
        vramBytes: null,
        vramShared: true,
        display: true,
        status: 'ok',
      }),
    ]);
  });

  it('falls back to systeminformation when system_profiler prints garbage', async () => {
    const spawner = tableSpawner((command) =>
      command.endsWith('system_profiler')
        ? { stdout: 'garbage' }
        : {
            stdout: JSON.stringify({
              controllers: [
                {
                  vendor: 'Apple',
                  model: 'Apple M2',
                  vendorId: '0x05ac',
                  vram: null,
                  vramDynamic: true,
                },
              ],
            }),
          },
    );
    const inventory = await listGpus({
      platform: 'darwin',
      spawner,
      env: {},
      log: silentHardwareLog,
    });
    expect(inventory.problems[0]).toMatchObject({ tool: 'system_profiler', code: 'garbage' });
    expect(inventory.gpus[0]).toMatchObject({
      name: 'Apple M2',
      vendor: 'apple',
      pciVendorId: null,
    });
  });
});
