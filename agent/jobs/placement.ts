/**
 * Where a job runs: one job per GPU at a time, on the GPU its first usable execution provider
 * runs on, so a lab server with four GPUs works four jobs at once (and the CPU a fifth).
 *
 * The devices come from the accelerator probe: CUDA and TensorRT are probed per NVIDIA GPU, each
 * with its device index; DirectML, CoreML and WebGPU run on the adapter the probe found (their
 * default device). A software adapter (lavapipe) runs on the CPU, so it shares the CPU's place.
 * Without a probe (a test, a one-shot command before the probe) there is one place that runs
 * every provider, `concurrency` jobs at once, as before this module.
 *
 * A job waits for a free device of its first usable provider rather than falling back at once to
 * a slower one: a queue of a hundred CUDA jobs must not drain onto the CPU while the GPUs are
 * busy. A later provider is used when no device here runs the earlier one at all.
 */
import { executionProviderName } from '../hardware/schema.ts';
import { executionProviderSchema } from './schema.ts';
import type { ExecutionProvider, JobOrigin } from './schema.ts';

/** What the placement reads of one probe result. */
export interface PlacementProbe {
  ep: string;
  ok: boolean;
  status: string;
  deviceIndex?: number;
  adapter?: { name: string; software: boolean; gpuId?: string };
}

/** A place jobs run: a GPU, the CPU, or (no probe) the machine as a whole. */
export interface Device {
  /** The inventory's GPU id (`pci-0000:01:00.0`), `cpu`, `gpu` (one the probe did not name), or `any`. */
  id: string;
  /** For people: `NVIDIA GeForce RTX 3070 #2`, `the CPU`. */
  name: string;
  /** Providers that run on it, each with the device index it knows it by (absent: its default). */
  providers: ReadonlyMap<ExecutionProvider, number | undefined>;
  /** Jobs it runs at once. */
  slots: number;
}

export interface DeviceOptions {
  /** Providers turned off in Settings → Accelerators. */
  disabled?: readonly ExecutionProvider[];
  /** Whether a software adapter (lavapipe) may run jobs; it runs them on the CPU. */
  allowSoftware?: boolean;
  /** A GPU's name for people, by inventory id (`RTX 3070 #2`). */
  gpuName?: (gpuId: string) => string | undefined;
  /** Jobs at once when there is no probe to go by (default 1). */
  unprobedSlots?: number;
}

const ALL_PROVIDERS: readonly ExecutionProvider[] = executionProviderSchema.options;

/** The places jobs can run here, GPUs first (in the probe's order), then the CPU. */
export function devicesFromProbe(
  probe: readonly PlacementProbe[] | undefined,
  options: DeviceOptions = {},
): Device[] {
  const disabled = new Set(options.disabled ?? []);
  if (probe === undefined) {
    return [
      {
        id: 'any',
        name: 'this machine',
        providers: new Map(
          ALL_PROVIDERS.filter((ep) => !disabled.has(ep)).map((ep) => [ep, undefined]),
        ),
        slots: Math.max(1, options.unprobedSlots ?? 1),
      },
    ];
  }
  const gpus = new Map<string, Map<ExecutionProvider, number | undefined>>();
  const cpu = new Map<ExecutionProvider, number | undefined>([['cpu', undefined]]);
  const probed = new Set<string>();
  for (const result of probe) {
    probed.add(result.ep);
    const parsed = executionProviderSchema.safeParse(result.ep);
    if (!parsed.success || disabled.has(parsed.data) || parsed.data === 'cpu') continue;
    const ep = parsed.data;
    if (result.adapter?.software === true || result.status === 'software-adapter') {
      if (options.allowSoftware ?? true) cpu.set(ep, undefined);
      continue;
    }
    if (!result.ok && result.status !== 'ok') continue;
    const id = result.adapter?.gpuId ?? 'gpu';
    const providers = gpus.get(id) ?? new Map<ExecutionProvider, number | undefined>();
    if (!providers.has(ep)) providers.set(ep, result.deviceIndex);
    gpus.set(id, providers);
  }
  // A GPU provider the probe never tried (an older cache, a test) runs on the first GPU, as
  // onnxruntime would pick it. With no GPU found, it runs nowhere: the job takes its next one.
  const unprobed = ALL_PROVIDERS.filter(
    (ep) => ep !== 'cpu' && !probed.has(ep) && !disabled.has(ep),
  );
  const first = gpus.values().next();
  if (!first.done)
    for (const ep of unprobed) if (!first.value.has(ep)) first.value.set(ep, undefined);
  const devices: Device[] = [...gpus].map(([id, providers]) => ({
    id,
    name: id === 'gpu' ? 'the GPU' : (options.gpuName?.(id) ?? id),
    providers,
    slots: 1,
  }));
  devices.push({ id: 'cpu', name: 'the CPU', providers: cpu, slots: 1 });
  return devices;
}

