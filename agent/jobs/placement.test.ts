import { describe, expect, it } from 'vitest';
import {
  choosePlacement,
  createDevicePool,
  devicesFromProbe,
  PlacementRefused,
  placesFor,
} from './placement.ts';
import type { Device, Placement, PlacementProbe } from './placement.ts';

const GPU1 = 'pci-0000:01:00.0';
const GPU2 = 'pci-0000:02:00.0';
const names: Record<string, string> = { [GPU1]: 'RTX 3070 #1', [GPU2]: 'RTX 3070 #2' };
const gpuName = (id: string) => names[id];

/** Two NVIDIA cards (CUDA per device), WebGPU on the first, lavapipe too, and the CPU. */
const twoCards: PlacementProbe[] = [
  {
    ep: 'cuda',
    ok: true,
    status: 'ok',
    deviceIndex: 0,
    adapter: { name: 'RTX 3070', software: false, gpuId: GPU1 },
  },
  {
    ep: 'cuda',
    ok: true,
    status: 'ok',
    deviceIndex: 1,
    adapter: { name: 'RTX 3070', software: false, gpuId: GPU2 },
  },
  { ep: 'tensorrt', ok: false, status: 'failed', deviceIndex: 0 },
  {
    ep: 'webgpu',
    ok: true,
    status: 'ok',
    adapter: { name: 'RTX 3070', software: false, gpuId: GPU1 },
  },
  { ep: 'cpu', ok: true, status: 'ok' },
];

const summary = (devices: Device[]) =>
  devices.map((d) => ({ id: d.id, name: d.name, providers: Object.fromEntries(d.providers) }));

const idle = () => 0;

describe('the places jobs run', () => {
  it('are each GPU with the providers the probe found working on it, then the CPU', () => {
    const devices = devicesFromProbe(twoCards, { gpuName });
    expect(summary(devices)).toEqual([
      {
        id: GPU1,
        name: 'RTX 3070 #1',
        providers: { cuda: 0, webgpu: undefined, dml: undefined, coreml: undefined },
      },
      { id: GPU2, name: 'RTX 3070 #2', providers: { cuda: 1 } },
      { id: 'cpu', name: 'the CPU', providers: { cpu: undefined } },
    ]);
    // TensorRT failed its probe: no device offers it. DirectML and CoreML were never probed
    // (another OS): they go to the first GPU, as onnxruntime's default device.
    expect(devices.every((d) => !d.providers.has('tensorrt'))).toBe(true);
  });

  it('put a software adapter on the CPU, and leave out turned-off providers', () => {
    const probe: PlacementProbe[] = [
      {
        ep: 'webgpu',
        ok: false,
        status: 'software-adapter',
        adapter: { name: 'llvmpipe', software: true },
      },
      { ep: 'cuda', ok: false, status: 'failed' },
      { ep: 'cpu', ok: true, status: 'ok' },
    ];
    expect(summary(devicesFromProbe(probe, { disabled: ['dml', 'coreml', 'tensorrt'] }))).toEqual([
      { id: 'cpu', name: 'the CPU', providers: { cpu: undefined, webgpu: undefined } },
    ]);
    // DirectML and CoreML were never probed (Linux has neither) and there is no GPU: they run
    // nowhere, rather than on a GPU made up for them.
    expect(devicesFromProbe(probe).map((d) => d.id)).toEqual(['cpu']);
    // Software adapters not allowed (Settings → Accelerators): WebGPU runs nowhere.
    expect(
      summary(
        devicesFromProbe(probe, { disabled: ['dml', 'coreml', 'tensorrt'], allowSoftware: false }),
      ),
    ).toEqual([{ id: 'cpu', name: 'the CPU', providers: { cpu: undefined } }]);
  });

  it('are the machine as a whole, `concurrency` jobs at once, without a probe', () => {
    const [any] = devicesFromProbe(undefined, { unprobedSlots: 3 });
    expect(any).toMatchObject({ id: 'any', slots: 3 });
    expect([...(any?.providers.keys() ?? [])]).toContain('cuda');
  });
});

