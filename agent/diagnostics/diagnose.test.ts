import { describe, expect, it } from 'vitest';
import type { AcceleratorProbe, Gpu, GpuInventory, ProbeReport } from '../hardware/schema.ts';
import type { GpuDecision } from '../schedule/schema.ts';
import type { DiagnosticFacts } from './diagnose.ts';
import { diagnose, whyNoJobs } from './diagnose.ts';
import { diagnosticSchema, whyNoJobsSchema } from './schema.ts';

const NOW = Date.parse('2025-06-04T10:00:00Z');

function gpu(over: Partial<Gpu> = {}): Gpu {
  return {
    id: 'pci-0000:01:00.0',
    vendor: 'nvidia',
    name: 'NVIDIA GeForce RTX 4090',
    pciVendorId: '10de',
    pciDeviceId: '2684',
    vramBytes: 24e9,
    display: false,
    source: 'nvidia-smi',
    fieldSources: {},
    status: 'ok',
    clocks: { maxGraphicsMHz: 2520 },
    ...over,
  };
}
function inventory(gpus: Gpu[], problems: GpuInventory['problems'] = []): GpuInventory {
  return { gpus, problems, scannedAt: new Date(NOW).toISOString() };
}
function probe(results: Partial<AcceleratorProbe>[]): ProbeReport {
  return {
    onnxruntimeVersion: '1.30.0',
    platform: 'linux',
    arch: 'x64',
    offered: [],
    results: results.map((r) => ({ ep: 'cpu', ok: true, status: 'ok', durationMs: 1, ...r })),
    probedAt: new Date(NOW).toISOString(),
    cached: false,
    cacheKey: 'k',
  };
}
function decision(over: Partial<GpuDecision>): GpuDecision {
  return {
    gpuId: 'pci-0000:01:00.0',
    state: 'working',
    cause: 'always',
    reason: 'Working: set to work always',
    heldBy: 'policy',
    until: null,
    since: new Date(NOW).toISOString(),
    alsoApplies: [],
    lease: null,
    ...over,
  };
}

/** A healthy machine: a GPU with CUDA, a reachable chain, an unlocked funded wallet, fitting jobs. */
function healthy(over: Partial<DiagnosticFacts> = {}): DiagnosticFacts {
  return {
    now: NOW,
    inventory: inventory([gpu()]),
    probe: probe([
      { ep: 'cpu' },
      {
        ep: 'cuda',
        adapter: { name: 'RTX 4090', kind: 'discrete', software: false, gpuId: 'pci-0000:01:00.0' },
      },
    ]),
    schedule: [decision({})],
    provider: { pricePerUnitHour: 0.05, compositeScore: 120, token: 'USDC' },
    market: { openJobs: [{ jobId: '1', pricePerUnitHour: '0.06', minScore: 100 }] },
    chain: {
      reachable: true,
      network: 'custom',
      rpcUrl: 'https://rpc.example.org/v3/abc',
      latestBlockAgeSeconds: 12,
    },
    wallet: { exists: true, locked: false, nativeBalanceWei: 10n ** 18n, minGasWei: 10n ** 15n },
    maxTemperatureC: 83,
    ...over,
  };
}

const codes = (f: DiagnosticFacts) => diagnose(f).map((d) => d.code);