/** What a job asks of its place. */
export interface PlacementRequest {
  /** Its providers, best first, as the agent kept them (the probe's failures taken out). */
  executionProviders: readonly ExecutionProvider[];
  /** A device the job must run on (`--gpu`), by id. */
  device?: string;
  origin: JobOrigin;
  /** Waiting jobs get places lowest first (the agent: when the job was queued); then by arrival. */
  rank?: number;
}

export interface Placement {
  device: Device;
  /** Providers for the worker to try, in order: the chosen one first, then what else runs here. */
  executionProviders: ExecutionProvider[];
  /** The device index of each of those providers that has one (CUDA, TensorRT, DirectML). */
  deviceIndexes: Partial<Record<ExecutionProvider, number>>;
}

export type PlacementChoice =
  | { placed: Placement }
  /** Not now: the reason, in words ("waiting for a free GPU: …"). */
  | { wait: string }
  /** Never here: no device runs any of the job's providers (or the one it asked for none). */
  | { never: string };

/**
 * Where the request runs now, given how many jobs each device is running. `avoid(device,
 * origin)` names devices a job of that origin should stay off while another can take it: a GPU
 * the work policy paused gets no market job while a working GPU can run it. When none can, the
 * job still runs (a lease claimed before the pause is finished or handed back by the market,
 * not left to expire in the queue).
 */
export function choosePlacement(
  request: PlacementRequest,
  devices: readonly Device[],
  running: (deviceId: string) => number,
  avoid: (device: Device, origin: JobOrigin) => boolean = () => false,
): PlacementChoice {
  const pinned = request.device;
  const candidates =
    pinned === undefined ? devices : devices.filter((d) => d.id === pinned || d.id === 'any');
  if (pinned !== undefined && candidates.length === 0) {
    const ids = devices.map((d) => d.id).filter((id) => id !== 'gpu');
    return {
      never: `there is no device "${pinned}" here (the devices are ${ids.join(', ')})`,
    };
  }
  for (const ep of request.executionProviders) {
    const offering = candidates.filter((d) => d.providers.has(ep));
    if (offering.length === 0) continue;
    const preferred = offering.filter((d) => !avoid(d, request.origin));
    const permitted = preferred.length > 0 ? preferred : offering;
    const free = permitted.find((d) => running(d.id) < d.slots);
    if (!free) {
      return {
        wait:
          permitted.length === 1
            ? `waiting for ${permitted[0]?.name}, busy with another job`
            : `waiting for a free GPU: all ${permitted.length} that run ${executionProviderName(ep)} are busy`,
      };
    }
    const rest = request.executionProviders.filter(
      (other) => other !== ep && (free.providers.has(other) || other === 'cpu'),
    );
    const executionProviders = [ep, ...rest];
    const deviceIndexes: Partial<Record<ExecutionProvider, number>> = {};
    for (const p of executionProviders) {
      const index = free.providers.get(p);
      if (index !== undefined) deviceIndexes[p] = index;
    }
    return { placed: { device: free, executionProviders, deviceIndexes } };
  }
  const wanted = request.executionProviders.map(executionProviderName).join(', ');
  return {
    never:
      pinned === undefined
        ? `no device here runs ${wanted}`
        : `${candidates[0]?.name ?? pinned} runs none of ${wanted}`,
  };
}

/** The job can never run here; `message` says why in words. */
export class PlacementRefused extends Error {}

export interface DevicePoolOptions {
  /** The places jobs run now (read again at each try: a new probe, a setting changed). */
  devices: () => Promise<readonly Device[]>;
  /** Devices a job of that origin stays off while another can run it (see choosePlacement). */
  avoid?: (device: Device, origin: JobOrigin) => boolean;
  /** While jobs wait, try again this often, for what the pool is not told of (default 5 s). */
  recheckMs?: number;
}

