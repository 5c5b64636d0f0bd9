import type { Handlers } from '../router.ts';
import type { EventBus } from '../../events.ts';
import type { HardwareService } from '../../hardware/index.ts';
import type { InstallCudaResult } from '../../hardware/schema.ts';

type HardwareMethod =
  | 'hardware.list'
  | 'hardware.probe'
  | 'hardware.detect'
  | 'hardware.installCuda'
  | 'hardware.telemetry';

export function hardwareHandlers(
  hardware: HardwareService,
  events: Pick<EventBus, 'emit'>,
): Pick<Handlers, HardwareMethod> {
  // One install at a time: a second click, or the CLI meanwhile, waits for the same one rather
  // than writing the same library folder twice.
  let installing: Promise<InstallCudaResult> | undefined;
  const installCuda = async (): Promise<InstallCudaResult> => {
    const result = await hardware.installCuda((p) =>
      events.emit('hardware.installCudaProgress', p),
    );
    // Installed: test the accelerators again at once, so the cards show CUDA without a click.
    if (result.ok) await hardware.probe({ force: true }).catch(() => undefined);
    return result;
  };
  return {
    'hardware.list': (p) => hardware.list(p),
    'hardware.probe': (p) => hardware.probe(p),
    'hardware.detect': (p) => hardware.detect(p),
    'hardware.installCuda': () =>
      (installing ??= installCuda().finally(() => (installing = undefined))),
    'hardware.telemetry': (p) => ({ samples: hardware.telemetry(p) }),
  };
}
