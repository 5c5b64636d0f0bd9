import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiXml } from './nvidia-smi-xml.ts';
import { fixture, fixtureFiles } from './testing/fixtures.ts';

function ok(xml: string) {
  const result = parseNvidiaSmiXml(xml);
  if (!result.ok) throw new Error(`expected a report, got ${result.problem.message}`);
  return result;
}

describe('parseNvidiaSmiXml on every real nvidia-smi -q -x output', () => {
  for (const file of fixtureFiles('nvidia-smi-xml')) {
    it(`reads ${file}`, () => {
      const result = ok(fixture(file));
      expect(result.gpus.length).toBeGreaterThan(0);
      for (const gpu of result.gpus) {
        expect(gpu.status).toBe('ok');
        expect(gpu.busId).toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
        expect(gpu.vramBytes).toBeGreaterThan(0);
        expect(gpu.pciVendorId).toBe('10de');
      }
      expect(result.driverVersion).toMatch(/^\d+\.\d+/);
    });
  }

  it('reads two GPUs in bus order, with the chip id and not the board partner id', () => {
    const result = ok(fixture('nvidia-smi-xml/dual-geforce-rtx-2070_590.44.01_multi-gpu.xml'));
    expect(result.gpus.map((g) => g.busId)).toEqual(['0000:01:00.0', '0000:02:00.0']);
    const [first] = result.gpus;
    expect(first).toMatchObject({
      name: 'NVIDIA GeForce RTX 2070',
      pciDeviceId: '1f02',
      subsystemId: '19da2516',
      vramBytes: 8192 * 1024 ** 2,
      powerLimitW: 175,
      graphicsClockMHz: 300,
      memoryClockMHz: 405,
      uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab',
      display: false,
    });
    expect(result).toMatchObject({
      driverVersion: '590.44.01',
      cudaVersion: '13.1',
      attachedGpus: 2,
    });
    expect(result.warnings).toEqual([]);
  });

  it('knows which GPU drives the display', () => {
    const gt1030 = ok(fixture('nvidia-smi-xml/geforce-gt-1030_470.74.xml')).gpus[0];
    expect(gt1030).toMatchObject({
      display: true,
      displayEvidence: 'display active, display mode enabled',
    });
    const ada = ok(fixture('nvidia-smi-xml/rtx-4000-sff-ada_595.84_linux-hmm_v13dtd.xml')).gpus[0];
    expect(ada).toMatchObject({
      display: true,
      displayEvidence: 'display active, monitor attached',
    });
    const t4 = ok(fixture('nvidia-smi-xml/tesla-t4_515.105.01_linux.xml')).gpus[0];
    expect(t4?.display).toBe(false);
  });

  it('keeps N/A out of numbers (GT 1030 reports no power draw)', () => {
    const gpu = ok(fixture('nvidia-smi-xml/geforce-gt-1030_470.74.xml')).gpus[0];
    expect(gpu?.powerDrawW).toBeUndefined();
    expect(gpu?.powerLimitW).toBe(30);
    expect(gpu?.subsystemId).toBe('14628c98');
  });

  it('drops the "Graphics Device" name of old drivers so the PCI table can name the card', () => {
    const gpu = ok(fixture('nvidia-smi-xml/gtx-1660-ti_418.43_graphics-device-name.xml')).gpus[0];
    expect(gpu?.name).toBeUndefined();
    expect(gpu?.pciDeviceId).toBe('2184');
    expect(gpu?.notes.join(' ')).toMatch(/too old to know/);
  });

  it('flags an id that is not an NVIDIA chip id instead of trusting it (A10G capture)', () => {
    const gpu = ok(fixture('nvidia-smi-xml/a10g_515.105.01_linux.xml')).gpus[0];
    expect(gpu?.pciDeviceId).toBeUndefined();
    expect(gpu?.notes.join(' ')).toMatch(/000000DE/);
    expect(gpu?.name).toBe('NVIDIA A10G');
  });

  it('notes MIG and the trimmed attached_gpus count', () => {
    const result = ok(fixture('nvidia-smi-xml/a100-sxm4-80gb_535.54.03_mig-enabled_linux.xml'));
    expect(result.gpus[0]?.notes.join(' ')).toMatch(/MIG is enabled \(4 MIG devices\)/);
    expect(result.gpus[0]?.utilizationPct).toBeUndefined();
    expect(result.warnings[0]).toMatch(/4 GPUs are attached but describes 1/);
  });

  it('notes the Windows driver model', () => {
    const gpu = ok(fixture('nvidia-smi-xml/geforce-rtx-3080_536.40_windows_v12dtd.xml')).gpus[0];
    expect(gpu?.notes).toContain('Windows driver model: WDDM.');
    expect(gpu?.pciDeviceId).toBe('2216');
  });
});