export interface DevicePool {
  /**
   * A place for the job, once one is free; jobs get places by rank, then in the order they
   * asked, each among
   * the devices it can use. Rejects with PlacementRefused when no device here can run it, and
   * with the signal's reason when aborted. `onWait` hears why it waits, each time that changes.
   */
  acquire(
    request: PlacementRequest,
    signal: AbortSignal,
    onWait?: (reason: string) => void,
  ): Promise<Placement>;
  /** The job is done with its place. */
  release(placement: Placement): void;
  /** Something changed that may free a place (a GPU resumed): try the waiting jobs again. */
  poke(): void;
  /** Jobs running on each device now. */
  running(): ReadonlyMap<string, number>;
  /** Stops the recheck timer; waiting jobs stay waiting until aborted. */
  close(): void;
}

interface Waiter {
  request: PlacementRequest;
  onWait?: (reason: string) => void;
  lastReason?: string;
  resolve: (placement: Placement) => void;
  reject: (error: unknown) => void;
}

export function createDevicePool(options: DevicePoolOptions): DevicePool {
  const busy = new Map<string, number>();
  const waiters: Waiter[] = [];
  let trying: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const running = (id: string) => busy.get(id) ?? 0;

  function arm(): void {
    if (closed || timer || waiters.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      poke();
    }, options.recheckMs ?? 5000);
    timer.unref?.();
  }

  /** One pass over the waiting jobs, oldest first. */
  async function tryWaiters(): Promise<void> {
    let devices: readonly Device[];
    try {
      devices = await options.devices();
    } catch (error) {
      for (const w of waiters.splice(0)) w.reject(error);
      return;
    }
    for (const w of [...waiters]) {
      const choice = choosePlacement(w.request, devices, running, options.avoid);
      if ('placed' in choice) {
        waiters.splice(waiters.indexOf(w), 1);
        const id = choice.placed.device.id;
        busy.set(id, running(id) + 1);
        w.resolve(choice.placed);
      } else if ('never' in choice) {
        waiters.splice(waiters.indexOf(w), 1);
        w.reject(new PlacementRefused(choice.never));
      } else if (choice.wait !== w.lastReason) {
        w.lastReason = choice.wait;
        try {
          w.onWait?.(choice.wait);
        } catch {
          // A listener's fault is not the job's.
        }
      }
    }
  }

  /** A pass now, or right after the one running (a job asked or left while it read). */
  function poke(): void {
    if (trying) {
      again = true;
      return;
    }
    again = false;
    trying = tryWaiters().finally(() => {
      trying = undefined;
      if (again) poke();
      else arm();
    });
  }

  return {
    acquire(request, signal, onWait) {
      return new Promise<Placement>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const waiter: Waiter = {
          request,
          ...(onWait ? { onWait } : {}),
          resolve: (placement) => {
            signal.removeEventListener('abort', onAbort);
            resolve(placement);
          },
          reject: (error) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        const onAbort = () => {
          const at = waiters.indexOf(waiter);
          if (at >= 0) waiters.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const rank = request.rank ?? Number.POSITIVE_INFINITY;
        const after = waiters.findIndex((w) => (w.request.rank ?? Number.POSITIVE_INFINITY) > rank);
        if (after < 0) waiters.push(waiter);
        else waiters.splice(after, 0, waiter);
        poke();
      });
    },
    release(placement) {
      const id = placement.device.id;
      const n = running(id) - 1;
      if (n > 0) busy.set(id, n);
      else busy.delete(id);
      poke();
    },
    poke,
    running: () => new Map(busy),
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * How many jobs of this kind could run at once here: the places of the devices that run its
 * first provider any device runs, leaving out those the origin avoids (a paused GPU, for market
 * jobs). The market claims no more leases than this, so a claimed lease never waits behind
 * another for its one device until it expires. 0 when none runs it now.
 */
export function placesFor(
  request: Pick<PlacementRequest, 'executionProviders' | 'origin'>,
  devices: readonly Device[],
  avoid: (device: Device, origin: JobOrigin) => boolean = () => false,
): number {
  for (const ep of request.executionProviders) {
    const offering = devices.filter((d) => d.providers.has(ep));
    if (offering.length === 0) continue;
    return offering.filter((d) => !avoid(d, request.origin)).reduce((n, d) => n + d.slots, 0);
  }
  return 0;
}
