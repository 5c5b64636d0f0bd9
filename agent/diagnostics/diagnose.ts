/**
 * Typed warnings, each with its fix, from facts the agent already has (the GPU inventory, the
 * accelerator probe, telemetry, the work policy's decisions, the market, the chain and the
 * wallet), and the Dashboard's answer to "why am I getting no jobs?". Pure: no fact is read
 * here, so every warning is tested from injected facts. A fact left out means "unknown" and
 * raises nothing.
 */
import { gpuNames } from '../hardware/schema.ts';
import type { GpuInventory, ProbeReport, TelemetrySample } from '../hardware/schema.ts';
import { cmp, dec, fromBaseUnits, toPlain } from '../schedule/decimal.ts';
import { estimateForPeople, forPeople } from '../schedule/schema.ts';
import type { DecisionCause, GpuDecision, MarketJobQuote } from '../schedule/schema.ts';
import { suggestPrice } from '../schedule/yield.ts';
import { STD_SUITE_ID } from '../bench/schema.ts';
import { devNodeChains } from '../wallet/schema.ts';
import type { Diagnostic, DiagnosticCode, FixAction, WhyNoJobs } from './schema.ts';

/** A job on the market that a provider could claim now. */
export interface OpenJob {
  jobId: string;
  /** What it pays per composite-unit-hour, in tokens. */
  pricePerUnitHour: string | number;
  /** The lowest composite score it accepts. */
  minScore: number;
}

export interface DiagnosticFacts {
  /** Epoch ms. */
  now: number;
  inventory?: GpuInventory | null;
  probe?: ProbeReport | null;
  /** The latest sample of each GPU. */
  telemetry?: readonly TelemetrySample[];
  /** Throttle reasons where a tool reports them (nvidia-smi `clocks_event_reasons`). */
  throttle?: readonly { gpuId: string; thermal: boolean; detail?: string }[];
  /** The user's temperature ceiling (`work.maxTemperatureC`). */
  maxTemperatureC?: number;
  schedule?: readonly GpuDecision[] | null;
  provider?: {
    pricePerUnitHour: number | string;
    /** The composite score of the latest benchmark; null: never benchmarked. */
    compositeScore: number | null;
    /**
     * The suite of the latest benchmark when it is a retired version (`roost-std/3`): its score
     * is not in today's units. Absent: a current one, or none.
     */
    retiredSuite?: string;
    token?: string;
    /** Registered on the market; absent: unknown (not connected). */
    registered?: boolean;
  } | null;
  /** The market client: `off` when market jobs are turned off in Settings. */
  marketState?: { state: 'off' | 'waiting' | 'ready'; problem: string | null } | null;
  market?: {
    openJobs: readonly OpenJob[];
    /** Recent jobs for a suggested price. */
    recentJobs?: readonly MarketJobQuote[];
  } | null;
  chain?: {
    reachable: boolean;
    /** `local` (the built-in devnet) or `custom`. */
    network?: 'local' | 'custom';
    chainId?: number;
    rpcUrl?: string | null;
    error?: string;
    syncing?: boolean;
    /** Age of the latest block the node returned. */
    latestBlockAgeSeconds?: number | null;
    /** Job files that failed to download in a row, and the last error. */
    artifactFailures?: number;
    lastArtifactError?: string;
  } | null;
  wallet?: {
    exists: boolean;
    locked: boolean;
    /** Native balance for gas, in wei; null: not read. */
    nativeBalanceWei: bigint | string | null;
    /** About what one claim and one result submission cost in gas, in wei. */
    minGasWei: bigint | string;
    /** `ETH` by default. */
    nativeSymbol?: string;
  } | null;
  /** Leases running now. */
  activeLeases?: number;
}

/** A block older than this means the node is stuck or cut off. */
export const STALE_BLOCK_SECONDS = 600;
/** Failed job-file downloads in a row before the network is blamed. */
export const ARTIFACT_FAILURES = 3;
/** How far back "recent jobs" go. */
export const RECENT_DAYS = 7;