describe('parseNvidiaSmiXml on broken output', () => {
  const dual = fixture('nvidia-smi-xml/dual-geforce-rtx-2070_590.44.01_multi-gpu.xml');

  it('lists the complete GPU and marks the cut-off one unreadable', () => {
    const secondStart = dual.indexOf('<gpu id="00000000:02:00.0">');
    const cut = dual.slice(0, secondStart + 2000);
    const result = ok(cut);
    expect(result.gpus).toHaveLength(2);
    expect(result.gpus[0]).toMatchObject({ status: 'ok', busId: '0000:01:00.0' });
    expect(result.gpus[1]).toMatchObject({ status: 'unreadable', busId: '0000:02:00.0' });
    expect(result.gpus[1]?.problem?.message).toMatch(/cut off/);
    expect(result.warnings.join(' ')).toMatch(/not well formed/);
  });

  it('marks one GPU with a garbage memory total unreadable and keeps the other', () => {
    const secondStart = dual.indexOf('<gpu id="00000000:02:00.0">');
    const garbled =
      dual.slice(0, secondStart) +
      dual.slice(secondStart).replace('<total>8192 MiB</total>', '<total>lots</total>');
    const result = ok(garbled);
    expect(result.gpus[0]?.status).toBe('ok');
    expect(result.gpus[1]).toMatchObject({ status: 'unreadable', busId: '0000:02:00.0' });
    expect(result.gpus[1]?.problem?.message).toMatch(/memory total "lots"/);
  });

  it('marks a GPU without a product name unreadable', () => {
    const garbled = dual.replace('<product_name>NVIDIA GeForce RTX 2070</product_name>', '');
    const result = ok(garbled);
    expect(result.gpus[0]).toMatchObject({ status: 'unreadable' });
    expect(result.gpus[0]?.problem?.message).toMatch(/product_name/);
    expect(result.gpus[1]?.status).toBe('ok');
  });

  it.each([
    ['errors/nvidia-smi_driver-not-loaded_couldnt-communicate.txt', 'driver-not-loaded'],
    ['errors/nvidia-smi_no-devices-were-found.txt', 'no-devices'],
    ['errors/nvidia-smi_nvml-driver-library-mismatch_driver460.txt', 'driver-mismatch'],
    ['errors/nvidia-smi_nvml-driver-library-mismatch_with-nvml-version_570.txt', 'driver-mismatch'],
  ])('turns %s into a clear %s problem', (file, code) => {
    const result = parseNvidiaSmiXml(fixture(file));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem.code).toBe(code);
      expect(result.problem.message.length).toBeGreaterThan(20);
      expect(result.problem.fix).toBeDefined();
    }
  });

  it.each(['', 'garbage', '<html>nope</html>', '\u0000\u0001'])('rejects %j as garbage', (text) => {
    const result = parseNvidiaSmiXml(text);
    expect(result).toMatchObject({ ok: false, problem: { code: 'garbage' } });
  });

  it('rejects a report cut before any GPU', () => {
    const result = parseNvidiaSmiXml(dual.slice(0, 200));
    expect(result).toMatchObject({ ok: false, problem: { code: 'garbage' } });
  });

  for (const file of fixtureFiles('nvidia-smi-text')) {
    it(`says clearly that ${file} is not the XML report`, () => {
      const result = parseNvidiaSmiXml(fixture(file));
      expect(result).toMatchObject({ ok: false, problem: { code: 'garbage' } });
      if (!result.ok)
        expect(result.problem.message).toMatch(
          /^nvidia-smi printed something that is not its XML report: /,
        );
    });
  }
});
