/** `roost work status|pause|start|auto`: what each GPU is doing and why, and holds set by hand. */
import { jobWords } from '../jobs/schema.ts';
import type { GpuDecision } from '../schedule/schema.ts';
import { describeInstant } from '../schedule/wall-clock.ts';
import { UsageError, withClient, print, type Command } from './common.ts';
import { flagRefusal } from './flags.ts';

/**
 * The policy's state in words: `working` means work is allowed now, which is "ready" until a job
 * comes (the Dashboard says Ready for jobs, and Working only while a job runs). The reason's own
 * state word ("Working: …", kept for the log) is left out after it, as on the Dashboard.
 */
export const STATE_WORDS: Record<'working' | 'idle' | 'paused', string> = {
  working: 'ready',
  idle: 'idle',
  paused: 'paused',
};

export const workCommand: Command = {
  usage:
    'roost work status [--json]\n       roost work pause|start [--gpu <id>] [--until <time>] [--release]\n       roost work auto [--gpu <id>]',
  summary:
    'See what each GPU (without one: the CPU, id "cpu") is doing and why; pause or start work by hand, or hand it back to the policy',
  help: [
    'pause and start hold work by hand over the policy (idle time, games, heat, time windows);',
    'auto hands it back to the policy.',
    '--gpu <id>     one device (ids as roost work status shows them); without it, every one',
    '--until <time> until 18:30, for 2h or 45m, or until 2026-12-01T08:00; without it, until',
    '               you change it',
    '--release      pause now, handing a market job in progress back (else it finishes first)',
  ].join('\n'),
  options: { gpu: { type: 'string' }, until: { type: 'string' }, release: { type: 'boolean' } },
  async run(ctx) {
    const [action, ...rest] = ctx.positionals;
    if (rest.length > 0)
      throw new UsageError(`Unexpected "${rest.join(' ')}". Usage: ${workCommand.usage}`);
    const gpuId = typeof ctx.values.gpu === 'string' ? ctx.values.gpu : null;
    let until: string | null = null;
    if (typeof ctx.values.until === 'string') {
      const at = parseUntil(ctx.values.until);
      if (!at)
        throw new UsageError(
          `--until takes a time such as 18:30, 2h, 45m or 2026-12-01T08:00 (got "${ctx.values.until}").`,
        );
      until = at.toISOString();
    }
    return withClient(ctx, async (client) => {
      // A mistyped --gpu would hold a device that is not here, silently: name the ones there are.
      if (gpuId !== null && (action === 'pause' || action === 'start' || action === 'auto')) {
        const known = await client.call('schedule.status');
        if (!known.ok) return print(ctx, known, () => '');
        const ids = known.value.decisions.map((d) => d.gpuId);
        if (!ids.includes(gpuId))
          return print(
            ctx,
            flagRefusal(
              `There is no device "${gpuId}" here: --gpu takes ${ids.length === 0 ? 'the id of a GPU, and none was found' : `one of ${ids.join(', ')}`} (roost work status lists them).`,
            ),
            () => '',
          );
      }
      let result;
      if (action === undefined || action === 'status') {
        result = await client.call('schedule.status');
        // What each GPU runs now: a rig runs one job per GPU.
        const running = await client.call('job.list', { states: ['running'] });
        const jobs = running.ok ? running.value.jobs : [];
        return print(ctx, result, (v) => workText(v, {}, jobs));
      } else if (action === 'pause' || action === 'start') {
        result = await client.call('schedule.hold', {
          gpuId,
          action,
          until,
          leaseAction: ctx.values.release ? 'release' : 'finish-lease',
        });
      } else if (action === 'auto') result = await client.call('schedule.clearHold', { gpuId });
      else
        throw new UsageError(`Unknown work action "${action}": use status, pause, start or auto.`);
      return print(ctx, result, workText);
    });
  },
};

/**
 * One line a device: its id, its state in words and why, in columns however long the ids; the
 * reason as a sentence ("Paused by you", "No desktop session…"), whichever part wrote it.
 */
export function workText(
  v: { decisions: readonly Pick<GpuDecision, 'gpuId' | 'state' | 'reason' | 'until'>[] },
  clock: { now?: number; timeZone?: string } = {},
  running: readonly {
    id: string;
    name?: string | undefined;
    device?: { id: string } | undefined;
  }[] = [],
): string {
  const timeZone = clock.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const now = clock.now ?? Date.now();
  if (v.decisions.length === 0) return 'No GPU to schedule (roost detect shows why).';
  const width = Math.max(...v.decisions.map((d) => d.gpuId.length));
  return v.decisions
    .map((d) => {
      const reason = d.reason.replace(/^(working|idle|paused):\s*/i, '');
      // A reason that says its own end ("paused by you until 18:30") is not told it twice.
      const until =
        d.until && !/\buntil\b/i.test(reason)
          ? ` (until ${describeInstant(Date.parse(d.until), timeZone, now)})`
          : '';
      // The jobs on this device, where the runner placed them (the CPU: every job, no GPU here).
      const mine = running.filter((j) => j.device?.id === d.gpuId || d.gpuId === 'cpu');
      const jobs = mine.length > 0 ? `. Running ${mine.map(jobWords).join(', ')}` : '';
      return `${d.gpuId.padEnd(width)}  ${STATE_WORDS[d.state].padEnd(8)} ${reason.charAt(0).toUpperCase()}${reason.slice(1)}${until}${jobs}`;
    })
    .join('\n');
}

/** `18:30` (today, or tomorrow if past), `2h`, `45m`, or an ISO date-time. */
export function parseUntil(text: string, now = new Date()): Date | undefined {
  const rel = /^(\d+)\s*(m|min|h)$/i.exec(text.trim());
  if (rel)
    return new Date(now.getTime() + Number(rel[1]) * (/^h$/i.test(rel[2]!) ? 3_600_000 : 60_000));
  const clock = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (clock) {
    const at = new Date(now);
    at.setHours(Number(clock[1]), Number(clock[2]), 0, 0);
    if (at <= now) at.setDate(at.getDate() + 1);
    return at;
  }
  const iso = new Date(text);
  return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(iso.getTime()) && iso > now
    ? iso
    : undefined;
}