const order: DiagnosticCode[] = [
  'no-gpu',
  'driver-missing',
  'software-adapter-only',
  'cuda-libraries-missing',
  'rpc-unreachable',
  'network-blocks',
  'wallet-missing',
  'wallet-locked',
  'gas-too-low',
  'market-off',
  'no-benchmark',
  'benchmark-outdated',
  'not-registered',
  'schedule-blocks',
  'score-too-low',
  'price-too-high',
  'market-empty',
  'thermal-throttling',
];

function make(
  code: DiagnosticCode,
  fields: Omit<Diagnostic, 'id' | 'code' | 'gpuId' | 'action'> & {
    gpuId?: string | null;
    action?: FixAction | null;
  },
): Diagnostic {
  const gpuId = fields.gpuId ?? null;
  return {
    ...fields,
    id: gpuId ? `${code}:${gpuId}` : code,
    code,
    gpuId,
    action: fields.action ?? null,
  };
}

const driverFix: Record<string, string> = {
  nvidia:
    'Install the NVIDIA driver (the proprietary one, 535 or newer; not nouveau) and restart the computer',
  amd: 'Install the AMD driver (amdgpu on Linux with ROCm, or Adrenalin on Windows) and restart the computer',
  intel: 'Install the Intel graphics driver (i915/xe with Mesa on Linux, Arc driver on Windows)',
};

