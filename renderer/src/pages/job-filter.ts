/**
 * The Jobs page's filter: which jobs its queue and history shows (all, those still on their
 * way, done, failed, cancelled), with how many there are of each.
 */
import type { ResultOf } from '../../../agent/api/contract.ts';

type Summary = ResultOf<'job.list'>['jobs'][number];
export type JobCounts = NonNullable<ResultOf<'job.list'>['counts']>;
type State = Summary['state'];

export interface JobGroup {
  id: 'all' | 'active' | 'done' | 'failed' | 'cancelled';
  label: string;
  /** Its states; undefined for all of them. */
  states?: readonly State[];
  /** "No … jobs." when it has none. */
  none: string;
}

export const JOB_GROUPS: readonly JobGroup[] = [
  { id: 'all', label: 'All', none: 'No jobs.' },
  {
    id: 'active',
    label: 'Waiting or running',
    states: ['queued', 'fetching', 'running'],
    none: 'No job is waiting or running.',
  },
  { id: 'done', label: 'Done', states: ['done'], none: 'No job is done yet.' },
  { id: 'failed', label: 'Failed', states: ['failed'], none: 'No job failed.' },
  { id: 'cancelled', label: 'Cancelled', states: ['cancelled'], none: 'No job was cancelled.' },
];

export function groupOf(id: JobGroup['id']): JobGroup {
  return JOB_GROUPS.find((g) => g.id === id) ?? (JOB_GROUPS[0] as JobGroup);
}

export function inGroup(job: Pick<Summary, 'state'>, group: JobGroup): boolean {
  return !group.states || group.states.includes(job.state);
}

/** How many jobs the group has, all of them (not only those listed). */
export function groupCount(counts: JobCounts, group: JobGroup): number {
  const states = group.states ?? (Object.keys(counts) as State[]);
  return states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

/** Worth a filter: jobs of more than one kind (done and failed, say), not a list of one kind. */
export function filterHelps(counts: JobCounts | undefined): boolean {
  if (!counts) return false;
  return JOB_GROUPS.filter((g) => g.states && groupCount(counts, g) > 0).length > 1;
}
