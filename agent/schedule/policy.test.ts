import { describe, expect, it } from 'vitest';
import type { PolicyMemory, WorkFacts } from './policy.ts';
import { decideWork, emptyPolicyMemory, normalizeProcessName } from './policy.ts';
import type { GpuDecision, ManualHold } from './schema.ts';
import { facts, gpuA, gpuB, sample, workSettings } from './testing/fixtures.ts';

const NOW = Date.parse('2025-06-04T10:00:00Z'); // Wednesday 12:00 in Berlin
const MIN = 60_000;

function decide(f: Partial<WorkFacts>, memory: PolicyMemory = emptyPolicyMemory()) {
  return decideWork(facts(f), memory);
}
function one(f: Partial<WorkFacts>, gpuId = gpuB.id): GpuDecision {
  const d = decide(f).decisions.find((x) => x.gpuId === gpuId);
  if (!d) throw new Error('no decision');
  return d;
}
function hold(over: Partial<ManualHold>): ManualHold {
  return {
    gpuId: null,
    action: 'pause',
    until: null,
    setAt: new Date(NOW - MIN).toISOString(),
    leaseAction: 'finish-lease',
    ...over,
  };
}

describe('idle mode', () => {
  it('waits while the user is active and says when work would start', () => {
    const d = one({ idleSeconds: 120 });
    expect(d).toMatchObject({ state: 'idle', cause: 'user-active', heldBy: 'policy' });
    expect(d.until).toBe(new Date(NOW + 8 * MIN).toISOString());
    expect(d.reason).toMatch(/after 10 idle minutes \(12:08 if you stay away\)/);
  });

  it('starts after N idle minutes', () => {
    expect(one({ idleSeconds: 599 }).state).toBe('idle');
    const d = one({ idleSeconds: 600 });
    expect(d).toMatchObject({ state: 'working', cause: 'idle', until: null, lease: null });
    expect(d.reason).toMatch(/away 10 minutes; stops when you return/);
  });

  it('stops when the user returns, releasing a long lease and finishing a short one', () => {
    const leases = [
      { gpuId: gpuA.id, leaseId: 'long', endsAt: NOW + 30 * MIN },
      { gpuId: gpuB.id, leaseId: 'short', endsAt: NOW + 2 * MIN },
    ];
    const away = decide({ idleSeconds: 900, leases });
    expect(away.decisions.map((d) => d.lease?.action)).toEqual(['continue', 'continue']);
    const back = decide({ idleSeconds: 2, leases }, away.memory).decisions;
    expect(back.map((d) => d.state)).toEqual(['idle', 'idle']);
    expect(back[0]?.lease).toMatchObject({ leaseId: 'long', action: 'release' });
    expect(back[1]?.lease).toMatchObject({ leaseId: 'short', action: 'finish-lease' });
    expect(back[1]?.lease?.reason).toMatch(/ends within 5 minutes/);
  });

  it('releases a lease with no known end when the user returns', () => {
    const d = one({ idleSeconds: 0, leases: [{ gpuId: gpuB.id, leaseId: 'x', endsAt: null }] });
    expect(d.lease).toMatchObject({ action: 'release' });
  });

  it('works headless (no idle source) and says why', () => {
    const d = one({ idleSeconds: null });
    expect(d).toMatchObject({ state: 'working', cause: 'headless' });
    expect(d.reason).toMatch(/headless/);
  });
});

describe('always and manual modes', () => {
  it('always works', () => {
    expect(one({ settings: workSettings({ mode: 'always' }), idleSeconds: 0 })).toMatchObject({
      state: 'working',
      cause: 'always',
    });
  });

  it('manual mode waits for a Start', () => {
    const d = one({ settings: workSettings({ mode: 'manual' }) });
    expect(d).toMatchObject({ state: 'idle', cause: 'manual-mode' });
    // The button and the setting by the words on screen, not the raw value ("mode: manual").
    expect(d.reason).toBe(
      'Work starts only when you press Start now (you chose this under Take work in Settings → Work policy)',
    );
  });
});