/** Every warning that applies, most fundamental first. */
export function diagnose(facts: DiagnosticFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  const gpus = facts.inventory?.gpus ?? [];
  // Named as Activity and the Dashboard's cards name them: two cards of one model are "RTX 3070
  // #1" and "#2", so a warning says which one it means.
  const names = gpuNames(gpus);
  const gpuName = (id: string | null) => (id === null ? 'GPU' : (names.get(id) ?? id));

  // --- the machine
  const probe = facts.probe;
  const gpuProviderOk = probe?.results.some((r) => r.ok && r.ep !== 'cpu') ?? false;
  /** The software renderer, when it is all onnxruntime found beside the CPU. */
  const softwareOnly = gpuProviderOk
    ? undefined
    : probe?.results.find((r) => r.status === 'software-adapter');
  const noGpu = Boolean(facts.inventory) && gpus.length === 0;
  if (noGpu) {
    // With no card found a software renderer is all there could be: one item says both.
    const seen = softwareOnly
      ? ` (onnxruntime sees only ${softwareOnly.adapter?.name ?? 'a software renderer'}, which runs on the CPU)`
      : '';
    out.push(
      // Market jobs that need no GPU memory run on the CPU, so this alone keeps no job away.
      make('no-gpu', {
        severity: 'warning',
        blocksJobs: false,
        title: 'No GPU found',
        message: `Roost found no graphics card on this computer${seen}: it takes only jobs that run on the CPU, and jobs that need a GPU pass it by.`,
        // The words of the Dashboard's Hardware section, whose Check again button is `roost detect`.
        fix: 'If this computer has a graphics card, check that it is seated and powered and that its driver is installed, then check again (Check again on the Dashboard, or `roost detect`).',
        action: { kind: 'command', command: 'roost detect' },
      }),
    );
  }
  const anyUsable = gpus.some((g) => g.status === 'ok');
  for (const gpu of gpus.filter((g) => g.status === 'no-driver')) {
    out.push(
      make('driver-missing', {
        gpuId: gpu.id,
        severity: 'error',
        blocksJobs: !anyUsable,
        title: 'GPU driver missing',
        message: `${gpuName(gpu.id)} has no usable driver${gpu.driver ? ` (bound to ${gpu.driver})` : ''}${gpu.problem ? `: ${gpu.problem.message}` : '.'}`,
        fix: gpu.problem?.fix ?? driverFix[gpu.vendor] ?? 'Install the GPU maker’s driver.',
      }),
    );
  }
  for (const problem of facts.inventory?.problems ?? []) {
    if (problem.code !== 'driver-not-loaded' && problem.code !== 'driver-mismatch') continue;
    if (out.some((d) => d.code === 'driver-missing' && d.gpuId === null)) continue;
    out.push(
      make('driver-missing', {
        severity: 'error',
        blocksJobs: !anyUsable,
        title:
          problem.code === 'driver-mismatch'
            ? 'GPU driver needs a restart'
            : 'GPU driver not loaded',
        message: `${problem.tool}: ${problem.message}`,
        fix:
          problem.fix ??
          (problem.code === 'driver-mismatch'
            ? 'Restart the computer: the driver was updated but the old one is still loaded.'
            : (driverFix.nvidia as string)),
      }),
    );
  }

  if (probe) {
    if (softwareOnly && !noGpu) {
      out.push(
        make('software-adapter-only', {
          severity: 'warning',
          blocksJobs: false,
          title: 'Only a software GPU',
          message: `The only graphics adapter onnxruntime can use is ${softwareOnly.adapter?.name ?? 'a software renderer'}, which runs on the CPU, not a GPU: Roost takes only jobs that run on the CPU.`,
          // As the no-GPU item: the Hardware section's Check again button is `roost detect`.
          fix: 'Install the driver of your GPU with Vulkan (Linux) or DirectX 12 (Windows) support, then check again (Check again on the Dashboard, or `roost detect`); on a server without a GPU, Roost cannot take GPU jobs.',
          action: { kind: 'command', command: 'roost detect' },
        }),
      );
    }
    // CUDA's probe fails on every machine without its libraries; it matters only with an NVIDIA GPU.
    const nvidia = !facts.inventory || gpus.some((g) => g.vendor === 'nvidia');
    for (const r of probe.results) {
      if (!nvidia || r.ep !== 'cuda' || r.ok || r.status !== 'failed') continue;
      const text = `${r.reason ?? ''} ${r.fix ?? ''}`;
      if (!/install-cuda|librar|cudnn|runtime/i.test(text)) continue;
      const gpuId = r.adapter?.gpuId ?? null;
      const command = r.fix?.startsWith('roost ') ? r.fix : 'roost gpu install-cuda';
      // The probe's reason ends with the command to run; the fix says it, once.
      const reason = (r.reason ?? 'its libraries are missing').replace(/: run `[^`]+`$/, '');
      out.push(
        make('cuda-libraries-missing', {
          gpuId,
          severity: gpuProviderOk ? 'warning' : 'error',
          blocksJobs: !gpuProviderOk,
          title: 'CUDA libraries missing',
          message: `CUDA can't run on ${gpuId ? gpuName(gpuId) : 'this NVIDIA GPU'}: ${reason}.${gpuProviderOk ? ' Jobs run on another provider, more slowly.' : ''}`,
          fix:
            r.fix && !r.fix.startsWith('roost ')
              ? r.fix
              : `Install them with the Install CUDA libraries button on the GPU card, or \`${command}\`: it downloads the libraries onnxruntime needs for CUDA.`,
          // The app installs them itself (the button runs hardware.installCuda).
          action: { kind: 'method', method: 'hardware.installCuda' },
        }),
      );
    }
  }

  const ceiling = facts.maxTemperatureC;
  const throttled = new Map<string, string>();
  for (const t of facts.throttle ?? []) {
    if (t.thermal) throttled.set(t.gpuId, t.detail ?? 'the driver reports thermal slowdown');
  }
  for (const s of facts.telemetry ?? []) {
    const max = gpus.find((g) => g.id === s.gpuId)?.clocks?.maxGraphicsMHz;
    if (
      !throttled.has(s.gpuId) &&
      s.temperatureC !== null &&
      s.temperatureC >= 85 &&
      (s.utilizationPct ?? 0) >= 80 &&
      max &&
      s.graphicsClockMHz !== null &&
      s.graphicsClockMHz < 0.8 * max
    ) {
      throttled.set(
        s.gpuId,
        `${Math.round(s.temperatureC)} °C under load with the clock at ${Math.round(s.graphicsClockMHz)} of ${Math.round(max)} MHz`,
      );
    }
  }
  for (const [gpuId, detail] of throttled) {
    out.push(
      make('thermal-throttling', {
        gpuId,
        severity: 'warning',
        blocksJobs: false,
        title: 'GPU slowed by heat',
        message: `${gpuName(gpuId)} is slowing itself down to cool off (${detail}): jobs take longer and earn less per hour.`,
        fix: `Clean the dust filters and improve the case airflow, raise the fan curve or lower the power limit${ceiling ? `; Roost pauses this GPU at your ${ceiling} °C ceiling` : ''}.`,
        action: { kind: 'settings', section: 'work', field: 'maxTemperatureC' },
      }),
    );
  }

  // --- the chain and the network
  const chain = facts.chain;
  if (chain && !chain.reachable) {
    const where = hostOf(chain.rpcUrl);
    out.push(
      make('rpc-unreachable', {
        severity: 'error',
        blocksJobs: true,
        title: 'Chain unreachable',
        // The built-in network runs inside Roost: its file path and the node's error say nothing
        // a user can act on, and Roost itself starts it.
        message:
          chain.network === 'local'
            ? "The built-in test network is not running, so Roost can't reach the market."
            : `Roost can't reach the chain's RPC node${where ? ` at ${where}` : ''}${chain.error ? ` (${chain.error})` : ''}.`,
        fix:
          chain.network === 'local'
            ? 'Quit Roost and start it again (it starts the built-in test network), or choose another network in Settings → Network.'
            : 'Check your internet connection and the RPC URL in Settings → Network.',
        action: { kind: 'settings', section: 'network', field: 'rpcUrl' },
      }),
    );
  } else if (chain) {
    const reasons: string[] = [];
    if (chain.syncing) reasons.push('the RPC node is still syncing');
    const age = chain.latestBlockAgeSeconds ?? 0;
    // A development node (the built-in devnet, a lab's Hardhat or Anvil) makes a block only with
    // a transaction: an old head there just means a quiet market.
    const onDemand =
      chain.network === 'local' ||
      (chain.chainId !== undefined && devNodeChains.has(chain.chainId));
    const stale = !onDemand && age > STALE_BLOCK_SECONDS;
    if (stale) {
      reasons.push(
        `its latest block is ${Math.round(age / 60)} minutes old, so it is stuck or cut off`,
      );
    }
    if ((chain.artifactFailures ?? 0) >= ARTIFACT_FAILURES) {
      reasons.push(
        `${chain.artifactFailures} job files in a row could not be downloaded${chain.lastArtifactError ? ` (last: ${chain.lastArtifactError})` : ''}`,
      );
    }
    if (reasons.length > 0) {
      out.push(
        make('network-blocks', {
          severity: 'error',
          blocksJobs: true,
          title: 'Network problem',
          message: `No jobs can be taken: ${reasons.join('; ')}.`,
          fix:
            'Check your internet connection, firewall and proxy; if it persists, choose another RPC URL in Settings → Network.' +
            (stale && chain.network === 'custom'
              ? " If it is your lab's own node, make it mine blocks on a clock (geth --dev.period, anvil --block-time): Roost takes a job once 2 blocks stand on it."
              : ''),
          action: { kind: 'settings', section: 'network', field: 'rpcUrl' },
        }),
      );
    }
  }

  // --- the wallet
  const wallet = facts.wallet;
  if (wallet && !wallet.exists) {
    out.push(
      make('wallet-missing', {
        severity: 'error',
        blocksJobs: true,
        title: 'No wallet',
        message: 'Jobs are claimed and paid through a wallet, and this computer has none yet.',
        fix: 'Create a wallet, or import one with its recovery phrase, on the Wallet page.',
        action: { kind: 'method', method: 'wallet.create' },
      }),
    );
  } else if (wallet) {
    if (wallet.locked) {
      out.push(
        make('wallet-locked', {
          severity: 'error',
          blocksJobs: true,
          title: 'Wallet locked',
          message: 'The wallet is locked, so Roost cannot sign the transaction that claims a job.',
          fix: 'Unlock the wallet with its password.',
          action: { kind: 'method', method: 'wallet.unlock' },
        }),
      );
    }
    // The built-in devnet gives the wallet test ETH by itself (agent/market/registration.ts)
    // once the market runs: nothing for the owner to send there.
    if (
      wallet.nativeBalanceWei !== null &&
      BigInt(wallet.nativeBalanceWei) < BigInt(wallet.minGasWei) &&
      facts.chain?.network !== 'local'
    ) {
      const symbol = wallet.nativeSymbol ?? 'ETH';
      out.push(
        make('gas-too-low', {
          severity: 'error',
          blocksJobs: true,
          title: 'Not enough for gas',
          message: `The wallet holds ${forPeople(fromBaseUnits(BigInt(wallet.nativeBalanceWei), 18))} ${symbol}; claiming a job and submitting its result need about ${forPeople(fromBaseUnits(BigInt(wallet.minGasWei), 18), 2)} ${symbol} in fees.`,
          fix: `Send some ${symbol} to the wallet's address (shown on the Wallet page).`,
          action: { kind: 'method', method: 'wallet.receive' },
        }),
      );
    }
  }

  // --- the benchmark, the schedule and the market
  const provider = facts.provider;
  if (provider && provider.compositeScore === null) {
    out.push(
      make('no-benchmark', {
        severity: 'error',
        blocksJobs: true,
        title: 'Not benchmarked yet',
        message: 'The market matches jobs by benchmark score, and this machine has none yet.',
        fix: 'Run the benchmark on the Benchmark page or with `roost bench` (the quick one takes about a minute; leave the computer otherwise idle meanwhile).',
        action: { kind: 'method', method: 'bench.run' },
      }),
    );
  }

  if (provider?.retiredSuite && provider.compositeScore !== null) {
    out.push(
      make('benchmark-outdated', {
        severity: provider.registered === false ? 'error' : 'warning',
        blocksJobs: provider.registered === false,
        title: 'Benchmark from an earlier version',
        message: `This machine's benchmark was made with ${provider.retiredSuite}, an earlier version of the standard benchmark. Its score is not in today's units (${STD_SUITE_ID}), so Roost does not give it to the market: ${provider.registered === false ? 'this machine cannot register until it is benchmarked again.' : 'the market keeps the score it already has for this machine.'}`,
        fix: 'Run the benchmark again on the Benchmark page or with `roost bench` (the quick one takes about a minute; leave the computer otherwise idle meanwhile).',
        action: { kind: 'method', method: 'bench.run' },
      }),
    );
  }

  if (facts.marketState?.state === 'off') {
    out.push(
      make('market-off', {
        severity: 'info',
        blocksJobs: true,
        title: 'Market jobs turned off',
        message: 'Taking market jobs is turned off, so Roost claims none.',
        fix: 'Turn on "Take market jobs" in Settings → Market.',
        action: { kind: 'settings', section: 'market', field: 'enabled', suggested: true },
      }),
    );
  } else if (
    provider &&
    provider.compositeScore !== null &&
    provider.registered === false &&
    // An outdated benchmark says why it cannot register (benchmark-outdated).
    !provider.retiredSuite &&
    wallet?.exists !== false &&
    !wallet?.locked
  ) {
    const problem = facts.marketState?.problem ?? null;
    out.push(
      // Nothing in the way: Roost is registering (right after setup, for a few seconds). A new
      // user should not meet a red "not registered" for what is simply under way.
      problem === null && facts.marketState?.state === 'ready'
        ? make('not-registered', {
            severity: 'info',
            blocksJobs: true,
            title: 'Registering on the market',
            message:
              'Roost is registering this machine as a provider: once, in a few seconds, and then requesters can lease it.',
            // The Jobs page's Market jobs card says what holds it up; a terminal is the second way.
            fix: 'Nothing to do. If this stays for more than a minute, the Jobs page says why under Market jobs (or, in a terminal: `roost market register`).',
            // "Nothing to do" with a Register button beside it would say two things.
            action: null,
          })
        : make('not-registered', {
            severity: 'error',
            blocksJobs: true,
            title: 'Not registered on the market',
            message: `This machine is not registered as a provider yet${problem ? `: ${problem}` : ', so requesters cannot lease it'}.`,
            fix: 'Roost registers by itself while it runs (it needs the wallet unlocked and a little native coin for the fee); to retry now, press Register now (or, in a terminal: `roost market register`).',
            action: { kind: 'method', method: 'market.register' },
          }),
    );
  }

  const decisions = facts.schedule ?? [];
  if (decisions.length > 0 && !decisions.some((d) => d.state === 'working')) {
    const first = decisions[0] as GpuDecision;
    const lines = [...new Set(decisions.map((d) => `${gpuName(d.gpuId)}: ${d.reason}`))];
    const { fix, action } = scheduleFix(first.cause);
    out.push(
      make('schedule-blocks', {
        severity: 'info',
        blocksJobs: true,
        title: decisions.every((d) => d.state === 'idle') ? 'Not time to work' : 'Paused',
        message: `No GPU may work now. ${lines.join('. ')}.`,
        fix,
        action,
      }),
    );
  }

  const market = facts.market;
  if (market && chain?.reachable !== false && facts.marketState?.state !== 'off') {
    const open = market.openJobs;
    const token = provider?.token ?? 'tokens';
    const score = provider?.compositeScore ?? null;
    const since = facts.now - RECENT_DAYS * 86_400_000;
    const recent = (market.recentJobs ?? []).filter((j) => {
      const at = Date.parse(j.at);
      return at >= since && at <= facts.now;
    });
    if (open.length === 0) {
      out.push(
        make('market-empty', {
          severity: 'info',
          blocksJobs: true,
          title: 'No open jobs',
          message: `No job is waiting on the market right now${recent.length > 0 ? ` (${recent.length} posted in the last ${RECENT_DAYS} days)` : ''}.`,
          fix: 'Nothing to do: Roost takes the next job that fits as soon as one is posted.',
        }),
      );
    }
    // Open jobs say why nothing is claimed now; without any, recent ones say why none was.
    const jobs =
      open.length > 0
        ? { scope: 'open' as const, list: open }
        : {
            scope: 'recent' as const,
            list: recent.map((j) => ({
              jobId: j.jobId,
              pricePerUnitHour: j.pricePerUnitHour,
              minScore: j.minScore ?? 0,
            })),
          };
    if (provider && score !== null && jobs.list.length > 0) {
      const n = jobs.list.length;
      const which =
        jobs.scope === 'open'
          ? n === 1
            ? 'The only open job asks'
            : `All ${n} open jobs ask`
          : n === 1
            ? `The only job posted in the last ${RECENT_DAYS} days asked`
            : `All ${n} jobs posted in the last ${RECENT_DAYS} days asked`;
      const fitting = jobs.list.filter((j) => j.minScore <= score);
      if (fitting.length === 0) {
        const lowest = Math.min(...jobs.list.map((j) => j.minScore));
        out.push(
          make('score-too-low', {
            severity: 'warning',
            blocksJobs: true,
            title: 'Score below what jobs ask',
            message: `${which} for a score of at least ${lowest}; this machine scores ${score}.`,
            fix: 'Run the benchmark again with the GPU idle and cool (a throttled or busy GPU scores low); otherwise wait for jobs that ask less.',
            action: { kind: 'method', method: 'bench.run' },
          }),
        );
      } else {
        const mine = dec(provider.pricePerUnitHour);
        const paying = fitting.filter((j) => cmp(dec(j.pricePerUnitHour), mine) >= 0);
        if (paying.length === 0) {
          const best = fitting
            .map((j) => dec(j.pricePerUnitHour))
            .reduce((a, b) => (cmp(a, b) >= 0 ? a : b));
          const suggestion = market.recentJobs
            ? suggestPrice({
                jobs: market.recentJobs,
                now: facts.now,
                compositeScore: score,
                token,
                lookbackDays: RECENT_DAYS,
                basis: 'posted',
                minJobs: 3,
              }).price
            : null;
          // A price people type, at most what the jobs paid: three digits, rounded down.
          const offer = forPeople(suggestion ?? toPlain(best), 3, true);
          const what =
            jobs.scope === 'open'
              ? fitting.length === 1
                ? 'the only open job you qualify for pays'
                : `all ${fitting.length} open jobs you qualify for pay`
              : fitting.length === 1
                ? `the only job you qualified for in the last ${RECENT_DAYS} days paid`
                : `all ${fitting.length} jobs you qualified for in the last ${RECENT_DAYS} days paid`;
          out.push(
            make('price-too-high', {
              severity: 'warning',
              blocksJobs: true,
              title: 'Price above the market',
              message: `Your price of ${toPlain(mine)} ${token} per unit-hour is above what ${what} at your score of ${score} (the best ${jobs.scope === 'open' ? 'pays' : 'paid'} ${estimateForPeople(toPlain(best))}).`,
              fix: `Lower your price to ${offer} ${token} per unit-hour or less${suggestion ? ' (the median of recent jobs at your score)' : ''}, or wait for better-paying jobs.`,
              action: {
                kind: 'settings',
                section: 'pricing',
                field: 'pricePerUnitHour',
                suggested: Number(offer),
              },
            }),
          );
        }
      }
    }
  }

  return out.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
}

