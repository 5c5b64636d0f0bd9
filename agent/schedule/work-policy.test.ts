import { describe, expect, it, vi } from 'vitest';
import { gpuNames } from '../hardware/schema.ts';
import { createLogger, formatLogLine, type LogEntry } from '../log.ts';
import type { ManualHold } from './schema.ts';
import { gpuA, gpuB, sample, workSettings } from './testing/fixtures.ts';
import {
  CPU_DEVICE,
  createWorkPolicy,
  decisionWords,
  type WorkPolicyOptions,
} from './work-policy.ts';

const NOW = Date.parse('2025-06-04T10:00:00Z'); // Wednesday 12:00 in Berlin

function setup(over: Partial<WorkPolicyOptions> = {}) {
  const lines: LogEntry[] = [];
  const logger = createLogger({ sink: (e) => lines.push(e), now: () => new Date(clock.now) });
  const clock = { now: NOW, idle: 3600 as number | null };
  const saved: ManualHold[][] = [];
  const policy = createWorkPolicy({
    settings: () => workSettings(),
    gpus: () => [gpuA, gpuB],
    now: () => clock.now,
    timeZone: () => 'Europe/Berlin',
    idleSeconds: () => clock.idle,
    onBattery: () => false,
    runningProcesses: () => [],
    gpuProcesses: async () => [],
    ownPids: () => [1],
    onHoldsChanged: (h) => saved.push(h),
    log: logger.child('schedule'),
    ...over,
  });
  const text = () => lines.map(formatLogLine);
  return { policy, clock, lines, text, saved };
}

