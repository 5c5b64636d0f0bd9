import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { classify, formatWaits, processWithThread, sampleWaits } from './thread-waits.ts';

describe('what a thread waits on', () => {
  it('labels a sample from /proc text', () => {
    const stat = (state: string) => `4242 (node (x)) ${state} 1 4242 4242 0 -1 4194560`;
    expect(classify(stat('R'), '202 0x1 0x2', 'futex_wait_queue', 'x64')).toBe('running');
    expect(classify(stat('S'), '202 0x7f 0x80 0x0', 'futex_wait_queue\n', 'x64')).toBe(
      'futex · futex_wait_queue',
    );
    expect(classify(stat('S'), '232 0x3 0x1', '0', 'x64')).toBe('epoll_wait');
    expect(classify(stat('S'), '999 0x3', '', 'x64')).toBe('syscall 999');
    expect(classify(stat('D'), '-1 0x7ffd 0x55', 'folio_wait_bit', 'x64')).toBe(
      'not in a call · folio_wait_bit',
    );
    expect(classify(stat('S'), '98 0x1', '', 'arm64')).toBe('futex');
  });

  it('formats the tally largest first, leaving out the rare', () => {
    expect(formatWaits({ samples: 200, counts: { running: 50, 'futex · q': 149, ioctl: 1 } })).toBe(
      'futex · q 75 %, running 25 % (200 samples)',
    );
    expect(formatWaits({ samples: 0, counts: {}, problem: 'ENOENT' })).toBe('no samples (ENOENT)');
  });

  it('finds the process that has a named thread', () => {
    const threads = [
      { key: '10/10', name: 'bwrap' },
      { key: '12/12', name: 'MainThread' },
      { key: '12/15', name: 'roost-io' },
    ];
    expect(processWithThread(threads, 'roost-io')).toBe(12);
    expect(processWithThread(threads, 'nope')).toBeUndefined();
  });

  it('tells a sleeping child from a busy one', async () => {
    const run = async (code: string) => {
      const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      const sampler = sampleWaits(child.pid as number, child.pid as number);
      await new Promise((r) => setTimeout(r, 300));
      const tally = await sampler.stop();
      child.kill();
      return tally;
    };
    const asleep = await run('setTimeout(() => {}, 10000)');
    const busy = await run('for (;;) {}');
    expect(asleep.samples).toBeGreaterThan(20);
    expect(busy.samples).toBeGreaterThan(20);
    // An idle Node sits in its event loop's epoll call; a spinning one is on a CPU.
    const share = (t: typeof asleep, label: string) => (t.counts[label] ?? 0) / t.samples;
    expect(share(asleep, 'running')).toBeLessThan(0.2);
    expect(Object.keys(asleep.counts).some((l) => l.startsWith('epoll'))).toBe(true);
    expect(share(busy, 'running')).toBeGreaterThan(0.5);
  });
});
