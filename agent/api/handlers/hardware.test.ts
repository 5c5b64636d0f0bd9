import { describe, expect, it } from 'vitest';
import type { HardwareService } from '../../hardware/index.ts';
import type { InstallCudaProgress, InstallCudaResult } from '../../hardware/schema.ts';
import { hardwareHandlers } from './hardware.ts';

/** A hardware service whose install reports two steps and ends with `result` when released. */
function fakeHardware(result: InstallCudaResult) {
  const calls = { installs: 0, probes: [] as unknown[] };
  let release: () => void = () => undefined;
  const hardware = {
    async installCuda(onProgress?: (p: InstallCudaProgress) => void) {
      calls.installs++;
      onProgress?.({ phase: 'checking', message: 'Checking the NVIDIA driver' });
      await new Promise<void>((resolve) => (release = resolve));
      onProgress?.({ phase: 'verifying', message: 'Checking the files' });
      return result;
    },
    async probe(params: unknown) {
      calls.probes.push(params);
      return {};
    },
  } as unknown as HardwareService;
  return { hardware, calls, release: () => release() };
}

describe('hardware.installCuda', () => {
  it('reports progress as events, runs one install for two calls, then tests again', async () => {
    const ok: InstallCudaResult = { ok: true, installed: ['libcudnn.so.9'], message: 'Installed.' };
    const { hardware, calls, release } = fakeHardware(ok);
    const emitted: unknown[] = [];
    const handlers = hardwareHandlers(hardware, {
      emit: (event: string, payload: unknown) => emitted.push([event, payload]),
    } as never);
    const first = handlers['hardware.installCuda']({} as never);
    const second = handlers['hardware.installCuda']({} as never);
    await new Promise((r) => setTimeout(r, 0));
    release();
    expect(await first).toEqual(ok);
    expect(await second).toEqual(ok);
    expect(calls.installs).toBe(1);
    expect(emitted).toEqual([
      [
        'hardware.installCudaProgress',
        { phase: 'checking', message: 'Checking the NVIDIA driver' },
      ],
      ['hardware.installCudaProgress', { phase: 'verifying', message: 'Checking the files' }],
    ]);
    // The accelerators are tested again, so the GPU cards show CUDA without a click.
    expect(calls.probes).toEqual([{ force: true }]);
  });

  it('does not test again when the install failed, and allows another try', async () => {
    const failed: InstallCudaResult = {
      ok: false,
      code: 'unreachable',
      message: 'The download server could not be reached.',
      unchanged: true,
    };
    const { hardware, calls, release } = fakeHardware(failed);
    const handlers = hardwareHandlers(hardware, { emit: () => undefined } as never);
    const first = handlers['hardware.installCuda']({} as never);
    await new Promise((r) => setTimeout(r, 0));
    release();
    expect(await first).toEqual(failed);
    expect(calls.probes).toEqual([]);
    const again = handlers['hardware.installCuda']({} as never);
    await new Promise((r) => setTimeout(r, 0));
    release();
    await again;
    expect(calls.installs).toBe(2);
  });
});