describe('game mode', () => {
  it('a watched game pauses every GPU, and closing it resumes them', () => {
    const settings = workSettings({ gameProcesses: ['EldenRing.exe'] });
    const playing = decide({ settings, runningProcesses: ['/usr/bin/bash', 'eldenring.exe'] });
    for (const d of playing.decisions) {
      expect(d).toMatchObject({ state: 'paused', cause: 'game' });
      expect(d.reason).toMatch(/^A game is running \(eldenring\)/);
    }
    const closed = decide({ settings, runningProcesses: ['/usr/bin/bash'] }, playing.memory);
    expect(closed.decisions.map((d) => d.state)).toEqual(['working', 'working']);
  });

  it('another program on one GPU pauses only that GPU', () => {
    const gpuProcesses = [{ gpuId: gpuB.id, pid: 77, name: 'blender', kind: 'compute' as const }];
    const [a, b] = decide({ gpuProcesses }).decisions;
    expect(a?.state).toBe('working');
    expect(b).toMatchObject({ state: 'paused', cause: 'gpu-process' });
    expect(b?.reason).toMatch(/^Another program is using this GPU \(blender, pid 77\)/);
  });

  it('ignores its own workers, the desktop and, when switched off, other programs', () => {
    const gpuProcesses = [
      { gpuId: gpuA.id, pid: 4242, name: 'node' },
      { gpuId: gpuA.id, pid: 900, name: '/usr/lib/xorg/Xorg', kind: 'graphics' as const },
      { gpuId: gpuA.id, pid: 901, name: 'gnome-shell', kind: 'graphics' as const },
    ];
    expect(one({ gpuProcesses }, gpuA.id).state).toBe('working');
    const other = [{ gpuId: gpuA.id, pid: 5, name: 'hashcat' }];
    expect(one({ gpuProcesses: other }, gpuA.id).state).toBe('paused');
    const off = workSettings({ pauseOnAnyGpuProcess: false });
    expect(one({ gpuProcesses: other, settings: off }, gpuA.id).state).toBe('working');
    const noGames = workSettings({ pauseWhileGaming: false, gameProcesses: ['hashcat'] });
    expect(one({ gpuProcesses: other, settings: noGames }, gpuA.id).state).toBe('working');
  });

  it('a process with no known GPU counts for every GPU', () => {
    const gpuProcesses = [{ gpuId: null, pid: 5, name: 'game' }];
    expect(decide({ gpuProcesses }).decisions.map((d) => d.cause)).toEqual([
      'gpu-process',
      'gpu-process',
    ]);
  });

  it('a game releases a lease that would run long', () => {
    const d = one({
      runningProcesses: ['gameoverlayui'],
      leases: [{ gpuId: gpuB.id, leaseId: 'L', endsAt: NOW + 20 * MIN }],
    });
    expect(d.lease).toMatchObject({ action: 'release' });
  });

  it('normalizes process names from paths and Windows executables', () => {
    expect(normalizeProcessName('C:\\Games\\Cyberpunk2077.EXE')).toBe('cyberpunk2077');
    expect(normalizeProcessName('/opt/blender/Blender')).toBe('blender');
  });
});

describe('display GPU', () => {
  it('never uses the display GPU when asked, even on a manual start', () => {
    const settings = workSettings({ avoidDisplayGpu: true });
    const [a, b] = decide({ settings }).decisions;
    expect(a).toMatchObject({ state: 'paused', cause: 'display-gpu' });
    expect(b?.state).toBe('working');
    const started = one({ settings, holds: [hold({ action: 'start' })] }, gpuA.id);
    expect(started).toMatchObject({ state: 'paused', cause: 'display-gpu' });
    expect(started.reason).toMatch(/your manual start stays in place/);
    expect(started.alsoApplies).toContain('manual-start');
  });
});

