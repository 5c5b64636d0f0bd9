/**
 * The decisions behind the first-run setup, kept apart from React so they are tested cheaply:
 * when setup shows, what the hardware check says in plain words, which accelerator the benchmark
 * uses, what a price earns per hour, and the settings that "Start earning" saves.
 */
import {
  executionProviderName,
  settingsSections,
  type ResultOf,
  type SettingsPatch,
} from '../../../agent/api/contract.ts';
import { listWords, sentence } from '../words.ts';

type Detect = ResultOf<'hardware.detect'>;
type WalletState = ResultOf<'wallet.status'>['state'];
type BenchTarget = ResultOf<'bench.targets'>['targets'][number];
type YieldEstimate = ResultOf<'yield.estimate'>['estimates'][number];

export const setupSteps = [
  { id: 'detect', title: 'Your hardware' },
  { id: 'benchmark', title: 'Your score' },
  { id: 'wallet', title: 'Your wallet' },
  { id: 'start', title: 'When and for how much' },
] as const;
export type SetupStepId = (typeof setupSteps)[number]['id'];

/**
 * Setup shows by itself on a first run: nobody finished or skipped it, there is no wallet (a
 * creation waiting for its words counts as none) and no benchmark report.
 */
export function isFirstRun(facts: {
  onboarded: boolean;
  walletState: WalletState;
  reports: number;
}): boolean {
  return (
    !facts.onboarded &&
    (facts.walletState === 'none' || facts.walletState === 'pending') &&
    facts.reports === 0
  );
}

const nameOf = executionProviderName;

