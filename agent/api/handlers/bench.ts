import type { Handlers } from '../router.ts';
import type { BenchService } from '../../bench/index.ts';
import type { EventBus } from '../../events.ts';

type BenchMethod =
  'bench.targets' | 'bench.run' | 'bench.history' | 'bench.get' | 'bench.export' | 'bench.verify';

/** The benchmark's methods; its BenchErrors cross the router as data (their codes are in the contract). */
export function benchHandlers(
  bench: () => Promise<BenchService>,
  events: EventBus,
): Pick<Handlers, BenchMethod> {
  return {
    'bench.targets': async () => ({ targets: await (await bench()).targets() }),
    'bench.run': async (p) =>
      (await bench()).run({
        preset: p.preset,
        ep: p.ep,
        ...(p.device === undefined ? {} : { device: p.device }),
        onProgress: (progress) => events.emit('bench.progress', progress),
      }),
    'bench.history': async (p) => ({ reports: await (await bench()).history(p) }),
    'bench.get': async ({ id }) => (await bench()).get(id),
    'bench.export': async (p) => (await bench()).export(p),
    'bench.verify': async (p) =>
      (await bench()).verify(p.file !== undefined ? { file: p.file } : { text: p.text! }),
  };
}