describe('work policy service', () => {
  it('logs each decision with its reason under [schedule], once per change', async () => {
    const { policy, clock, text } = setup();
    await policy.evaluate();
    await policy.evaluate();
    // Allowed to work reads "ready" (Working is a job running), the reason without its own
    // "Working:".
    expect(text().filter((l) => l.includes(': ready: '))).toHaveLength(2);
    expect(text().join('\n')).not.toMatch(/working/i);
    clock.idle = 4;
    const decisions = await policy.evaluate();
    expect(decisions.map((d) => d.cause)).toEqual(['user-active', 'user-active']);
    const last = text().at(-1) ?? '';
    expect(last).toMatch(/info {2}\[schedule\] RTX 3090: idle: you are using the computer/);
    // The GPU by its name, as the Dashboard's cards show it: no bus id in the Activity list.
    expect(text().join('\n')).not.toMatch(/pci-/);
    expect(text()).toHaveLength(4);
  });

  it('decides for the CPU on a machine without a GPU: mode, game mode and manual start alike', async () => {
    let settings = workSettings({ mode: 'manual' });
    let running: string[] = [];
    const { policy, lines } = setup({
      gpus: () => [],
      settings: () => settings,
      runningProcesses: () => running,
    });
    const [cpu, ...rest] = await policy.evaluate();
    // "CPU", not "CPU (cpu)".
    expect(lines.map((l) => l.message)).toContain(
      'CPU: idle: work starts only when you press Start now (you chose this under Take work in Settings → Work policy)',
    );
    expect(rest).toEqual([]);
    expect(cpu).toMatchObject({ gpuId: CPU_DEVICE.id, state: 'idle' });
    expect(cpu?.reason).toMatch(/press Start/);
    // Start by hand, as the Dashboard's CPU card and `roost work start --gpu cpu` do.
    const [started] = await policy.hold({
      gpuId: CPU_DEVICE.id,
      action: 'start',
      until: null,
      leaseAction: 'finish-lease',
    });
    expect(started).toMatchObject({ gpuId: 'cpu', state: 'working', heldBy: 'you' });
    // Game mode holds for the CPU too (it was ignored on GPU-less machines).
    await policy.clearHold(null);
    settings = workSettings({ mode: 'always', gameProcesses: ['game.exe'] });
    running = ['game.exe'];
    const [gaming] = await policy.evaluate();
    expect(gaming).toMatchObject({ gpuId: 'cpu', state: 'paused', cause: 'game' });
  });

  it('reads telemetry and leases per GPU and logs the lease decision', async () => {
    const { policy, text } = setup({
      telemetry: (id) => (id === gpuB.id ? sample(id, NOW, 90) : undefined),
      leases: () => [{ gpuId: gpuB.id, leaseId: 'lease-7', endsAt: NOW + 3_600_000 }],
    });
    const [a, b] = await policy.evaluate();
    expect(a?.state).toBe('working');
    expect(b).toMatchObject({ cause: 'too-hot', lease: { action: 'release' } });
    expect(
      text().some((l) =>
        /handing back the job in progress \(lease lease-7\): the GPU is needed now/.test(l),
      ),
    ).toBe(true);
  });

  it('keeps manual holds, lets them expire with a log line, and reports them to be saved', async () => {
    const { policy, clock, lines, text, saved } = setup();
    await policy.hold({ action: 'pause', until: new Date(NOW + 60_000).toISOString() });
    expect(policy.decisions().map((d) => d.cause)).toEqual(['manual-pause', 'manual-pause']);
    expect(saved.at(-1)).toHaveLength(1);
    expect(lines.map((l) => l.message)).toContain(
      'every GPU: paused by you until 12:01; a job in progress finishes first',
    );
    clock.now += 60_000;
    await policy.evaluate();
    expect(policy.decisions().map((d) => d.cause)).toEqual(['idle', 'idle']);
    expect(policy.holds()).toEqual([]);
    expect(saved.at(-1)).toEqual([]);
    expect(text().some((l) => l.includes('ended at 12:01; back to the schedule'))).toBe(true);
  });

  it('restores saved holds and lifts one GPU out of an all-GPU hold', async () => {
    const hold: ManualHold = {
      gpuId: null,
      action: 'pause',
      until: null,
      setAt: new Date(NOW).toISOString(),
      leaseAction: 'finish-lease',
    };
    const { policy, lines } = setup({ holds: [hold] });
    await policy.evaluate();
    const after = await policy.clearHold(gpuB.id);
    expect(after.map((d) => d.cause)).toEqual(['manual-pause', 'idle']);
    // The GPU by its name, as the Dashboard's cards show it.
    expect(lines.map((l) => l.message)).toContain(
      `${gpuB.name}: back to the schedule (your pause or start is lifted)`,
    );
    expect(policy.holds()).toEqual([{ ...hold, gpuId: gpuA.id }]);
    expect((await policy.clearHold(null)).map((d) => d.cause)).toEqual(['idle', 'idle']);
  });

  it('names GPUs as their cards do, numbering cards of one model in list order', () => {
    const same = { name: 'RTX 3070', display: false };
    expect([
      ...gpuNames([
        { ...same, id: 'pci-0000:03:00.0' },
        gpuA,
        { ...same, id: 'pci-0000:2d:00.0' },
        CPU_DEVICE,
      ]).values(),
    ]).toEqual(['RTX 3070 #1', 'RTX 4090', 'RTX 3070 #2', 'CPU']);
  });

  it('names the GPU of a manual hold that ended, not its id', async () => {
    const { policy, clock, lines } = setup();
    await policy.evaluate();
    await policy.hold({
      gpuId: gpuA.id,
      action: 'pause',
      until: new Date(NOW + 60_000).toISOString(),
    });
    clock.now += 60_000;
    await policy.evaluate();
    expect(lines.map((l) => l.message)).toContain(
      'your manual pause of RTX 4090 ended at 12:01; back to the schedule',
    );
    // The same name for others (notifications), the id before the first evaluation named it.
    expect(policy.gpuName(gpuA.id)).toBe('RTX 4090');
    expect(setup().policy.gpuName(gpuA.id)).toBe(gpuA.id);
  });

  it('refuses a hold that ends in the past or is malformed', async () => {
    const { policy } = setup();
    await expect(
      policy.hold({ action: 'start', until: new Date(NOW - 1).toISOString() }),
    ).rejects.toThrow(/in the future/);
    await expect(policy.hold({ action: 'stop' as 'start' })).rejects.toThrow();
  });

  it('treats a failing source as unknown and warns once', async () => {
    const { policy, text } = setup({
      runningProcesses: () => {
        throw new Error('ps: not found');
      },
      onBattery: async () => {
        throw new Error('upower gone');
      },
    });
    await policy.evaluate();
    await policy.evaluate();
    const warnings = text().filter((l) => l.includes('warn'));
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(
      /\[schedule\] the battery state could not be read \(upower gone\); treating it as unknown/,
    );
    expect(policy.decisions().map((d) => d.state)).toEqual(['working', 'working']);
  });

  it('a failing idle source keeps work from starting; no idle source at all is headless', async () => {
    const { policy, text } = setup({
      idleSeconds: () => {
        throw new Error('powerMonitor unavailable');
      },
    });
    expect((await policy.evaluate()).map((d) => d.cause)).toEqual(['user-active', 'user-active']);
    expect(text().join('\n')).toMatch(
      /the idle time could not be read .*treating the user as present/,
    );
    const headless = setup({ idleSeconds: undefined });
    expect((await headless.policy.evaluate()).map((d) => d.cause)).toEqual([
      'headless',
      'headless',
    ]);
  });

  it('evaluates on a timer and tells onChange what changed', async () => {
    vi.useFakeTimers();
    try {
      const onChange = vi.fn();
      const { policy, clock } = setup({ onChange, intervalMs: 1000 });
      policy.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(onChange).toHaveBeenCalledTimes(1);
      clock.idle = 0;
      await vi.advanceTimersByTimeAsync(1000);
      expect(onChange).toHaveBeenCalledTimes(2);
      expect(onChange.mock.calls[1]?.[1]).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1000);
      expect(onChange).toHaveBeenCalledTimes(2);
      policy.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a GPU decision in the log', () => {
  it('says the state once, before the reason, or as the reason when that starts with it', () => {
    expect(
      decisionWords({ state: 'working', reason: 'Working: you have been away 60 minutes' }),
    ).toBe('ready: you have been away 60 minutes');
    expect(
      decisionWords({ state: 'paused', reason: 'Paused by you until you start it again' }),
    ).toBe('paused by you until you start it again');
    expect(decisionWords({ state: 'paused', reason: 'a game is running (steam)' })).toBe(
      'paused: a game is running (steam)',
    );
    expect(decisionWords({ state: 'idle', reason: 'You are using the computer' })).toBe(
      'idle: you are using the computer',
    );
    expect(decisionWords({ state: 'paused', reason: 'NVIDIA driver busy' })).toBe(
      'paused: NVIDIA driver busy',
    );
  });
});
