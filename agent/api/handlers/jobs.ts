import { join, resolve, sep } from 'node:path';
import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { ErrorCode } from '../contract.ts';
import type { JobService } from '../../jobs/service.ts';
import { jobWords } from '../../jobs/schema.ts';
import type { Download, JobDetail, JobResult, JobSummary } from '../../jobs/schema.ts';
import { fileDownload, fileNamePart, zipDownload } from '../download.ts';

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
  | 'job.submit'
  | 'job.add'
  | 'job.run'
  | 'job.list'
  | 'job.show'
  | 'job.download'
  | 'job.cancel'
  | 'job.remove';

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A finished job's files (job.download): one of them, or all in a zip. */
async function jobDownload(detail: JobDetail, file: string | undefined): Promise<Download> {
  const receipt = detail.result?.receipt;
  if (!receipt)
    throw new ApiFailure(
      'JOB_STATE',
      `${capitalized(jobWords(detail))} has no outputs to download: ${detail.state === 'done' ? 'its result is missing' : `it is ${detail.state}`}. A job's outputs can be downloaded once it is done.`,
    );
  const where = `the job's folder ${detail.jobDir}`;
  const outDir = resolve(detail.jobDir, 'out');
  const outputs = receipt.outputs.map((o) => {
    const path = resolve(outDir, ...o.file.split('/'));
    // The receipt is the agent's own, but a name that leads out of out/ is never read.
    if (!path.startsWith(outDir + sep))
      throw new ApiFailure(
        'JOB_STATE',
        `The result of ${jobWords(detail)} names a file outside its outputs ("${o.file.slice(0, 200)}"); nothing was read.`,
      );
    return { name: `out/${o.file}`, path, sha256: o.sha256 };
  });
  const result = { name: 'result.json', path: join(detail.jobDir, 'result.json') };
  const spec = { name: 'spec.json', path: join(detail.jobDir, 'spec.json') };
  if (file === undefined) {
    const name = fileNamePart(detail.name, detail.id.slice(0, 8));
    return zipDownload(`roost-job-${name}.zip`, [...outputs, result, spec], where);
  }
  if (file === result.name || file === spec.name)
    return fileDownload(file === result.name ? result : spec, where);
  const output = outputs.find((o) => o.name === `out/${file}`);
  if (!output)
    throw new ApiFailure(
      'NOT_FOUND',
      `${capitalized(jobWords(detail))} has no file "${file.slice(0, 200)}". Its files: ${[...receipt.outputs.map((o) => o.file), result.name, spec.name].join(', ')}.`,
    );
  // Saved under the receipt's name for it (set-1/c.npy becomes set-1-c.npy).
  return fileDownload({ ...output, name: file }, where);
}

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
    'job.download': async ({ id, file }) => jobDownload(unwrap((await jobs()).show(id)), file),
    'job.cancel': async ({ id }) => unwrap(await (await jobs()).cancel(id)),
    'job.remove': async (request) => unwrap(await (await jobs()).remove(request)),
  };
}