describe('temperature ceiling with hysteresis', () => {
  // Ceiling 83 °C, resume 5 °C below: at 78 °C.
  const at = (t: number, temp: number | null) => ({
    now: NOW + t * 1000,
    telemetry: { [gpuB.id]: sample(gpuB.id, NOW + t * 1000, temp) },
  });

  it('pauses at the ceiling and resumes only at ceiling − Y', () => {
    let memory = emptyPolicyMemory();
    const run = (t: number, temp: number | null) => {
      const r = decide(at(t, temp), memory);
      memory = r.memory;
      return r.decisions[1] as GpuDecision;
    };
    expect(run(0, 82).state).toBe('working');
    const hot = run(1, 83);
    expect(hot).toMatchObject({ state: 'paused', cause: 'too-hot' });
    expect(hot.reason).toMatch(/83 °C reached the 83 °C ceiling; resumes at 78 °C or below/);
    const cooling = run(2, 80);
    expect(cooling).toMatchObject({ state: 'paused', cause: 'too-hot' });
    expect(cooling.reason).toMatch(/^Cooling down .*80 °C now/);
    expect(cooling.since).toBe(hot.since);
    expect(run(3, 79).state).toBe('paused');
    expect(run(4, 78).state).toBe('working');
    expect(run(5, 82).state).toBe('working');
  });

  it('keeps a heat pause when the reading is missing or stale', () => {
    const hot = decide(at(0, 90));
    const stale = decideWork(
      facts({ now: NOW + 60_000, telemetry: { [gpuB.id]: sample(gpuB.id, NOW, 70) } }),
      hot.memory,
    );
    expect(stale.decisions[1]?.state).toBe('paused');
    expect(decide(at(1, null), hot.memory).decisions[1]?.state).toBe('paused');
  });

  it('is not lifted by a manual start, which stays in place', () => {
    const d = decide({ ...at(0, 95), holds: [hold({ action: 'start', gpuId: gpuB.id })] })
      .decisions[1];
    expect(d).toMatchObject({ state: 'paused', cause: 'too-hot' });
    expect(d?.alsoApplies).toContain('manual-start');
  });

  it('finishes a lease about to end and releases a long one', () => {
    const short = [{ gpuId: gpuB.id, leaseId: 'L', endsAt: NOW + 60_000 }];
    expect(decide({ ...at(0, 90), leases: short }).decisions[1]?.lease?.action).toBe(
      'finish-lease',
    );
    const long = [{ gpuId: gpuB.id, leaseId: 'L', endsAt: NOW + 3_600_000 }];
    expect(decide({ ...at(0, 90), leases: long }).decisions[1]?.lease?.action).toBe('release');
  });
});

