import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { WorkPolicy } from '../../schedule/work-policy.ts';

export function scheduleHandlers(
  policy: WorkPolicy,
): Pick<Handlers, 'schedule.status' | 'schedule.hold' | 'schedule.clearHold'> {
  const view = (decisions: ReturnType<WorkPolicy['decisions']>) => ({
    decisions,
    holds: policy.holds(),
  });
  return {
    'schedule.status': async () => {
      const known = policy.decisions();
      return view(known.length > 0 ? known : await policy.evaluate());
    },
    'schedule.hold': async (input) => {
      try {
        return view(await policy.hold(input));
      } catch (error) {
        if (error instanceof RangeError) throw new ApiFailure('INVALID_PARAMS', error.message);
        throw error;
      }
    },
    'schedule.clearHold': async ({ gpuId }) => view(await policy.clearHold(gpuId)),
  };
}