describe('diagnose', () => {
  it('finds nothing wrong on a healthy machine', () => {
    expect(diagnose(healthy())).toEqual([]);
    const why = whyNoJobs(healthy());
    expect(whyNoJobsSchema.parse(why)).toEqual(why);
    expect(why).toMatchObject({
      answer: 'waiting',
      headline: 'Nothing is wrong: waiting for a job that fits (1 open on the market).',
    });
    expect(whyNoJobs(healthy({ activeLeases: 2 })).headline).toBe('Working on 2 jobs.');
  });

  it('raises nothing for facts it was not given', () => {
    expect(diagnose({ now: NOW })).toEqual([]);
  });

  it('no GPU, and a GPU without its driver, with the fix', () => {
    const none = diagnose(healthy({ inventory: inventory([]) }));
    expect(none[0]).toMatchObject({ code: 'no-gpu', severity: 'warning', blocksJobs: false });
    expect(none[0]?.message).toMatch(/it takes only jobs that run on the CPU/);
    // One action, named as the Dashboard names it and as the CLI runs it.
    expect(none[0]?.fix).toBe(
      'If this computer has a graphics card, check that it is seated and powered and that its driver is installed, then check again (Check again on the Dashboard, or `roost detect`).',
    );
    expect(none[0]?.action).toEqual({ kind: 'command', command: 'roost detect' });
    const [d] = diagnose(
      healthy({
        inventory: inventory([gpu({ status: 'no-driver', driver: 'nouveau', problem: undefined })]),
        probe: null,
      }),
    );
    expect(diagnosticSchema.parse(d)).toEqual(d);
    expect(d).toMatchObject({
      id: 'driver-missing:pci-0000:01:00.0',
      code: 'driver-missing',
      severity: 'error',
      blocksJobs: true,
      message: 'NVIDIA GeForce RTX 4090 has no usable driver (bound to nouveau).',
    });
    expect(d?.fix).toMatch(/Install the NVIDIA driver/);
  });

  it('a driver the tool reports as not loaded or mismatched', () => {
    const [d] = diagnose(
      healthy({
        inventory: inventory(
          [gpu()],
          [
            {
              tool: 'nvidia-smi',
              code: 'driver-mismatch',
              message: 'Driver/library version mismatch',
            },
          ],
        ),
      }),
    );
    expect(d).toMatchObject({
      code: 'driver-missing',
      blocksJobs: false,
      title: 'GPU driver needs a restart',
    });
    expect(d?.fix).toMatch(/Restart the computer/);
  });

  it('CUDA libraries missing: blocking only when no GPU provider works', () => {
    const cudaMissing = {
      ep: 'cuda' as const,
      ok: false,
      status: 'failed' as const,
      reason: 'CUDA provider libraries are not installed: run `roost gpu install-cuda`',
      fix: 'roost gpu install-cuda',
    };
    const alone = diagnose(healthy({ probe: probe([{ ep: 'cpu' }, cudaMissing]) }));
    expect(alone[0]).toMatchObject({
      code: 'cuda-libraries-missing',
      severity: 'error',
      blocksJobs: true,
      action: { kind: 'method', method: 'hardware.installCuda' },
    });
    // The command once, in the fix, as a sentence; the headline keeps the acronym.
    expect(alone[0]?.message).toBe(
      "CUDA can't run on this NVIDIA GPU: CUDA provider libraries are not installed.",
    );
    expect(alone[0]?.fix).toBe(
      'Install them with the Install CUDA libraries button on the GPU card, or `roost gpu install-cuda`: it downloads the libraries onnxruntime needs for CUDA.',
    );
    expect(whyNoJobs(healthy({ probe: probe([{ ep: 'cpu' }, cudaMissing]) })).headline).toMatch(
      /^No jobs: CUDA libraries missing\. Install them with the Install CUDA libraries button/,
    );
    const withWebgpu = diagnose(
      healthy({
        probe: probe([
          cudaMissing,
          { ep: 'webgpu', adapter: { name: 'RTX 4090', kind: 'discrete', software: false } },
        ]),
      }),
    );
    expect(withWebgpu[0]).toMatchObject({ severity: 'warning', blocksJobs: false });
    expect(withWebgpu[0]?.message).toMatch(/Jobs run on another provider, more slowly/);
    // Without an NVIDIA GPU, CUDA's missing libraries are no news.
    const amd = diagnose(
      healthy({
        inventory: inventory([gpu({ vendor: 'amd', name: 'RX 7900' })]),
        probe: probe([{ ep: 'cpu' }, cudaMissing]),
      }),
    );
    expect(amd.map((d) => d.code)).not.toContain('cuda-libraries-missing');
  });

  /** The CPU, and WebGPU on Mesa's software renderer only. */
  const lavapipeOnly = () =>
    probe([
      { ep: 'cpu' },
      {
        ep: 'webgpu',
        ok: false,
        status: 'software-adapter',
        adapter: { name: 'llvmpipe (LLVM 15.0.7, 256 bits)', kind: 'cpu', software: true },
      },
    ]);

  it('no GPU and only a software adapter: one item, not two', () => {
    const d = diagnose(
      healthy({
        inventory: inventory([]),
        probe: lavapipeOnly(),
      }),
    );
    expect(d.map((x) => x.code)).toContain('no-gpu');
    expect(d.map((x) => x.code)).not.toContain('software-adapter-only');
    expect(d.find((x) => x.code === 'no-gpu')?.message).toBe(
      'Roost found no graphics card on this computer (onnxruntime sees only llvmpipe (LLVM 15.0.7, 256 bits), which runs on the CPU): it takes only jobs that run on the CPU, and jobs that need a GPU pass it by.',
    );
  });

  it('only a software adapter (lavapipe)', () => {
    const d = diagnose(
      healthy({
        probe: lavapipeOnly(),
      }),
    );
    // Jobs that run on the CPU still come: a warning, not a blocker.
    expect(d[0]).toMatchObject({
      code: 'software-adapter-only',
      severity: 'warning',
      blocksJobs: false,
    });
    expect(d[0]?.message).toMatch(/llvmpipe .* runs on the CPU, not a GPU/);
    // The Dashboard's Check again button, as the no-GPU item says it.
    expect(d[0]?.fix).toContain(
      'then check again (Check again on the Dashboard, or `roost detect`)',
    );
  });

  it('thermal throttling, reported by the driver or seen in telemetry', () => {
    const reported = diagnose(
      healthy({
        throttle: [{ gpuId: 'pci-0000:01:00.0', thermal: true, detail: 'HW thermal slowdown' }],
      }),
    );
    expect(reported[0]).toMatchObject({
      code: 'thermal-throttling',
      severity: 'warning',
      blocksJobs: false,
    });
    expect(reported[0]?.message).toMatch(/HW thermal slowdown/);
    expect(reported[0]?.fix).toMatch(/your 83 °C ceiling/);
    const sample = {
      gpuId: 'pci-0000:01:00.0',
      at: NOW,
      utilizationPct: 99,
      vramUsedBytes: null,
      vramTotalBytes: null,
      temperatureC: 88,
      powerW: 350,
      graphicsClockMHz: 1500,
      memoryClockMHz: null,
      fanPct: 100,
      source: 'nvidia-smi' as const,
    };
    const seen = diagnose(healthy({ telemetry: [sample] }));
    expect(seen[0]?.message).toMatch(/88 °C under load with the clock at 1500 of 2520 MHz/);
    expect(diagnose(healthy({ telemetry: [{ ...sample, graphicsClockMHz: 2400 }] }))).toEqual([]);
  });

  it('RPC unreachable, naming the host but not the URL path that may hold an API key', () => {
    const [d] = diagnose(
      healthy({
        chain: {
          reachable: false,
          network: 'custom',
          rpcUrl: 'https://rpc.example.org/v3/SECRETKEY',
          error: 'ECONNREFUSED',
        },
      }),
    );
    expect(d).toMatchObject({ code: 'rpc-unreachable', blocksJobs: true });
    expect(d?.message).toBe(
      "Roost can't reach the chain's RPC node at rpc.example.org (ECONNREFUSED).",
    );
    expect(JSON.stringify(d)).not.toContain('SECRETKEY');
    // The built-in network in user words: no file path, no "npm start".
    const local = diagnose(
      healthy({
        chain: {
          reachable: false,
          network: 'local',
          rpcUrl: null,
          error:
            'The local network is not running: /home/u/.roost/local-network.json is missing or is not a deployment record.',
        },
      }),
    );
    expect(local[0]?.message).toBe(
      "The built-in test network is not running, so Roost can't reach the market.",
    );
    expect(local[0]?.fix).toBe(
      'Quit Roost and start it again (it starts the built-in test network), or choose another network in Settings → Network.',
    );
  });

  it('no jobs because of the network: syncing, a stale head, failing downloads', () => {
    const [d] = diagnose(
      healthy({
        chain: {
          reachable: true,
          syncing: true,
          latestBlockAgeSeconds: 1800,
          artifactFailures: 3,
          lastArtifactError: 'ETIMEDOUT',
        },
      }),
    );
    expect(d?.code).toBe('network-blocks');
    expect(d?.message).toBe(
      'No jobs can be taken: the RPC node is still syncing; its latest block is 30 minutes old, so it is stuck or cut off; 3 job files in a row could not be downloaded (last: ETIMEDOUT).',
    );
    // Only there: nothing about a lab's own node on the public side of things.
    expect(d?.fix).not.toContain('on a clock');
  });

  it("a lab's own chain that makes no blocks: how to make its node mine on a clock", () => {
    const [d] = diagnose(
      healthy({ chain: { reachable: true, network: 'custom', latestBlockAgeSeconds: 900 } }),
    );
    expect(d?.code).toBe('network-blocks');
    expect(d?.fix).toContain(
      "If it is your lab's own node, make it mine blocks on a clock (geth --dev.period, anvil --block-time): Roost takes a job once 2 blocks stand on it.",
    );
    // A development node mines only with a transaction: an old head there is a quiet market,
    // on the built-in network and on a lab's Hardhat or Anvil alike.
    for (const chain of [
      { reachable: true, network: 'local' as const, latestBlockAgeSeconds: 3600 },
      { reachable: true, network: 'custom' as const, chainId: 31337, latestBlockAgeSeconds: 3600 },
      { reachable: true, network: 'custom' as const, chainId: 1337, latestBlockAgeSeconds: 3600 },
    ])
      expect(diagnose(healthy({ chain }))).toEqual([]);
    expect(
      codes(
        healthy({
          chain: { reachable: true, network: 'custom', chainId: 8453, latestBlockAgeSeconds: 3600 },
        }),
      ),
    ).toEqual(['network-blocks']);
    // A fresh head on the same chain raises nothing.
    expect(
      diagnose(
        healthy({ chain: { reachable: true, network: 'custom', latestBlockAgeSeconds: 30 } }),
      ),
    ).toEqual([]);
  });

  it('wallet missing, locked, or without gas', () => {
    expect(
      codes(
        healthy({ wallet: { exists: false, locked: true, nativeBalanceWei: null, minGasWei: 1n } }),
      ),
    ).toEqual(['wallet-missing']);
    const locked = diagnose(
      healthy({
        wallet: {
          exists: true,
          locked: true,
          nativeBalanceWei: '100000000000000',
          minGasWei: '500000000000000',
        },
      }),
    );
    expect(locked.map((d) => d.code)).toEqual(['wallet-locked', 'gas-too-low']);
    expect(locked[0]?.action).toEqual({ kind: 'method', method: 'wallet.unlock' });
    expect(locked[1]?.message).toBe(
      'The wallet holds 0.0001 ETH; claiming a job and submitting its result need about 0.0005 ETH in fees.',
    );
    // The built-in devnet gives the wallet its test ETH by itself: nothing to send there.
    const onDevnet = diagnose(
      healthy({
        chain: { reachable: true, network: 'local' },
        wallet: { exists: true, locked: true, nativeBalanceWei: '0', minGasWei: '188694000930000' },
      }),
    );
    expect(onDevnet.map((d) => d.code)).toEqual(['wallet-locked']);
    // Elsewhere the fee is said in two significant digits, not eighteen decimals.
    expect(
      diagnose(
        healthy({
          chain: { reachable: true, network: 'custom' },
          wallet: {
            exists: true,
            locked: false,
            nativeBalanceWei: '0',
            minGasWei: '188694000930000',
          },
        }),
      )[0]?.message,
    ).toBe(
      'The wallet holds 0 ETH; claiming a job and submitting its result need about 0.00019 ETH in fees.',
    );
  });

  it('no jobs because of score or price, with a suggested price', () => {
    expect(codes(healthy({ provider: { pricePerUnitHour: 0.05, compositeScore: null } }))).toEqual([
      'no-benchmark',
    ]);
    const low = diagnose(healthy({ provider: { pricePerUnitHour: 0.05, compositeScore: 80 } }));
    expect(low[0]).toMatchObject({ code: 'score-too-low' });
    expect(low[0]?.message).toBe(
      'The only open job asks for a score of at least 100; this machine scores 80.',
    );

    const recentJobs = ['0.04', '0.05', '0.05', '0.06', '0.07'].map((p, i) => ({
      jobId: `r${i}`,
      at: new Date(NOW - 3_600_000).toISOString(),
      pricePerUnitHour: p,
      accepted: true,
      minScore: 50,
    }));
    const pricey = diagnose(
      healthy({
        provider: { pricePerUnitHour: 0.1, compositeScore: 120, token: 'USDC' },
        market: {
          openJobs: [
            { jobId: '1', pricePerUnitHour: '0.06', minScore: 100 },
            { jobId: '2', pricePerUnitHour: '0.5', minScore: 500 },
          ],
          recentJobs,
        },
      }),
    );
    expect(pricey[0]).toMatchObject({
      code: 'price-too-high',
      action: { kind: 'settings', section: 'pricing', field: 'pricePerUnitHour', suggested: 0.05 },
    });
    expect(pricey[0]?.message).toBe(
      'Your price of 0.1 USDC per unit-hour is above what the only open job you qualify for pays at your score of 120 (the best pays 0.06).',
    );
    expect(pricey[0]?.fix).toMatch(
      /Lower your price to 0.05 USDC per unit-hour or less \(the median/,
    );

    // A job's price per unit-hour is computed (reward ÷ score ÷ hours): the offer is a price
    // people type, rounded down so that it still takes the job.
    const odd = diagnose(
      healthy({
        provider: { pricePerUnitHour: 1, compositeScore: 115, token: 'rUSD' },
        market: { openJobs: [{ jobId: '1', pricePerUnitHour: '0.156521739', minScore: 100 }] },
      }),
    );
    expect(odd[0]?.message).toMatch(/\(the best pays 0\.157\)\.$/);
    expect(odd[0]?.fix).toMatch(/^Lower your price to 0\.156 rUSD per unit-hour or less, or wait/);
    expect(odd[0]?.action).toMatchObject({ suggested: 0.156 });
  });

  it('no jobs because of the schedule, with the reason of each GPU', () => {
    const d = diagnose(
      healthy({
        schedule: [
          decision({
            state: 'idle',
            cause: 'user-active',
            reason: 'You are using the computer; work starts after 10 idle minutes',
          }),
        ],
      }),
    );
    expect(d[0]).toMatchObject({
      code: 'schedule-blocks',
      severity: 'info',
      title: 'Not time to work',
      action: { kind: 'settings', section: 'work', field: 'mode' },
    });
    expect(d[0]?.message).toBe(
      'No GPU may work now. NVIDIA GeForce RTX 4090: You are using the computer; work starts after 10 idle minutes.',
    );
    const budget = diagnose(
      healthy({
        schedule: [
          decision({
            state: 'paused',
            cause: 'power-budget',
            reason: 'Its 450 W power limit is more than your 300 W power budget',
          }),
        ],
      }),
    )[0];
    expect(budget).toMatchObject({
      code: 'schedule-blocks',
      title: 'Paused',
      fix: 'Raise the power budget in Settings → Work, or leave it empty for none; a GPU it holds also starts when another one stops.',
      action: { kind: 'settings', section: 'work', field: 'powerBudgetW' },
    });
  });

  it('names two cards of one model as Activity and the Dashboard do: "RTX 3070 #1" and "#2"', () => {
    const first = gpu({ id: 'pci-0000:01:00.0', name: 'RTX 3070' });
    const second = gpu({ id: 'pci-0000:02:00.0', name: 'RTX 3070' });
    const other = gpu({ id: 'pci-0000:03:00.0', name: 'RTX 4090' });
    const twins = inventory([first, second, other]);
    const paused = (gpuId: string, reason: string) =>
      decision({ gpuId, state: 'paused', cause: 'manual-pause', heldBy: 'you', reason });
    const schedule = diagnose(
      healthy({
        inventory: twins,
        schedule: [
          paused(first.id, 'Paused by you'),
          paused(second.id, 'Paused by you'),
          paused(other.id, 'Paused by you'),
        ],
      }),
    ).find((d) => d.code === 'schedule-blocks');
    expect(schedule?.message).toBe(
      'No GPU may work now. RTX 3070 #1: Paused by you. RTX 3070 #2: Paused by you. RTX 4090: Paused by you.',
    );
    const hot = diagnose(
      healthy({ inventory: twins, throttle: [{ gpuId: second.id, thermal: true, detail: 'hot' }] }),
    ).find((d) => d.code === 'thermal-throttling');
    expect(hot?.message).toMatch(/^RTX 3070 #2 is slowing itself down to cool off \(hot\)/);
    const driverless = diagnose(
      healthy({
        inventory: inventory([
          first,
          { ...second, status: 'no-driver', driver: 'nouveau', problem: undefined },
        ]),
      }),
    ).find((d) => d.code === 'driver-missing');
    expect(driverless?.message).toBe('RTX 3070 #2 has no usable driver (bound to nouveau).');
    const cuda = diagnose(
      healthy({
        inventory: twins,
        probe: probe([
          { ep: 'cpu' },
          {
            ep: 'cuda',
            ok: false,
            status: 'failed',
            reason: 'CUDA provider libraries are not installed',
            fix: 'roost gpu install-cuda',
            adapter: { name: 'RTX 3070', kind: 'discrete', software: false, gpuId: first.id },
          },
        ]),
      }),
    ).find((d) => d.code === 'cuda-libraries-missing');
    expect(cuda?.message).toMatch(/^CUDA can't run on RTX 3070 #1: /);
  });

  it('with no open job, says when recent jobs paid less than the price or asked a higher score', () => {
    const recent = (price: string, minScore: number, hoursAgo = 2) => ({
      jobId: `${price}-${minScore}-${hoursAgo}`,
      at: new Date(NOW - hoursAgo * 3_600_000).toISOString(),
      pricePerUnitHour: price,
      accepted: true,
      minScore,
    });
    const pricey = diagnose(
      healthy({
        provider: { pricePerUnitHour: 0.2, compositeScore: 120, token: 'rUSD' },
        market: {
          openJobs: [],
          recentJobs: [
            recent('0.05', 10),
            recent('0.06', 10),
            recent('0.08', 10),
            recent('0.5', 500),
            // Older than a week: not counted.
            recent('9', 10, 24 * 8),
          ],
        },
      }),
    );
    expect(pricey.map((d) => d.code)).toEqual(['price-too-high', 'market-empty']);
    expect(pricey[0]?.message).toBe(
      'Your price of 0.2 rUSD per unit-hour is above what all 3 jobs you qualified for in the last 7 days paid at your score of 120 (the best paid 0.08).',
    );
    expect(pricey[0]?.fix).toBe(
      'Lower your price to 0.06 rUSD per unit-hour or less (the median of recent jobs at your score), or wait for better-paying jobs.',
    );
    expect(pricey[0]?.action).toMatchObject({ suggested: 0.06 });
    expect(pricey[1]?.message).toBe(
      'No job is waiting on the market right now (4 posted in the last 7 days).',
    );

    const weak = diagnose(
      healthy({
        provider: { pricePerUnitHour: 0.01, compositeScore: 5, token: 'rUSD' },
        market: { openJobs: [], recentJobs: [recent('0.05', 10), recent('0.06', 20)] },
      }),
    );
    expect(weak[0]?.code).toBe('score-too-low');
    expect(weak[0]?.message).toBe(
      'All 2 jobs posted in the last 7 days asked for a score of at least 10; this machine scores 5.',
    );

    // Recent jobs that paid enough: nothing but the empty market.
    const fine = diagnose(healthy({ market: { openJobs: [], recentJobs: [recent('0.07', 10)] } }));
    expect(fine.map((d) => d.code)).toEqual(['market-empty']);
  });

  it('not registered, or market jobs turned off, each with its fix', () => {
    const unregistered = diagnose(
      healthy({
        provider: { pricePerUnitHour: 0.05, compositeScore: 120, registered: false },
        marketState: {
          state: 'waiting',
          problem: 'the wallet has no ETH to pay the registration fee',
        },
      }),
    );
    expect(unregistered[0]).toMatchObject({
      code: 'not-registered',
      severity: 'error',
      blocksJobs: true,
      action: { kind: 'method', method: 'market.register' },
    });
    // The Register now button beside it first; the command second.
    expect(unregistered[0]?.fix).toMatch(
      /to retry now, press Register now \(or, in a terminal: `roost market register`\)\.$/,
    );
    expect(unregistered[0]?.message).toBe(
      'This machine is not registered as a provider yet: the wallet has no ETH to pay the registration fee.',
    );
    // Nothing in the way (right after setup): registering, said calmly.
    const registering = diagnose(
      healthy({
        provider: { pricePerUnitHour: 0.05, compositeScore: 120, registered: false },
        marketState: { state: 'ready', problem: null },
      }),
    );
    expect(registering[0]).toMatchObject({
      code: 'not-registered',
      severity: 'info',
      blocksJobs: true,
      title: 'Registering on the market',
      action: null,
    });
    expect(registering[0]?.fix).toBe(
      'Nothing to do. If this stays for more than a minute, the Jobs page says why under Market jobs (or, in a terminal: `roost market register`).',
    );
    // Without a benchmark, that is the reason; a locked wallet is its own.
    const unbenchmarked = diagnose(
      healthy({ provider: { pricePerUnitHour: 0.05, compositeScore: null, registered: false } }),
    );
    expect(unbenchmarked.map((i) => i.code)).toEqual(['no-benchmark']);
    // Where, how and how long, as setup and the Benchmark page say it (the quick preset).
    expect(unbenchmarked[0]?.fix).toBe(
      'Run the benchmark on the Benchmark page or with `roost bench` (the quick one takes about a minute; leave the computer otherwise idle meanwhile).',
    );
    expect(
      codes(
        healthy({
          provider: { pricePerUnitHour: 0.05, compositeScore: 120, registered: false },
          wallet: { exists: true, locked: true, nativeBalanceWei: 10n ** 18n, minGasWei: 1n },
        }),
      ),
    ).toEqual(['wallet-locked']);

    // A benchmark of a retired suite: registered, the market keeps the old score (a warning);
    // never registered, it cannot be (the one item that blocks, not "not registered" too).
    const outdated = diagnose(
      healthy({
        provider: { pricePerUnitHour: 0.05, compositeScore: 120, retiredSuite: 'roost-std/3' },
      }),
    );
    expect(outdated.map((i) => [i.code, i.severity, i.blocksJobs])).toEqual([
      ['benchmark-outdated', 'warning', false],
    ]);
    expect(outdated[0]?.message).toBe(
      "This machine's benchmark was made with roost-std/3, an earlier version of the standard benchmark. Its score is not in today's units (roost-std/4), so Roost does not give it to the market: the market keeps the score it already has for this machine.",
    );
    expect(outdated[0]?.action).toEqual({ kind: 'method', method: 'bench.run' });
    const outdatedNew = diagnose(
      healthy({
        provider: {
          pricePerUnitHour: 0.05,
          compositeScore: 120,
          retiredSuite: 'roost-std/3',
          registered: false,
        },
      }),
    );
    expect(outdatedNew.map((i) => [i.code, i.severity, i.blocksJobs])).toEqual([
      ['benchmark-outdated', 'error', true],
    ]);
    expect(outdatedNew[0]?.message).toMatch(
      /this machine cannot register until it is benchmarked again\.$/,
    );

    const off = diagnose(
      healthy({ marketState: { state: 'off', problem: null }, market: { openJobs: [] } }),
    );
    expect(off.map((d) => d.code)).toEqual(['market-off']);
    expect(off[0]?.action).toEqual({
      kind: 'settings',
      section: 'market',
      field: 'enabled',
      suggested: true,
    });
  });

  it('an empty market is the last reason, not an error', () => {
    const d = diagnose(healthy({ market: { openJobs: [] } }));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'market-empty', severity: 'info', blocksJobs: true });
  });
});

describe('why no jobs', () => {
  it('answers with the most fundamental blocker first and keeps warnings apart', () => {
    const why = whyNoJobs(
      healthy({
        wallet: { exists: true, locked: true, nativeBalanceWei: 10n ** 18n, minGasWei: 1n },
        schedule: [
          decision({ state: 'paused', cause: 'game', reason: 'A game is running (eldenring)' }),
        ],
        market: { openJobs: [] },
        throttle: [{ gpuId: 'pci-0000:01:00.0', thermal: true }],
      }),
    );
    expect(why.answer).toBe('blocked');
    expect(why.blockers.map((d) => d.code)).toEqual([
      'wallet-locked',
      'schedule-blocks',
      'market-empty',
    ]);
    expect(why.warnings.map((d) => d.code)).toEqual(['thermal-throttling']);
    // Counted, not the first item again: each is said once, in the list.
    expect(why.headline).toBe('3 things keep jobs away, the most basic first.');
    expect(why.blockers[1]?.title).toBe('Paused');
  });

  it('makes one reason the headline itself', () => {
    const why = whyNoJobs(
      healthy({
        wallet: { exists: true, locked: true, nativeBalanceWei: 10n ** 18n, minGasWei: 1n },
      }),
    );
    expect(why.blockers.map((d) => d.code)).toEqual(['wallet-locked']);
    expect(why.headline).toBe('No jobs: wallet locked. Unlock the wallet with its password.');
  });

  it('does not say "no jobs" twice when the reason is itself a "no"', () => {
    const why = whyNoJobs(healthy({ market: { openJobs: [] } }));
    expect(why.blockers[0]?.title).toBe('No open jobs');
    expect(why.headline).toMatch(/^No open jobs\. /);
    expect(why.headline).not.toMatch(/^No jobs:/);
  });

  it('says the chain is unreachable rather than guessing about the market', () => {
    const why = whyNoJobs(healthy({ chain: { reachable: false }, market: { openJobs: [] } }));
    expect(why.blockers.map((d) => d.code)).toEqual(['rpc-unreachable']);
  });
});
