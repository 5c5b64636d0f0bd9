import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../api/contract.ts';
import { createBrowserNotices } from './browser-notices.ts';
import { NOTIFY_KINDS, type NoticeEvent, type NotifyKind } from './schema.ts';

const done = (id: string, name: string): AgentEvent =>
  ({
    event: 'job.stateChanged',
    payload: { job: { id, name, origin: 'private', state: 'done' } },
  }) as AgentEvent;

describe('notices for the browser dashboard', () => {
  it('hands the page one notice for a job done, and folds the next ones into the cool-down', () => {
    const emitted: NoticeEvent[] = [];
    let clock = 0;
    const notices = createBrowserNotices({
      emit: (n) => emitted.push(n),
      token: () => null,
      shown: () => NOTIFY_KINDS,
      now: () => clock,
    });
    notices.observe(done('job-1', 'resnet'));
    expect(emitted).toEqual([
      {
        kind: 'job-done',
        key: 'job:job-1:done',
        title: 'Job finished',
        body: 'resnet is done: its outputs and signed result are ready.',
      },
    ]);
    // Announced once; another job within the minute waits for the summary.
    notices.observe(done('job-1', 'resnet'));
    clock += 1000;
    notices.observe(done('job-2', 'vit'));
    expect(emitted).toHaveLength(1);
    // Its own events make none, and neither do events that deserve none.
    notices.observe({ event: 'agent.notice', payload: emitted[0]! });
    notices.observe({
      event: 'agent.log',
      payload: { level: 'info', subsystem: 'jobs', message: 'x', at: '' },
    } as AgentEvent);
    expect(emitted).toHaveLength(1);
  });

  it('hands over only the kinds the owner chose to see, as the setting reads at each notice', () => {
    const emitted: NoticeEvent[] = [];
    let shown: NotifyKind[] = ['job-failed'];
    const notices = createBrowserNotices({
      emit: (n) => emitted.push(n),
      token: () => null,
      shown: () => shown,
      now: () => 0,
    });
    notices.observe(done('job-1', 'resnet'));
    expect(emitted).toEqual([]);
    shown = ['job-done'];
    notices.observe(done('job-2', 'vit'));
    expect(emitted.map((n) => n.key)).toEqual(['job:job-2:done']);
  });
});
