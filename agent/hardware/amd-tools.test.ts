import { describe, expect, it } from 'vitest';
import { parseAmdSmiProcessJson, parseRocmSmiJson } from './amd-tools.ts';
import { classifyAmdToolText } from './tool-errors.ts';
import { fixture, fixtureFiles } from './testing/fixtures.ts';

function ok(text: string) {
  const result = parseRocmSmiJson(text);
  if (!result.ok) throw new Error(result.problem.message);
  return result;
}

describe('parseRocmSmiJson on every real rocm-smi --json output', () => {
  for (const file of fixtureFiles('rocm-smi-json')) {
    it(`reads ${file}`, () => {
      const result = ok(fixture(file));
      expect(result.gpus.length).toBeGreaterThan(0);
      for (const gpu of result.gpus) {
        expect(gpu.status).toBe('ok');
        expect(gpu.busId).toMatch(/^0000:[0-9a-f]{2}:00\.0$/);
        expect(gpu.deviceId).toMatch(/^[0-9a-f]{4}$/);
        expect(gpu.vramBytes).toBeGreaterThan(0);
      }
      expect(result.driverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    });
  }

  it('reads six MI100s by their chip id, not the "Card model" subsystem id', () => {
    const result = ok(fixture('rocm-smi-json/mi100_rocm571.json'));
    expect(result.gpus).toHaveLength(6);
    expect(result.gpus.every((g) => g.deviceId === '738c')).toBe(true);
    expect(result.gpus[0]).toMatchObject({
      card: 'card0',
      busId: '0000:1e:00.0',
      name: 'Arcturus GL-XL [Instinct MI100]',
      vramBytes: 34342961152,
      temperatureC: 31,
      junctionC: 34,
      powerW: 39,
      powerCapW: 290,
      graphicsClockMHz: 300,
      memoryClockMHz: 1200,
    });
  });

  it('ignores names that are ids (ROCm 4.3 prints 0x1002 as the card series)', () => {
    const old = ok(fixture('rocm-smi-json/rx6700xt_rocm430.json')).gpus[0];
    expect(old?.name).toBeUndefined();
    expect(old?.deviceId).toBe('73df');
    const renamed = ok(fixture('rocm-smi-json/rx6700xt_rocm612.json')).gpus[0];
    expect(renamed).toMatchObject({
      name: 'Navi 22 [Radeon RX 6700/6700 XT / 6800M]',
      deviceId: '73df',
      gfxVersion: 'gfx1031',
    });
  });

  it('leaves power unknown for "N/A (Secondary die)"', () => {
    const gpu = ok(fixture('rocm-smi-json/rx6700xt_rocm602.json')).gpus[0];
    expect(gpu?.powerW).toBeUndefined();
    expect(gpu?.powerCapW).toBe(211);
  });

  it('marks one garbled card unreadable and keeps the others', () => {
    const doc = JSON.parse(fixture('rocm-smi-json/mi100_rocm571.json')) as Record<
      string,
      Record<string, string>
    >;
    doc.card2 = { ...doc.card2, 'PCI Bus': 'somewhere' };
    doc.card3 = 'oops' as unknown as Record<string, string>;
    const result = ok(JSON.stringify(doc));
    expect(result.gpus.map((g) => g.status)).toEqual([
      'ok',
      'ok',
      'unreadable',
      'unreadable',
      'ok',
      'ok',
    ]);
    expect(result.gpus[2]?.problem?.message).toMatch(/no readable PCI bus for card2/);
  });

  it('turns the driver-not-initialized text into a clear problem', () => {
    const result = parseRocmSmiJson(fixture('errors/rocm-smi_driver-not-initialized_rocm5.txt'));
    expect(result).toMatchObject({ ok: false, problem: { code: 'driver-not-loaded' } });
  });

  it('calls truncated JSON garbage', () => {
    const text = fixture('rocm-smi-json/mi100_rocm571.json').slice(0, 500);
    expect(parseRocmSmiJson(text)).toMatchObject({ ok: false, problem: { code: 'garbage' } });
    expect(parseRocmSmiJson('[]')).toMatchObject({ ok: false, problem: { code: 'garbage' } });
  });
});

describe('parseAmdSmiProcessJson', () => {
  it('reads the processes on two R9700s', () => {
    const result = parseAmdSmiProcessJson(
      fixture('amd-smi/radeon-ai-pro-r9700-x2_amdsmi-26.2.1_rocm-7.2.0_process.json'),
    );
    if (!result.ok) throw new Error(result.problem.message);
    expect(result.gpus.map((g) => g.gpu)).toEqual([0, 1]);
    expect(result.gpus[0]?.processes).toHaveLength(4);
    expect(result.gpus[0]?.processes[2]).toEqual({
      pid: 213952,
      name: '/usr/bin/python3.12',
      vramBytes: 21008920000,
    });
  });

  it('accepts the old "no processes" string', () => {
    const result = parseAmdSmiProcessJson(
      '[{"gpu":0,"process_list":[{"process_info":"No running processes detected"}]}]',
    );
    expect(result).toEqual({ ok: true, gpus: [{ gpu: 0, processes: [] }] });
  });

  it('rejects other shapes and error texts clearly', () => {
    expect(parseAmdSmiProcessJson('{"gpu":0}')).toMatchObject({
      ok: false,
      problem: { code: 'garbage' },
    });
    expect(
      parseAmdSmiProcessJson(fixture('errors/amd-smi_26.1.0_amdgpu-builtin-not-module.txt')),
    ).toMatchObject({
      ok: false,
      problem: { code: 'driver-not-loaded' },
    });
  });
});

describe('AMD failure texts', () => {
  it.each([
    ['errors/amd-smi_26.1.0_amdgpu-builtin-not-module.txt', 'driver-not-loaded'],
    ['errors/amd-smi_26.2.1_invalid-subcommand--version.txt', 'failed'],
    ['errors/rocm-smi_driver-not-initialized_rocm5.txt', 'driver-not-loaded'],
    ['errors/rocminfo_rock-module-not-loaded.txt', 'driver-not-loaded'],
  ])('%s is a %s problem with a fix', (file, code) => {
    const problem = classifyAmdToolText('amd', fixture(file));
    expect(problem?.code).toBe(code);
    expect(problem?.fix).toBeDefined();
  });

  it('the amd-smi table output is not JSON and says so', () => {
    const result = parseAmdSmiProcessJson(
      fixture('amd-smi/radeon-ai-pro-r9700-x2_amdsmi-26.2.1_rocm-7.2.0_default-table.txt'),
    );
    expect(result).toMatchObject({ ok: false, problem: { code: 'garbage' } });
  });
});
