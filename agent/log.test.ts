import { describe, expect, it } from 'vitest';
import { RecentLog, createLogger } from './log.ts';

describe('RecentLog', () => {
  it('keeps the latest lines of info and up, oldest first, at most its size', () => {
    const recent = new RecentLog(3);
    let t = 0;
    const log = createLogger({
      sink: recent.sink,
      now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)),
    });
    log.info('one');
    log.debug('a step on the way');
    log.warn('two');
    log.child('market').error('three');
    log.info('four');
    expect(recent.latest(10).map((e) => `${e.level} ${e.subsystem} ${e.message}`)).toEqual([
      'warn agent two',
      'error market three',
      'info agent four',
    ]);
    expect(recent.latest(1).map((e) => e.message)).toEqual(['four']);
    expect(recent.latest(0)).toEqual([]);
  });
});