describe('power budget', () => {
  const limits = (a: number | null, b: number | null, c: number | null = 300) => [
    { ...gpuA, powerLimitW: a },
    { ...gpuB, powerLimitW: b },
    { id: 'pci-0000:03:00.0', name: 'RTX 3090', display: false, powerLimitW: c },
  ];
  const budget = (powerBudgetW: number | null) => workSettings({ mode: 'always', powerBudgetW });

  it('lets GPUs work while their power limits fit, in the order listed, and holds the rest', () => {
    const d = decide({ gpus: limits(450, 350), settings: budget(900), idleSeconds: 0 }).decisions;
    expect(d.map((x) => [x.state, x.cause])).toEqual([
      ['working', 'always'],
      ['working', 'always'],
      ['paused', 'power-budget'],
    ]);
    // Two cards of one model are told apart, as the Dashboard names them.
    expect(d[2]?.reason).toBe(
      "Your 900 W power budget is taken by RTX 4090, RTX 3090 #1 (800 W of power limits) and this GPU's limit is 300 W; it works when one of them stops",
    );
    expect(d[2]?.heldBy).toBe('policy');
    // No budget: every GPU works.
    expect(
      decide({ gpus: limits(450, 350), settings: budget(null), idleSeconds: 0 }).decisions.map(
        (x) => x.state,
      ),
    ).toEqual(['working', 'working', 'working']);
  });

  it('counts GPUs running a job first, so a GPU that only waits never stops one at work', () => {
    const leases = [{ gpuId: 'pci-0000:03:00.0', leaseId: 'L', endsAt: NOW + 30 * MIN }];
    const d = decide({
      gpus: limits(450, 350),
      settings: budget(800),
      idleSeconds: 0,
      leases,
    }).decisions;
    expect(d.map((x) => x.state)).toEqual(['working', 'paused', 'working']);
    expect(d[2]?.lease?.action).toBe('continue');
    // The budget lowered under a job: it finishes, no new one starts.
    const lower = decide({ gpus: limits(450, 350), settings: budget(200), idleSeconds: 0, leases })
      .decisions[2];
    expect(lower).toMatchObject({ state: 'paused', cause: 'power-budget' });
    expect(lower?.reason).toBe('Its 300 W power limit is more than your 200 W power budget');
    expect(lower?.lease?.action).toBe('finish-lease');
  });

  it('holds a GPU whose power limit is unknown, and only GPUs that would work count', () => {
    const d = decide({
      gpus: limits(null, 350),
      settings: { ...budget(700), avoidDisplayGpu: true },
      idleSeconds: 0,
    }).decisions;
    // The display GPU is held by its own rule and takes none of the budget.
    expect(d.map((x) => [x.state, x.cause])).toEqual([
      ['paused', 'display-gpu'],
      ['working', 'always'],
      ['working', 'always'],
    ]);
    const unknown = decide({ gpus: limits(450, null), settings: budget(2000), idleSeconds: 0 })
      .decisions[1];
    expect(unknown).toMatchObject({ state: 'paused', cause: 'power-budget' });
    expect(unknown?.reason).toBe(
      "Its power limit is not known, so it can't be counted against your 2000 W power budget",
    );
  });

  it('is not lifted by a manual start, which stays in place', () => {
    const d = decide({
      gpus: limits(450, 350),
      settings: budget(500),
      holds: [hold({ action: 'start', gpuId: gpuB.id })],
    }).decisions[1];
    expect(d).toMatchObject({ state: 'paused', cause: 'power-budget' });
    expect(d?.reason).toMatch(/your manual start stays in place/);
    expect(d?.alsoApplies).toContain('manual-start');
  });

  it('leaves the CPU out: a machine with no GPU still works under a budget', () => {
    const d = decide({
      gpus: [{ id: 'cpu', name: 'CPU', display: false }],
      settings: budget(50),
      idleSeconds: 0,
    }).decisions;
    expect(d.map((x) => x.state)).toEqual(['working']);
  });
});

describe('battery', () => {
  it('pauses on battery and resumes on mains', () => {
    expect(one({ onBattery: true })).toMatchObject({ state: 'paused', cause: 'on-battery' });
    expect(one({ onBattery: false }).state).toBe('working');
    expect(one({ onBattery: null }).state).toBe('working');
    expect(one({ onBattery: true, settings: workSettings({ pauseOnBattery: false }) }).state).toBe(
      'working',
    );
  });
});

describe('time windows', () => {
  const nights = workSettings({
    mode: 'always',
    windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '07:00' }],
  });

  it('waits outside the window and says when it opens', () => {
    const d = one({ settings: nights, now: Date.parse('2025-06-04T19:59:00Z') }); // Wed 21:59
    expect(d).toMatchObject({ state: 'idle', cause: 'outside-window' });
    expect(d.until).toBe('2025-06-04T20:00:00.000Z');
    expect(d.reason).toMatch(/next window opens 22:00/);
  });

  it('works inside the window until it closes, across midnight', () => {
    const d = one({ settings: nights, now: Date.parse('2025-06-04T20:00:00Z') }); // Wed 22:00
    expect(d).toMatchObject({ state: 'working', cause: 'always' });
    expect(d.until).toBe('2025-06-05T05:00:00.000Z');
    expect(d.reason).toMatch(/until your work hours end tomorrow 07:00/);
    const late = one({ settings: nights, now: Date.parse('2025-06-05T04:59:00Z') }); // Thu 06:59
    expect(late.state).toBe('working');
    const out = one({ settings: nights, now: Date.parse('2025-06-05T05:00:00Z') }); // Thu 07:00
    expect(out.state).toBe('idle');
  });

  it('finishes a lease in progress when the window closes', () => {
    const d = one({
      settings: nights,
      now: Date.parse('2025-06-05T05:00:00Z'),
      leases: [{ gpuId: gpuB.id, leaseId: 'L', endsAt: null }],
    });
    expect(d.lease).toMatchObject({ action: 'finish-lease' });
  });

  it('in idle mode, needs both the window and the user away', () => {
    const settings = { ...nights, mode: 'idle' as const };
    const now = Date.parse('2025-06-04T21:00:00Z'); // Wed 23:00
    expect(one({ settings, now, idleSeconds: 5 }).cause).toBe('user-active');
    expect(one({ settings, now, idleSeconds: 900 }).cause).toBe('idle');
  });
});