describe('choosing a place', () => {
  const devices = devicesFromProbe(twoCards, { gpuName });
  const cuda = { executionProviders: ['cuda', 'cpu'] as const, origin: 'private' as const };

  it('gives a job the first free GPU of its first provider, with that GPU index', () => {
    expect(
      choosePlacement({ ...cuda, executionProviders: [...cuda.executionProviders] }, devices, idle),
    ).toEqual({
      placed: {
        device: devices[0],
        executionProviders: ['cuda', 'cpu'],
        deviceIndexes: { cuda: 0 },
      },
    });
    const busyFirst = (id: string) => (id === GPU1 ? 1 : 0);
    const second = choosePlacement(
      { ...cuda, executionProviders: ['cuda', 'cpu'] },
      devices,
      busyFirst,
    );
    expect(second).toMatchObject({ placed: { device: { id: GPU2 }, deviceIndexes: { cuda: 1 } } });
  });

  it('waits for a GPU rather than falling back to the CPU while the GPUs are busy', () => {
    const allBusy = (id: string) => (id === 'cpu' ? 0 : 1);
    expect(
      choosePlacement({ ...cuda, executionProviders: ['cuda', 'cpu'] }, devices, allBusy),
    ).toEqual({
      wait: 'waiting for a free GPU: all 2 that run CUDA are busy',
    });
  });

  it('uses a later provider when no device here runs the earlier one', () => {
    expect(
      choosePlacement(
        { executionProviders: ['tensorrt', 'cpu'], origin: 'private' },
        devices,
        idle,
      ),
    ).toMatchObject({ placed: { device: { id: 'cpu' }, executionProviders: ['cpu'] } });
  });

  it('keeps a job on the device it asked for, and refuses a device that is not here', () => {
    const pinned = {
      executionProviders: ['cuda', 'cpu'] as ('cuda' | 'cpu')[],
      origin: 'private' as const,
      device: GPU2,
    };
    expect(choosePlacement(pinned, devices, idle)).toMatchObject({
      placed: { device: { id: GPU2 } },
    });
    const secondBusy = (id: string) => (id === GPU2 ? 1 : 0);
    expect(choosePlacement(pinned, devices, secondBusy)).toEqual({
      wait: 'waiting for RTX 3070 #2, busy with another job',
    });
    expect(choosePlacement({ ...pinned, device: 'pci-0000:09:00.0' }, devices, idle)).toEqual({
      never: `there is no device "pci-0000:09:00.0" here (the devices are ${GPU1}, ${GPU2}, cpu)`,
    });
    // WebGPU runs on the first card only: pinned to the second, the job falls to its CPU entry.
    expect(
      choosePlacement(
        { executionProviders: ['webgpu'], origin: 'private', device: GPU2 },
        devices,
        idle,
      ),
    ).toEqual({ never: 'RTX 3070 #2 runs none of WebGPU' });
  });

  it('keeps market jobs off a paused GPU while a working one can take them', () => {
    const paused = (d: Device, origin: string) => origin === 'market' && d.id === GPU1;
    const market = {
      executionProviders: ['cuda', 'cpu'] as ('cuda' | 'cpu')[],
      origin: 'market' as const,
    };
    expect(choosePlacement(market, devices, idle, paused)).toMatchObject({
      placed: { device: { id: GPU2 } },
    });
    // The working GPU busy: the market job waits for it, the paused one stays free.
    const secondBusy = (id: string) => (id === GPU2 ? 1 : 0);
    expect(choosePlacement(market, devices, secondBusy, paused)).toEqual({
      wait: 'waiting for RTX 3070 #2, busy with another job',
    });
    // A private job is the owner's: it takes the paused GPU.
    expect(choosePlacement({ ...market, origin: 'private' }, devices, idle, paused)).toMatchObject({
      placed: { device: { id: GPU1 } },
    });
    // Every GPU paused (a lease claimed before the pause): it still runs, the market decides.
    expect(choosePlacement(market, devices, idle, () => true)).toMatchObject({
      placed: { device: { id: GPU1 } },
    });
  });
});

