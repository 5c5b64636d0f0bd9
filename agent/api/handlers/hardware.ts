import type { Handlers } from '../router.ts';
import type { HardwareService } from '../../hardware/index.ts';

export function hardwareHandlers(
  hardware: HardwareService,
): Pick<Handlers, 'hardware.list' | 'hardware.probe' | 'hardware.detect' | 'hardware.telemetry'> {
  return {
    'hardware.list': (p) => hardware.list(p),
    'hardware.probe': (p) => hardware.probe(p),
    'hardware.detect': (p) => hardware.detect(p),
    'hardware.telemetry': (p) => ({ samples: hardware.telemetry(p) }),
  };
}