/** The Dashboard's "why no jobs" answer. */
export function whyNoJobs(facts: DiagnosticFacts): WhyNoJobs {
  const all = diagnose(facts);
  const blockers = all.filter((d) => d.blocksJobs);
  const warnings = all.filter((d) => !d.blocksJobs);
  const checkedAt = new Date(facts.now).toISOString();
  const leases = facts.activeLeases ?? 0;
  if (leases > 0) {
    return {
      answer: 'working',
      headline: `Working on ${leases} job${leases === 1 ? '' : 's'}.`,
      blockers,
      warnings,
      checkedAt,
    };
  }
  const first = blockers[0];
  if (!first) {
    const open = facts.market?.openJobs.length;
    return {
      answer: 'waiting',
      headline:
        open === undefined
          ? 'Nothing is wrong: waiting for a job.'
          : `Nothing is wrong: waiting for a job that fits (${open} open on the market).`,
      blockers,
      warnings,
      checkedAt,
    };
  }
  return {
    answer: 'blocked',
    // One reason is the headline itself (the Dashboard then shows it once, not again as an item
    // below); several are counted, each said once in the list that follows. "No open jobs."
    // rather than "No jobs: no open jobs."
    headline:
      blockers.length > 1
        ? `${blockers.length} things keep jobs away, the most basic first.`
        : /^No /.test(first.title)
          ? `${first.title}. ${first.fix}`
          : `No jobs: ${lowerFirst(first.title)}. ${first.fix}`,
    blockers,
    warnings,
    checkedAt,
  };
}

