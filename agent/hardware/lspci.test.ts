import { describe, expect, it } from 'vitest';
import { parseLspci } from './lspci.ts';
import { fixture, fixtureFiles } from './testing/fixtures.ts';

describe('parseLspci on every real lspci output', () => {
  for (const file of fixtureFiles('lspci')) {
    it(`finds the display devices in ${file}`, () => {
      const devices = parseLspci(fixture(file));
      expect(devices.length).toBeGreaterThan(0);
      for (const d of devices)
        expect(d.busId).toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
    });
  }

  it('keeps only the GPU function of a four-function card, with its ids', () => {
    const devices = parseLspci(
      fixture('lspci/lspci-nn-grep-nvidia_rtx2060super_4-function-device.txt'),
    );
    expect(devices).toEqual([
      {
        busId: '0000:01:00.0',
        className: 'VGA compatible controller',
        classCode: '0300',
        vendorName: 'NVIDIA Corporation',
        deviceName: 'TU106 [GeForce RTX 2060 SUPER]',
        vendorId: '10de',
        deviceId: '1f06',
        revision: 'a1',
        poweredOff: false,
      },
    ]);
  });

  it('reads a PCI domain and the 0380 display controller class', () => {
    const [v620] = parseLspci(
      fixture(
        'lspci/lspci-nn-grep-amd_radeon-pro-v620-mxgpu_vm-pci-domain-0002_display-controller-0380.txt',
      ),
    );
    expect(v620).toMatchObject({
      busId: '0002:00:00.0',
      classCode: '0380',
      vendorId: '1002',
      deviceId: '73ae',
      vendorName: 'Advanced Micro Devices, Inc. [AMD/ATI]',
    });
  });

  it('lists unnamed cards and the BMC without ids (plain lspci)', () => {
    const devices = parseLspci(
      fixture('lspci/lspci-grep-vga_2x-radeon-ai-pro-r9700-unnamed-device-7551_aspeed-bmc.txt'),
    );
    expect(devices.map((d) => [d.busId, d.vendorName, d.deviceName, d.vendorId])).toEqual([
      ['0000:03:00.0', 'Advanced Micro Devices, Inc. [AMD/ATI]', 'Device 7551', undefined],
      ['0000:43:00.0', 'Advanced Micro Devices, Inc. [AMD/ATI]', 'Device 7551', undefined],
      ['0000:c6:00.0', 'ASPEED Technology, Inc.', 'ASPEED Graphics Family', undefined],
    ]);
  });

  it('sees the powered-off Optimus GPU (rev ff)', () => {
    const devices = parseLspci(
      fixture('lspci/lspci-vnnn-grep-vga_intel-snb-igpu_nvidia-gt540m-rev-ff-powered-off.txt'),
    );
    expect(devices.map((d) => [d.deviceId, d.poweredOff])).toEqual([
      ['0116', false],
      ['0df4', true],
    ]);
  });

  it('reads -vmmk records: the 3D controller with its driver', () => {
    const devices = parseLspci(
      fixture(
        'lspci/lspci-vmmk_intel-broadwell-igpu_nvidia-gtx970m-3d-controller_optimus-laptop.txt',
      ),
    );
    expect(devices.map((d) => [d.busId, d.className, d.deviceName, d.driver])).toEqual([
      ['0000:00:02.0', 'VGA compatible controller', 'Broadwell-U Integrated Graphics', 'i915'],
      ['0000:01:00.0', '3D controller', 'GM204M [GeForce GTX 970M]', 'nouveau'],
    ]);
  });

  it('reads old pciutils records keyed "Device:" for the slot', () => {
    expect(
      parseLspci(fixture('lspci/lspci-vmnn_virtualbox-vm_old-pciutils-Device-slot-key.txt')),
    ).toEqual([
      {
        busId: '0000:00:02.0',
        className: 'VGA compatible controller',
        classCode: '0300',
        vendorName: 'InnoTek Systemberatung GmbH',
        vendorId: '80ee',
        deviceName: 'VirtualBox Graphics Adapter',
        deviceId: 'beef',
        poweredOff: false,
      },
    ]);
  });

  it('finds nothing in garbage', () => {
    expect(parseLspci('garbage\n\nSlot:\tnowhere\n')).toEqual([]);
  });
});
