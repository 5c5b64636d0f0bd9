/**
 * A job in the Jobs page's words: its state, whether it has finished, and where it runs or ran.
 * The queue, a job's details and the forms say them alike.
 */
import { executionProviderName, type ResultOf } from '../../../agent/api/contract.ts';

type Summary = ResultOf<'job.list'>['jobs'][number];

export const stateWords: Record<Summary['state'], string> = {
  queued: 'Queued',
  fetching: 'Fetching files',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
/** The states a job ends in. */
export const finished = new Set(['done', 'failed', 'cancelled']);

/**
 * Where a job runs or ran, in one short phrase: the accelerator and the device, as `CUDA on RTX
 * 3070 #2`, `WebGPU on the CPU` (a software adapter), `CPU` (not "CPU on the CPU"), or `on RTX
 * 3070 #2` while its worker starts, `for RTX 3070 #2 only` before a job asked for one GPU has it.
 * Undefined before the job has either.
 */
export function whereWords(job: Pick<Summary, 'executionProvider' | 'device' | 'deviceWanted'>) {
  const { executionProvider: ep, device } = job;
  // Asked for one GPU and not on it yet: say so, or the wait reads as Roost ignoring a free GPU.
  if (ep === undefined && !device && job.deviceWanted) return `for ${job.deviceWanted.name} only`;
  if (ep === undefined) return device && `on ${device.name}`;
  const accelerator = executionProviderName(ep);
  if (!device || (device.id === 'cpu' && ep === 'cpu')) return accelerator;
  return `${accelerator} on ${device.name}`;
}