function scheduleFix(cause: DecisionCause): { fix: string; action: FixAction | null } {
  const work = (field: string): FixAction => ({ kind: 'settings', section: 'work', field });
  switch (cause) {
    case 'user-active':
      return {
        fix: 'Roost works when you step away; to work while you use the computer, set Work to Always.',
        action: work('mode'),
      };
    case 'manual-mode':
    case 'manual-pause':
      return {
        fix: 'Press Start to let Roost work.',
        action: { kind: 'method', method: 'schedule.start' },
      };
    case 'outside-window':
      return {
        fix: 'Work resumes when your work hours begin; change them in Settings → Work.',
        action: work('windows'),
      };
    case 'too-hot':
      return {
        fix: 'Work resumes when the GPU has cooled; improve airflow or raise the ceiling in Settings → Work.',
        action: work('maxTemperatureC'),
      };
    case 'game':
    case 'gpu-process':
      return {
        fix: 'Work resumes when the other program closes; turn off game mode in Settings → Work to work alongside it.',
        action: work('pauseWhileGaming'),
      };
    case 'on-battery':
      return { fix: 'Plug the computer in.', action: work('pauseOnBattery') };
    case 'power-budget':
      return {
        fix: 'Raise the power budget in Settings → Work, or leave it empty for none; a GPU it holds also starts when another one stops.',
        action: work('powerBudgetW'),
      };
    case 'display-gpu':
      return {
        fix: 'Turn off "never use the display GPU" in Settings → Work.',
        action: work('avoidDisplayGpu'),
      };
    default:
      return { fix: 'Check Settings → Work.', action: work('mode') };
  }
}

function hostOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** "Chain unreachable" → "chain unreachable"; an acronym stays ("CUDA libraries missing"). */
function lowerFirst(s: string): string {
  return /^[A-Z]{2}/.test(s) ? s : s.charAt(0).toLowerCase() + s.slice(1);
}
