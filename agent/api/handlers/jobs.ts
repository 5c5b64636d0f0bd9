import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { ErrorCode } from '../contract.ts';
import type { JobService } from '../../jobs/service.ts';
import type { JobResult, JobSummary } from '../../jobs/schema.ts';

/** The job service's kebab-case codes as the contract's. */
function codeFor(code: string): ErrorCode {
  switch (code) {
    case 'invalid-spec':
      return 'INVALID_PARAMS';
    case 'not-found':
      return 'NOT_FOUND';
    case 'bad-state':
      return 'JOB_STATE';
    case 'unavailable':
      return 'UNAVAILABLE';
    case 'internal':
    case 'io-error':
      return 'INTERNAL';
    default:
      return 'JOB_REFUSED';
  }
}

function unwrap<T>(result: JobResult<T>): T {
  if (!result.ok) throw new ApiFailure(codeFor(result.error.code), result.error.message);
  return result.value;
}

type JobMethod =
  'job.submit' | 'job.add' | 'job.run' | 'job.list' | 'job.show' | 'job.cancel' | 'job.remove';

export function jobHandlers(jobs: () => Promise<JobService>): Pick<Handlers, JobMethod> {
  return {
    'job.submit': async (spec) => unwrap(await (await jobs()).submit(spec, { origin: 'private' })),
    'job.add': async (request) => {
      const queued = unwrap(await (await jobs()).add(request));
      const [first] = queued as [JobSummary, ...JobSummary[]];
      return queued.length > 1 ? { ...first, parts: queued } : first;
    },
    'job.run': async (request) => {
      const service = await jobs();
      // A one-shot host (the CLI) doesn't work through the queue by itself; running now needs it.
      service.start();
      return unwrap(await service.run(request));
    },
    'job.list': async (filter) => ({ jobs: (await jobs()).list(filter) }),
    'job.show': async ({ id }) => unwrap((await jobs()).show(id)),
    'job.cancel': async ({ id }) => unwrap(await (await jobs()).cancel(id)),
    'job.remove': async (request) => unwrap(await (await jobs()).remove(request)),
  };
}
