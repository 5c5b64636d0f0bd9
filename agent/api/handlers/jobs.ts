import { join, resolve, sep } from 'node:path';
import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { ErrorCode } from '../contract.ts';
import type { JobService } from '../../jobs/service.ts';
import { jobWords } from '../../jobs/schema.ts';
import type {
  Download,
  JobDetail,
  JobResult,
  JobSummary,
  OutputPreview,
} from '../../jobs/schema.ts';
import type { DownloadLinks } from '../download-links.ts';
import { UploadRefused, type UploadLinks } from '../upload-links.ts';
import {
  fileDownload,
  fileNamePart,
  previewFile,
  zipDownload,
  type DownloadAsk,
} from '../file-answers.ts';
import { capitalized } from '../../words.ts';

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

/**
 * A model refused by job.inspectModel: the path or the file the caller gave is at fault (missing,
 * a folder, cut short, too large, custom ops), so every refusal but the agent's own is theirs.
 */
function inspected<T>(result: JobResult<T>): T {
  if (result.ok || result.error.code === 'internal' || result.error.code === 'unavailable')
    return unwrap(result);
  throw new ApiFailure('INVALID_PARAMS', result.error.message);
}

type JobMethod =
  | 'job.submit'
  | 'job.add'
  | 'job.inspectModel'
  | 'job.run'
  | 'job.list'
  | 'job.show'
  | 'job.download'
  | 'job.outputPreview'
  | 'job.uploadFiles'
  | 'job.cancel'
  | 'job.cancelQueued'
  | 'job.runAgain'
  | 'job.runNext'
  | 'job.remove';

/** Why a job without a result has no outputs to hand over, by its state. */
const NO_OUTPUTS: Record<JobDetail['state'], string> = {
  queued: 'it is queued; they are there once it is done',
  fetching: 'it is fetching its files; they are there once it is done',
  running: 'it is running; they are there once it is done',
  done: 'its result is missing from its folder',
  failed: 'it failed (its error says why)',
  cancelled: 'it was cancelled',
};

/** The files a finished job wrote, from its receipt (never from a request): each inside its folder. */
function jobFiles(detail: JobDetail) {
  const receipt = detail.result?.receipt;
  if (!receipt)
    throw new ApiFailure(
      'JOB_STATE',
      `${capitalized(jobWords(detail))} has no outputs: ${NO_OUTPUTS[detail.state]}.`,
    );
  const outDir = resolve(detail.jobDir, 'out');
  const outputs = receipt.outputs.map((o) => {
    const path = resolve(outDir, ...o.file.split('/'));
    // The receipt is the agent's own, but a name that leads out of out/ is never read.
    if (!path.startsWith(outDir + sep))
      throw new ApiFailure(
        'JOB_STATE',
        `The result of ${jobWords(detail)} names a file outside its outputs ("${o.file.slice(0, 200)}"); nothing was read.`,
      );
    return { file: o.file, name: `out/${o.file}`, path, sha256: o.sha256 };
  });
  return {
    where: `the job's folder ${detail.jobDir}`,
    outputs,
    result: { name: 'result.json', path: join(detail.jobDir, 'result.json') },
    spec: { name: 'spec.json', path: join(detail.jobDir, 'spec.json') },
    /** The refusal of a file the job does not have, listing those it has. */
    unknown: (file: string) =>
      new ApiFailure(
        'NOT_FOUND',
        `${capitalized(jobWords(detail))} has no file "${file.slice(0, 200)}". Its files: ${[...outputs.map((o) => o.file), 'result.json', 'spec.json'].join(', ')}.`,
      ),
  };
}

/** A finished job's files (job.download): one of them, or all in a zip. */
async function jobDownload(
  detail: JobDetail,
  file: string | undefined,
  ask: DownloadAsk,
): Promise<Download> {
  const { where, outputs, result, spec, unknown } = jobFiles(detail);
  if (file === undefined) {
    const name = fileNamePart(detail.name, detail.id.slice(0, 8));
    return zipDownload(
      `roost-job-${name}.zip`,
      [...outputs, result, spec],
      where,
      'download one output at a time',
      ask,
    );
  }
  if (file === result.name || file === spec.name)
    return fileDownload(file === result.name ? result : spec, where, ask);
  const output = outputs.find((o) => o.file === file);
  if (!output) throw unknown(file);
  // Saved under the receipt's name for it (set-1/c.npy becomes set-1-c.npy).
  return fileDownload({ ...output, name: file }, where, ask);
}

/** One output at a glance (job.outputPreview). */
async function jobOutputPreview(detail: JobDetail, file: string): Promise<OutputPreview> {
  const { where, outputs, unknown } = jobFiles(detail);
  const output = outputs.find((o) => o.file === file);
  if (!output) throw unknown(file);
  return previewFile(file, output.path, where);
}

/** Links for files chosen on the browser dashboard (job.uploadFiles). */
async function uploadFiles(
  links: UploadLinks | undefined,
  files: readonly { name: string; bytes: number }[],
) {
  if (!links)
    throw new ApiFailure(
      'UNAVAILABLE',
      'Uploading files works on the browser dashboard of roost serve. Here, give the files by their paths on this computer.',
    );
  try {
    return await links.issue(files);
  } catch (error) {
    if (error instanceof UploadRefused) throw new ApiFailure(error.code, error.message);
    throw error;
  }
}

export function jobHandlers(
  jobs: () => Promise<JobService>,
  downloadLinks?: DownloadLinks,
  uploadLinks?: UploadLinks,
): Pick<Handlers, JobMethod> {
  return {
    'job.submit': async (spec) => unwrap(await (await jobs()).submit(spec, { origin: 'private' })),
    'job.add': async (request) => {
      const queued = unwrap(await (await jobs()).add(request));
      const [first] = queued as [JobSummary, ...JobSummary[]];
      return queued.length > 1 ? { ...first, parts: queued } : first;
    },
    'job.inspectModel': async ({ model }) => inspected(await (await jobs()).inspectModel(model)),
    'job.run': async (request) => {
      const service = await jobs();
      // A one-shot host (the CLI) doesn't work through the queue by itself; running now needs it.
      service.start();
      return unwrap(await service.run(request));
    },
    'job.list': async (filter) => {
      const service = await jobs();
      return { jobs: service.list(filter), counts: service.counts() };
    },
    'job.show': async ({ id }) => unwrap((await jobs()).show(id)),
    'job.download': async ({ id, file, as }) =>
      jobDownload(unwrap((await jobs()).show(id)), file, { as, links: downloadLinks }),
    'job.outputPreview': async ({ id, file }) =>
      jobOutputPreview(unwrap((await jobs()).show(id)), file),
    'job.uploadFiles': async ({ files }) => uploadFiles(uploadLinks, files),
    'job.cancel': async ({ id }) => unwrap(await (await jobs()).cancel(id)),
    'job.cancelQueued': async () => ({ cancelled: await (await jobs()).cancelQueued() }),
    'job.runAgain': async ({ id }) => unwrap(await (await jobs()).runAgain(id)),
    'job.runNext': async ({ id }) => unwrap((await jobs()).runNext(id)),
    'job.remove': async (request) => unwrap(await (await jobs()).remove(request)),
  };
}