describe('how many jobs of a kind run at once', () => {
  const devices = devicesFromProbe(twoCards, { gpuName });
  const paused = (d: Device, origin: string) => origin === 'market' && d.id === GPU1;

  it('are the places of the devices that run its first provider, less the avoided ones', () => {
    const cuda = {
      executionProviders: ['cuda', 'cpu'] as ('cuda' | 'cpu')[],
      origin: 'market' as const,
    };
    expect(placesFor(cuda, devices)).toBe(2);
    expect(placesFor(cuda, devices, paused)).toBe(1);
    expect(placesFor({ ...cuda, origin: 'private' }, devices, paused)).toBe(2);
    // A CPU job: one at a time, however many GPUs there are.
    expect(placesFor({ executionProviders: ['cpu'], origin: 'market' }, devices)).toBe(1);
    // The first provider no device runs does not count: TensorRT failed, CUDA runs on two.
    expect(placesFor({ executionProviders: ['tensorrt', 'cuda'], origin: 'market' }, devices)).toBe(
      2,
    );
    expect(placesFor({ executionProviders: ['cuda'], origin: 'market' }, devices, () => true)).toBe(
      0,
    );
  });
});

describe('the device pool', () => {
  const devices = devicesFromProbe(twoCards, { gpuName });
  const request = { executionProviders: ['cuda' as const], origin: 'private' as const };

  it('hands out places in the order jobs asked, and the next one as a job finishes', async () => {
    const pool = createDevicePool({ devices: () => Promise.resolve(devices), recheckMs: 60_000 });
    const signal = new AbortController().signal;
    const waits: string[] = [];
    const a = await pool.acquire(request, signal);
    const b = await pool.acquire(request, signal);
    expect([a.device.id, b.device.id]).toEqual([GPU1, GPU2]);
    const order: string[] = [];
    const c = pool
      .acquire(request, signal, (w) => waits.push(`c: ${w}`))
      .then((p) => {
        order.push('c');
        return p;
      });
    const d = pool
      .acquire(request, signal, (w) => waits.push(`d: ${w}`))
      .then((p) => {
        order.push('d');
        return p;
      });
    await new Promise((r) => setTimeout(r, 10));
    expect(waits).toEqual([
      'c: waiting for a free GPU: all 2 that run CUDA are busy',
      'd: waiting for a free GPU: all 2 that run CUDA are busy',
    ]);
    expect(pool.running()).toEqual(
      new Map([
        [GPU1, 1],
        [GPU2, 1],
      ]),
    );
    pool.release(b);
    expect((await c).device.id).toBe(GPU2);
    pool.release(a);
    expect((await d).device.id).toBe(GPU1);
    expect(order).toEqual(['c', 'd']);
    pool.close();
  });

  it('forgets a job that stops waiting, and refuses one that can never run here', async () => {
    const pool = createDevicePool({ devices: () => Promise.resolve(devices), recheckMs: 60_000 });
    const held: Placement[] = [
      await pool.acquire(request, new AbortController().signal),
      await pool.acquire(request, new AbortController().signal),
    ];
    const cancel = new AbortController();
    const cancelled = pool.acquire(request, cancel.signal);
    const next = pool.acquire(request, new AbortController().signal);
    cancel.abort(new Error('cancelled'));
    await expect(cancelled).rejects.toThrow('cancelled');
    pool.release(held[0] as Placement);
    // The place goes to the job still waiting, not to the one that stopped.
    expect((await next).device.id).toBe(GPU1);
    await expect(
      pool.acquire(
        { executionProviders: ['coreml'], origin: 'private', device: GPU2 },
        new AbortController().signal,
      ),
    ).rejects.toBeInstanceOf(PlacementRefused);
    pool.close();
  });

  it('looks again when told something changed, and by itself after a while', async () => {
    // A GPU with no place free stands for one the waiting job can't have yet.
    let slots = 0;
    const gpu = (): Device[] => [{ ...(devices[0] as Device), slots }];
    const told = createDevicePool({ devices: () => Promise.resolve(gpu()), recheckMs: 60_000 });
    let got: Placement | undefined;
    void told.acquire(request, new AbortController().signal).then((p) => (got = p));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBeUndefined();
    slots = 1;
    told.poke();
    await new Promise((r) => setTimeout(r, 10));
    expect(got?.device.id).toBe(GPU1);
    told.close();

    slots = 0;
    const timed = createDevicePool({ devices: () => Promise.resolve(gpu()), recheckMs: 20 });
    let later: Placement | undefined;
    void timed.acquire(request, new AbortController().signal).then((p) => (later = p));
    await new Promise((r) => setTimeout(r, 10));
    expect(later).toBeUndefined();
    slots = 1;
    await new Promise((r) => setTimeout(r, 60));
    expect(later?.device.id).toBe(GPU1);
    timed.close();
  });
});
