import type { Handlers } from '../router.ts';
import type { EventBus } from '../../events.ts';
import type { HardwareService } from '../../hardware/index.ts';

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
  return {
    'hardware.list': (p) => hardware.list(p),
    'hardware.probe': (p) => hardware.probe(p),
    'hardware.detect': (p) => hardware.detect(p),
    'hardware.installCuda': () =>
      hardware.installCuda((p) => events.emit('hardware.installCudaProgress', p)),
    'hardware.telemetry': (p) => ({ samples: hardware.telemetry(p) }),
  };
}