function formatMemory(bytes: number | null, shared: boolean | undefined): string | undefined {
  if (bytes === null) return shared ? 'shared memory' : undefined;
  const gib = bytes / 1024 ** 3;
  return gib >= 1
    ? `${gib.toFixed(gib >= 10 ? 0 : 1)} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

export interface DeviceSummary {
  kind: 'gpu' | 'cpu';
  name: string;
  /** Memory, display: what a gamer recognises the device by. */
  facts: string;
  /** Accelerators that run real work on it. */
  works: string[];
  /** What does not work, each in plain words with its fix. */
  problems: string[];
}

export interface HardwareSummary {
  /** One sentence that says whether Roost can work here, and on what. */
  headline: string;
  tone: 'ok' | 'warn';
  devices: DeviceSummary[];
  /** Other things found (a software renderer, a tool that failed), each with what to do. */
  notes: string[];
}

/** The hardware check in words: which GPUs, which accelerators work, and what to fix. */
export function describeHardware(report: Detect): HardwareSummary {
  const gpus: DeviceSummary[] = report.gpus.map((gpu) => {
    const problems: string[] = [];
    if (gpu.status !== 'ok' && gpu.problem)
      problems.push(sentence(`${gpu.problem.message} ${gpu.problem.fix ?? ''}`));
    for (const a of gpu.accelerators.filter((a) => !a.ok))
      problems.push(sentence(a.reason ?? `${nameOf(a.ep)} does not work on it`));
    return {
      kind: 'gpu' as const,
      name: gpu.name,
      facts: [
        formatMemory(gpu.vramBytes, gpu.vramShared),
        gpu.display ? 'drives your display' : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      works: gpu.accelerators.filter((a) => a.ok && a.ep !== 'cpu').map((a) => nameOf(a.ep)),
      problems,
    };
  });
  const cpuWorks = report.cpu.accelerators.some((a) => a.ok);
  const cpu: DeviceSummary = {
    kind: 'cpu',
    name: report.cpu.model,
    facts: `CPU · ${report.cpu.cores} threads`,
    works: cpuWorks ? ['CPU'] : [],
    problems: cpuWorks
      ? []
      : report.cpu.accelerators.map((a) => sentence(a.reason ?? 'The CPU runner did not work')),
  };
  const notes = [
    ...(report.gpus.length === 0
      ? report.accelerators
          .filter((a) => a.status === 'software-adapter')
          .map((a) =>
            sentence(`${nameOf(a.ep)}: ${a.reason ?? 'a software renderer'}. ${a.fix ?? ''}`),
          )
      : []),
    ...report.problems.map((p) => sentence(`${p.message} ${p.fix ?? ''}`)),
  ];

  const ready = gpus.filter((g) => g.works.length > 0);
  const stuck = gpus.filter((g) => g.works.length === 0);
  let headline: string;
  let tone: HardwareSummary['tone'] = 'ok';
  if (gpus.length === 0) {
    headline = cpuWorks
      ? 'No GPU found: Roost can still run jobs on the CPU.'
      : 'No GPU found, and the CPU runner did not work either: see below for what to fix.';
    tone = 'warn';
  } else if (stuck.length === 0) {
    headline =
      ready.length === 1
        ? `Ready: your ${ready[0]!.name} can run jobs with ${listWords(ready[0]!.works)}.`
        : `Ready: your ${ready.length} GPUs can run jobs.`;
  } else if (ready.length > 0) {
    headline = `Ready: ${listWords(ready.map((g) => g.name))} can run jobs; ${listWords(stuck.map((g) => g.name))} cannot yet (see below).`;
  } else {
    const first = stuck[0]!;
    headline = `Found your ${first.name}, but it cannot run jobs yet: ${first.problems[0] ?? 'no accelerator works on it.'}${cpuWorks ? ' Roost can run jobs on the CPU meanwhile.' : ''}`;
    tone = 'warn';
  }
  return { headline, tone, devices: [...gpus, cpu], notes };
}

const preference = ['cuda', 'dml', 'coreml', 'webgpu', 'tensorrt'];

/** The benchmark runs on the best real GPU accelerator, else on the CPU; -1 when there is none. */
export function pickBenchTarget(targets: BenchTarget[]): number {
  for (const ep of preference) {
    const i = targets.findIndex((t) => t.ep === ep && !t.software);
    if (i >= 0) return i;
  }
  const cpu = targets.findIndex((t) => t.ep === 'cpu');
  return cpu >= 0 ? cpu : targets.length > 0 ? 0 : -1;
}

/**
 * Tokens per hour of work at `price`, from an estimate made at the saved price: the agent's
 * arithmetic is score × price less the market fee, so only the price changes.
 */
export function earnedPerHourAt(estimate: YieldEstimate, price: number): number {
  const gross = Number(estimate.grossPerHour);
  const feeShare = gross > 0 ? Number(estimate.feePerHour) / gross : 0;
  return price * estimate.compositeScore * (1 - feeShare);
}

/** A figure for people: three significant digits, whole numbers from 100. */
export function formatFigure(value: number): string {
  return new Intl.NumberFormat('en', {
    ...(Math.abs(value) >= 100 ? { maximumFractionDigits: 0 } : { maximumSignificantDigits: 3 }),
  }).format(value);
}

export type WorkMode = 'idle' | 'always' | 'manual';

export interface StartDraft {
  mode: WorkMode;
  idleMinutes: string;
  price: string;
  practice: boolean;
}

export interface StartCheck {
  patch?: SettingsPatch;
  errors: { idleMinutes?: string; price?: string };
}

const idleSchema = settingsSections.work.shape.idleMinutes;
const priceSchema = settingsSections.pricing.shape.pricePerUnitHour;
/** The highest price the settings take, as people write it: `1,000,000`, not `1000000`. */
const MAX_PRICE = (priceSchema.maxValue ?? 1_000_000).toLocaleString('en-US');

/** Parses the price as the user typed it (a comma as decimal point too); NaN when it is not one. */
export function parsePrice(text: string): number {
  const t = text.trim().replace(',', '.');
  return /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

/**
 * The settings "Start earning" saves, or what is wrong in words. Setup is marked done, and market
 * jobs are switched on: that is what the button says. Practice applies to the local network only.
 */
export function checkStart(draft: StartDraft, localNetwork: boolean): StartCheck {
  const errors: StartCheck['errors'] = {};
  const minutes = /^\s*\d+\s*$/.test(draft.idleMinutes) ? Number(draft.idleMinutes) : Number.NaN;
  if (draft.mode === 'idle' && !idleSchema.safeParse(minutes).success)
    errors.idleMinutes = 'Enter whole minutes from 1 to 240.';
  const price = parsePrice(draft.price);
  if (!priceSchema.safeParse(price).success)
    errors.price = `Enter a price of 0 or more, such as 0.05 (at most ${MAX_PRICE}).`;
  if (errors.idleMinutes || errors.price) return { errors };
  return {
    errors,
    patch: {
      general: { onboarded: true },
      work: { mode: draft.mode, ...(draft.mode === 'idle' ? { idleMinutes: minutes } : {}) },
      pricing: { pricePerUnitHour: price },
      market: { enabled: true, ...(localNetwork ? { practice: draft.practice } : {}) },
    },
  };
}