describe('manual start and pause', () => {
  it('a manual pause holds until its end time, then the schedule takes over', () => {
    const until = new Date(NOW + 30 * MIN).toISOString();
    const d = one({ holds: [hold({ until })] });
    expect(d).toMatchObject({ state: 'paused', cause: 'manual-pause', heldBy: 'you', until });
    expect(d.reason).toBe('Paused by you until 12:30');
    expect(one({ holds: [hold({ until })], now: NOW + 30 * MIN }).state).toBe('working');
  });

  it('a manual pause without an end holds until lifted, and wins over everything', () => {
    const d = one({ holds: [hold({})], onBattery: true, runningProcesses: ['gameoverlayui'] });
    expect(d).toMatchObject({ state: 'paused', cause: 'manual-pause', until: null });
    expect(d.alsoApplies).toEqual(['on-battery', 'game']);
  });

  it('a manual pause finishes or releases the lease as the user chose', () => {
    const leases = [{ gpuId: gpuB.id, leaseId: 'L', endsAt: NOW + 60 * MIN }];
    expect(one({ holds: [hold({})], leases }).lease?.action).toBe('finish-lease');
    expect(one({ holds: [hold({ leaseAction: 'release' })], leases }).lease?.action).toBe(
      'release',
    );
  });

  it('a manual start overrides battery, games, windows and manual mode, and says so', () => {
    const d = one({
      holds: [hold({ action: 'start', gpuId: gpuB.id })],
      settings: workSettings({
        mode: 'manual',
        windows: [{ days: ['sun'], start: '01:00', end: '02:00' }],
      }),
      onBattery: true,
      idleSeconds: 0,
      runningProcesses: ['gameoverlayui'],
    });
    expect(d).toMatchObject({ state: 'working', cause: 'manual-start', heldBy: 'you' });
    expect(d.alsoApplies).toEqual(['on-battery', 'game', 'manual-mode', 'outside-window']);
    expect(d.reason).toMatch(
      /^Started by you until you pause it \(overriding: the computer is on battery/,
    );
    const busy = one({ holds: [hold({ action: 'start' })], idleSeconds: 0 });
    expect(busy).toMatchObject({ state: 'working', alsoApplies: ['user-active'] });
  });

  it('a per-GPU hold beats the all-GPU hold', () => {
    const holds = [hold({}), hold({ gpuId: gpuB.id, action: 'start' })];
    const [a, b] = decide({ holds }).decisions;
    expect(a?.cause).toBe('manual-pause');
    expect(b?.cause).toBe('manual-start');
  });
});

describe('since', () => {
  it('keeps the start time while the state and cause stay the same', () => {
    const first = decide({ idleSeconds: 1 });
    const later = decide({ idleSeconds: 100, now: NOW + 99_000 }, first.memory);
    expect(later.decisions[0]?.since).toBe(new Date(NOW).toISOString());
    const working = decide({ idleSeconds: 700, now: NOW + 700_000 }, later.memory);
    expect(working.decisions[0]?.since).toBe(new Date(NOW + 700_000).toISOString());
  });
});
