import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentStatus } from './api/contract.ts';
import { createRouter, type Router } from './api/router.ts';
import type { DownloadLinks } from './api/download-links.ts';
import type { UploadLinks } from './api/upload-links.ts';
import { agentHandlers, Warnings } from './api/handlers/agent.ts';
import { diagnosticsHandlers } from './api/handlers/diagnostics.ts';
import { hardwareHandlers } from './api/handlers/hardware.ts';
import { scheduleHandlers } from './api/handlers/schedule.ts';
import { settingsHandlers } from './api/handlers/settings.ts';
import { walletHandlers } from './api/handlers/wallet.ts';
import { unlockHandlers, type UnlockMemory } from './api/handlers/unlock.ts';
import { jobHandlers } from './api/handlers/jobs.ts';
import { benchHandlers } from './api/handlers/bench.ts';
import { marketHandlers } from './api/handlers/market.ts';
import { notificationsHandlers } from './api/handlers/notifications.ts';
import { createBrowserNotices } from './notify/browser-notices.ts';
import { createWebhookNotifications, type WebhookNotificationsOptions } from './notify/webhook.ts';
import {
  ensureLocalDevnet,
  type DevnetNode,
  type EmbeddedDevnet,
} from './market/embedded-devnet.ts';
import { createPractice } from './market/practice.ts';
import { createMarketDeployer } from './market/deploy.ts';
import { createPostedJobs } from './market/posted-jobs.ts';
import { createSendLanes } from './wallet/send-lanes.ts';
import {
  createMarketService,
  type MarketService,
  type MarketServiceOptions,
} from './market/service.ts';
import { yieldHandlers } from './api/handlers/yield.ts';
import {
  createBenchService,
  newestScored,
  reportForMarket,
  type BenchService,
  type BenchServiceOptions,
} from './bench/index.ts';
import { createJobService, type JobService, type JobServiceOptions } from './jobs/service.ts';
import { createRotatingLog, redactLogEntry, teeSinks } from './diagnostics/log-file.ts';
import { createRedactor, type Redactor } from './diagnostics/redact.ts';
import { EventBus } from './events.ts';
import {
  createHardwareService,
  hardwarePaths,
  probeCacheDir,
  type HardwareService,
  type HardwareServiceOptions,
} from './hardware/index.ts';
import { RecentLog, createLogger, type LogSink, type Logger } from './log.ts';
import { connectJobMarket } from '../contracts/bindings/job-market.ts';
import { gatherMarketFacts } from './diagnostics/market-facts.ts';
import { marketDbPath, openMarketDb } from './market/db.ts';
import {
  benchmarkedGpuOf,
  createEarningRate,
  type LatestBenchmark,
} from './schedule/earning-rate.ts';
import { createNvidiaProcessSource, programExists } from './schedule/gpu-processes.ts';
import { createProcessLister } from './schedule/processes.ts';
import { openWorkLog, workUnits, type WorkLog } from './schedule/work-log.ts';
import { marketGpuIds } from './market/lease-gpus.ts';
import { HELD_LEASE_STATES } from './market/schema.ts';
import { manualHoldSchema, type ManualHold } from './schedule/schema.ts';
import {
  createWorkPolicy,
  type WorkPolicy,
  type WorkPolicyOptions,
} from './schedule/work-policy.ts';
import { writeFileAtomic } from './store/atomic-file.ts';
import { ensureDataDir, openFolderWarning } from './store/data-dir.ts';
import { acquireInstanceLock } from './store/instance-lock.ts';
import { SettingsStore } from './store/settings-store.ts';
import { describeSettingsChange } from './store/settings-words.ts';
import { ROOST_VERSION } from './version.ts';
import {
  createNetworkSource,
  createWalletService,
  loadOrCreateLocalSigner,
  type ProviderSigner,
  type WalletService,
  type WalletServiceOptions,
} from './wallet/index.ts';

export interface AgentOptions {
  dataDir: string;
  host: AgentStatus['host'];
  /** Where log lines go besides the `agent.log` event (and the log file, for background hosts). */
  logSink?: LogSink;
  now?: () => Date;
  /** Electron's version when hosted by the desktop app. */
  electronVersion?: string;
  /** Overrides for the hardware service (tests: fake tools, a fake sysfs). */
  hardware?: Partial<HardwareServiceOptions>;
  /**
   * A long-lived host (serve, Electron): runs the telemetry sampler and the work policy's
   * timer, and writes `logs/roost.log`. One-shot CLI commands and tests leave it off.
   */
  background?: boolean;
  /** Machine facts only a desktop host knows (Electron's powerMonitor). Headless: none. */
  desktop?: Pick<WorkPolicyOptions, 'idleSeconds' | 'onBattery'>;
  /** Overrides for the benchmark (tests: a tiny suite, a test protocol). */
  bench?: Partial<Omit<BenchServiceOptions, 'dataDir' | 'signer' | 'hardware'>>;
  /** Overrides for the job service (tests: caps, the worker spawner). */
  jobs?: Partial<Omit<JobServiceOptions, 'dataDir' | 'signer' | 'onEvent'>>;
  /** Overrides for the wallet (tests: light scrypt, a devnet provider). */
  wallet?: Partial<Omit<WalletServiceOptions, 'dataDir' | 'onEvent'>>;
  /** Overrides for the market client (tests: fast polling, short fee bumps). */
  market?: Partial<Omit<MarketServiceOptions, 'dataDir' | 'network' | 'wallet' | 'jobs' | 'log'>>;
  /** The jobs posted from here (tests: faster polling). */
  postedJobs?: { pollMs?: number };
  /**
   * On the `local` network, start the built-in devnet when none answers (default: for a
   * long-lived host). `roost serve --no-devnet` and most tests turn it off.
   */
  embeddedDevnet?: boolean;
  /**
   * How the built-in devnet's node starts (default: a child of this Node). The installed desktop
   * app passes an Electron utilityProcess starter and the entry file it ships.
   */
  devnetNode?: DevnetNode;
  /**
   * The host serves one-use download links (roost serve's `GET /download/<ticket>`, the desktop
   * app's `roost://app/download/<ticket>`): files asked for `as: 'link'` are handed out through
   * them. Absent (a one-shot CLI command): such asks are refused.
   */
  downloadLinks?: DownloadLinks;
  /**
   * The host takes files chosen on its page through one-use upload links (roost serve's
   * `PUT /upload/<ticket>`, upload-links.ts). Absent (the desktop app, whose page has each chosen
   * file's path; the CLI): job.uploadFiles is refused.
   */
  uploadLinks?: UploadLinks;
  /** `--rpc` and `--market`: work on this chain and market (saved in Settings as a custom network). */
  network?: { rpcUrl: string; marketAddress: string };
  /** Overrides for the notification webhook (tests: no cool-down, a short timeout). */
  notify?: Partial<
    Pick<WebhookNotificationsOptions, 'coolDownMs' | 'maxPerHour' | 'timeoutMs' | 'warnEveryMs'>
  >;
  /** The desktop app's remembered wallet password (Electron safeStorage); headless: none. */
  unlockMemory?: UnlockMemory;
  /**
   * `roost serve`: where its dashboard listens, for agent.status (null until it listens). The
   * server starts after the agent, on a port the agent's settings may have chosen.
   */
  server?: () => AgentStatus['server'];
}

/**
 * The provider agent: plain Node, no Electron. Electron main, `roost serve`, the CLI and tests all
 * host the same object and reach it only through `router` and `events`.
 */
export interface Agent {
  readonly router: Router;
  readonly events: EventBus;
  readonly log: Logger;
  readonly settings: SettingsStore;
  readonly hardware: HardwareService;
  readonly policy: WorkPolicy;
  readonly wallet: WalletService;
  /** The market client: follows jobs, claims, runs, submits, gets paid. */
  readonly market: MarketService;
  /** The job runner, started on first use (it opens the journal and recovers jobs). */
  jobs(): Promise<JobService>;
  /** The standard benchmark. */
  bench(): Promise<BenchService>;
  readonly redactor: Redactor;
  readonly dataDir: string;
  /** Adds a warning the user sees in agent.status until dismissed. */
  warn(code: string, message: string): void;
  /** A secret (the API token) the logs and support bundles must never show. */
  addSecret(secret: string): void;
  /**
   * Who signs receipts and benchmark reports: the wallet once it exists and may sign work,
   * until then the local signing key of the data folder.
   */
  signer(): Promise<ProviderSigner>;
  close(): Promise<void>;
}

const HOLDS_FILE = 'schedule-holds.json';

async function loadHolds(dataDir: string, log: Logger): Promise<ManualHold[]> {
  try {
    const parsed = z
      .array(manualHoldSchema)
      .safeParse(JSON.parse(await readFile(join(dataDir, HOLDS_FILE), 'utf8')));
    if (parsed.success) return parsed.data;
    log.warn(`${HOLDS_FILE} is not valid; your manual starts and pauses were cleared`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn(`${HOLDS_FILE} could not be read; your manual starts and pauses were cleared`);
  }
  return [];
}

export async function createAgent(options: AgentOptions): Promise<Agent> {
  await ensureDataDir(options.dataDir);
  // One long-lived Roost per data folder (the desktop app or roost serve): a second would claim
  // the same jobs and race the wallet's nonces. Throws InstanceLockError naming the holder.
  const lock = options.background
    ? await acquireInstanceLock(options.dataDir, options.host)
    : undefined;
  try {
    const agent = await startAgent(options);
    if (lock) {
      const close = agent.close.bind(agent);
      agent.close = async () => {
        try {
          await close();
        } finally {
          await lock.release();
        }
      };
    }
    return agent;
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

async function startAgent(options: AgentOptions): Promise<Agent> {
  const now = options.now ?? (() => new Date());
  const events = new EventBus();
  const secrets: string[] = [];
  const redactor = createRedactor({ knownSecrets: () => secrets });
  const addSecret = (secret: string): void => {
    if (secret.length >= 8 && !secrets.includes(secret)) secrets.push(secret);
  };
  const logFile = options.background
    ? createRotatingLog({ dir: join(options.dataDir, 'logs'), redactor })
    : undefined;
  // What a page opened later shows under Activity (agent.activity).
  const recent = new RecentLog();
  const sinks = [options.logSink, logFile?.sink, recent.sink].filter(
    (s): s is LogSink => s !== undefined,
  );
  const log = createLogger({
    events,
    now,
    redact: (entry) => redactLogEntry(entry, redactor),
    ...(sinks.length > 0 ? { sink: teeSinks(...sinks) } : {}),
  });
  const startedAt = now();
  let state: AgentStatus['state'] = 'starting';
  const warnings = new Warnings(now);

  const settings = new SettingsStore({ dataDir: options.dataDir, log: log.child('settings'), now });
  for (const w of await settings.load()) warnings.add(w.code, w.message);
  // The notification webhook's URL holds its token: a secret from the start, and each new one.
  addSecret(settings.get().notifications.webhookUrl);
  events.subscribe((event) => {
    if (event.event === 'settings.changed') addSecret(event.payload.notifications.webhookUrl);
  });
  const openFolder = await openFolderWarning(options.dataDir);
  if (openFolder) {
    warnings.add('DATA_DIR_OPEN', openFolder);
    // Said once in the log of a long-lived Roost; a command shows it in `roost status`.
    if (options.background) log.warn(openFolder);
  }
  // Before anything reads the network: `serve --rpc --market` must never start the local devnet.
  if (options.network) await settings.update({ network: { name: 'custom', ...options.network } });

  const hardware = createHardwareService({
    cacheDir: probeCacheDir(options.dataDir),
    log: log.child('hardware'),
    onTelemetry: (sample) => events.emit('hardware.telemetry', sample),
    onTelemetryProblem: (problem) => log.child('hardware').warn(`telemetry: ${problem.message}`),
    ...options.hardware,
  });

  const scheduleLog = log.child('schedule');
  let holdWrites: Promise<void> = Promise.resolve();
  // Game mode's "another program on the GPU": asked of nvidia-smi where there is one.
  const nvidiaSmi = hardwarePaths(options.hardware?.env ?? process.env).nvidiaSmi;
  const gpuProcesses = (await programExists(nvidiaSmi, options.hardware?.env ?? process.env))
    ? createNvidiaProcessSource({
        nvidiaSmi,
        gpus: async () => (await hardware.list()).gpus,
        onPmonUnsupported: (why) =>
          scheduleLog.info(
            `nvidia-smi pmon is not available here (${why}); game mode sees compute programs on the GPU, and games by the watch list`,
          ),
      })
    : undefined;
  // Set once the work log exists; every change of a decision is recorded at once.
  let recordWork = (): void => undefined;
  // Set once the job runner exists: a GPU that may work again can take a job that waits for one.
  let devicesChanged = (): void => undefined;
  const policy = createWorkPolicy({
    settings: () => settings.get().work,
    gpus: async () =>
      (await hardware.list()).gpus.map((g) => ({
        id: g.id,
        name: g.name,
        display: g.display,
        powerLimitW: g.powerLimitW ?? null,
      })),
    now: () => now().getTime(),
    runningProcesses: createProcessLister(),
    telemetry: (gpuId) => hardware.telemetry({ gpuId }).at(-1),
    holds: await loadHolds(options.dataDir, scheduleLog),
    onHoldsChanged: (holds) => {
      // Saved in order; close() waits for the last save so a restart sees it.
      holdWrites = holdWrites
        .then(() =>
          writeFileAtomic(join(options.dataDir, HOLDS_FILE), JSON.stringify(holds, null, 2) + '\n'),
        )
        .catch((error: unknown) =>
          scheduleLog.error(`could not save your manual starts and pauses: ${String(error)}`),
        );
    },
    onChange: (decisions) => {
      events.emit('schedule.changed', { decisions });
      recordWork();
      devicesChanged();
    },
    log: scheduleLog,
    ...(gpuProcesses ? { gpuProcesses } : {}),
    ...options.desktop,
  });

  const walletLog = log.child('wallet');
  // The market is made after the wallet; a wallet change (unlocked, locked) wakes it.
  let marketPoke = (): void => undefined;
  const network = createNetworkSource({
    dataDir: options.dataDir,
    settings: () => settings.get().network,
    log: walletLog,
  });
  // One lane per sending address: the wallet's sends, the market client, posted jobs and a
  // deploy take their nonces one at a time (send-lanes.ts).
  const sendLanes = createSendLanes();
  const wallet = createWalletService({
    dataDir: options.dataDir,
    network,
    sendLanes,
    log: walletLog,
    onEvent: (event) => {
      events.emit(event.event, event.payload as never);
      if (event.event === 'wallet.changed') marketPoke();
    },
    ...options.wallet,
  });

  // Receipts are signed by whoever signs work now: the wallet once it may, else the local key.
  const currentSigner = async (): Promise<ProviderSigner> => {
    const status = await wallet.status();
    if ((status.state === 'unlocked' || status.state === 'locked') && status.workSigning)
      return wallet.workSigner();
    return loadOrCreateLocalSigner(options.dataDir);
  };
  let jobService: Promise<JobService> | undefined;
  const jobs = (): Promise<JobService> => {
    jobService ??= (async () => {
      const service = await createJobService({
        dataDir: options.dataDir,
        signer: currentSigner,
        log: log.child('jobs'),
        probeResults: async () => (await hardware.probe()).results,
        disabledProviders: () => settings.get().accelerators.disabled,
        allowSoftwareAdapters: () => settings.get().accelerators.allowSoftwareAdapters,
        onEvent: (event) => events.emit(event.type, event.payload as never),
        // Only a long-lived host works through the queue; a one-shot CLI runs what it is asked.
        autoStart: options.background ?? false,
        // A market job goes once its lease is done with it; the lease journal is the market's.
        canRemoveMarketJob: (jobId) => market.localJobRemoval(jobId),
        // One job per GPU. Market jobs stay off a GPU the work policy paused, and off a GPU of
        // another model than the one the market's score was measured on, while one can take them.
        gpuName: (gpuId) => policy.gpuName(gpuId),
        avoidDevice: (device, origin) => {
          if (origin !== 'market') return false;
          if (marketGpus !== null && !marketGpus.has(device.id)) return true;
          const decision = policy.decisionFor(device.id);
          return decision !== undefined && decision.state !== 'working';
        },
        ...options.jobs,
      });
      devicesChanged = () => service.devicesChanged();
      return service;
    })();
    return jobService;
  };
  /**
   * The GPUs market jobs run on: the one the market's benchmark measured and every other of its
   * model, so a rig of eight RTX 3070s holds eight leases at once; null when it measured no GPU
   * (one lease at a time). Read at start and after each benchmark.
   */
  let marketGpus: ReadonlySet<string> | null = null;
  let benchService: Promise<BenchService> | undefined;
  const bench = (): Promise<BenchService> => {
    benchService ??= Promise.resolve(
      createBenchService({
        dataDir: options.dataDir,
        signer: currentSigner,
        hardware,
        log: log.child('bench'),
        ...options.bench,
      }),
    );
    return benchService;
  };
  const policyProblem = async (): Promise<string | null> => {
    const decisions = policy.decisions().length > 0 ? policy.decisions() : await policy.evaluate();
    // Every machine has a decision: the policy decides for the CPU when there is no GPU.
    if (decisions.some((d) => d.state === 'working')) return null;
    return decisions[0]?.reason ?? null;
  };
  // What an hour of work earns (predicted earnings), and the hours worked, per GPU.
  const latestBenchmark = async (): Promise<LatestBenchmark | null> => {
    const service = await bench();
    const latest = newestScored(await service.history({ limit: 50 }));
    if (!latest || latest.composite === null) return null;
    return {
      score: Math.max(1, Math.round(latest.composite)),
      gpuId: await benchmarkedGpuOf(latest.file),
    };
  };
  const earningRate = createEarningRate({
    latest: latestBenchmark,
    price: () => settings.get().pricing.pricePerUnitHour,
    feeBps: async () => {
      const net = await network();
      return Number(await connectJobMarket(net.marketAddress, net.provider).feeBps());
    },
    now: () => now().getTime(),
  });
  /** The report the market is told about (reportForMarket), and its history entry. */
  const marketReport = async () => {
    const service = await bench();
    const history = await service.history({ limit: 50 });
    const chosen = reportForMarket(history);
    const entry = chosen && history.find((h) => h.digest === chosen.hash);
    return { service, chosen, entry };
  };
  const readMarketGpus = async (): Promise<void> => {
    const { entry } = await marketReport();
    const measured = entry ? await benchmarkedGpuOf(entry.file) : null;
    marketGpus = marketGpuIds((await hardware.list()).gpus, measured);
  };
  const refreshMarketGpus = (): void =>
    void readMarketGpus().catch((error: unknown) =>
      log.child('market').warn(`which GPUs take market jobs could not be read: ${String(error)}`),
    );
  // A new score counts at once (the rate keeps the latest benchmark for a minute): the price
  // suggestion and Why no jobs? asked right after a run must not still say "no benchmark".
  events.subscribe((e) => {
    if (e.event === 'bench.progress' && e.payload.phase === 'done') {
      earningRate.forget();
      if (options.background) refreshMarketGpus();
    }
  });
  let workLog: WorkLog | undefined;
  let workDb: ReturnType<typeof openMarketDb> | undefined;
  const openedWorkLog = (): WorkLog => {
    if (!workLog) {
      workDb = openMarketDb(marketDbPath(options.dataDir));
      workLog = openWorkLog({ db: workDb, now: () => now().getTime() });
    }
    return workLog;
  };
  let workRecording: Promise<void> = Promise.resolve();
  let workTimer: NodeJS.Timeout | undefined;
  const observeWork = async (): Promise<void> => {
    const decisions = policy.decisions();
    const rate = await earningRate();
    const machineWorking = decisions.length === 0 && (await policyProblem()) === null;
    if (state === 'stopping') return;
    openedWorkLog().observe(
      workUnits({
        decisions,
        machineWorking,
        benchmarkedGpuId: rate.gpuId,
        marketGpuIds: marketGpus,
        // Predicted earnings accrue only while market jobs are on: off, nothing can be earned.
        grossPerHour: settings.get().market.enabled ? rate.grossPerHour : null,
        powerW: (gpuId) => hardware.telemetry({ gpuId }).at(-1)?.powerW ?? null,
      }),
    );
  };

  let devnet: EmbeddedDevnet | undefined;
  let marketStarting: Promise<void> = Promise.resolve();
  const marketLog = log.child('market');
  const market = createMarketService({
    dataDir: options.dataDir,
    network,
    wallet,
    sendLanes,
    jobs,
    settings: () => {
      const all = settings.get();
      return {
        market: all.market,
        pricePerUnitHour: all.pricing.pricePerUnitHour,
        networkName: all.network.name,
      };
    },
    policy: policyProblem,
    // As many leases of a job as devices could run it now: one per working GPU of the
    // benchmarked model for a CUDA job on a rig, one for a job on the CPU.
    capacity: async (executionProviders) => (await jobs()).places(executionProviders, 'market'),
    latestReport: async () => {
      // The setup benchmarks before the wallet exists: the report the market is told about must
      // carry the provider's (the wallet's) signature, so support can tie the two together.
      const { service, chosen, entry } = await marketReport();
      const status = await wallet.status();
      if (
        entry &&
        (status.state === 'unlocked' || status.state === 'locked') &&
        status.workSigning &&
        entry.signer.toLowerCase() !== (await wallet.workSigner()).address.toLowerCase()
      ) {
        await service
          .adoptSigner(entry.id)
          .catch((error: unknown) =>
            marketLog.warn(`could not sign report ${entry.id} with the wallet: ${String(error)}`),
          );
      }
      return chosen;
    },
    maxVramMiB: async () => {
      const sizes = (await hardware.list()).gpus
        .map((g) => g.vramBytes)
        .filter((b): b is number => b !== null);
      return sizes.length === 0 ? null : Math.floor(Math.max(...sizes) / 2 ** 20);
    },
    log: marketLog,
    onLease: (lease) => events.emit('market.lease', lease),
    onStatus: (status) => events.emit('market.changed', status),
    onDisputes: (disputes) => events.emit('market.disputes', disputes),
    embeddedDevnet: () => devnet?.started ?? false,
    practicePosted: () => practice.posted(),
    // As a change in Settings would: saved, shown (settings.changed), and the policy told.
    setMarketJobs: async (on) => {
      const saved = await settings.update({ market: { enabled: on } });
      log.child('settings').info(describeSettingsChange({ market: { enabled: on } }, saved));
      events.emit('settings.changed', saved);
      void policy.evaluate().catch(() => undefined);
    },
    ...options.market,
  });
  const practice = createPractice({
    dataDir: options.dataDir,
    network,
    // Sample jobs only while market jobs are on: nobody would take them otherwise.
    enabled: () => settings.get().market.enabled && settings.get().market.practice,
    provider: async () => (await wallet.status()).address,
    log: marketLog,
    onPosted: () => void market.status().then((s) => events.emit('market.changed', s)),
  });

  // Jobs this data folder posts from the app (the Jobs page): the requester side, for labs.
  const postedJobs = createPostedJobs({
    dataDir: options.dataDir,
    network,
    wallet,
    sendLanes,
    settings: () => ({ tokens: settings.get().network.tokens }),
    log: marketLog,
    emit: (event) => events.emit('market.postedJob', event),
    ...(options.downloadLinks ? { downloadLinks: options.downloadLinks } : {}),
    ...options.postedJobs,
  });

  marketPoke = () => {
    if (options.background) market.poke();
  };

  // The notification webhook (agent/notify/webhook.ts): long-lived hosts send to it; any host can
  // send a test.
  const webhook = createWebhookNotifications({
    settings: () => settings.get().notifications,
    token: () => market.token(),
    gpuName: (gpuId) => policy.gpuName(gpuId),
    log: log.child('notify'),
    ...options.notify,
  });
  if (options.background) events.subscribe((event) => webhook.observe(event));
  // roost serve's dashboard shows the same notices in the browser (the desktop app shows its own).
  if (options.background && options.host === 'serve') {
    const browser = createBrowserNotices({
      emit: (notice) => events.emit('agent.notice', notice),
      shown: () => settings.get().notifications.shown,
      token: () => market.token(),
      gpuName: (gpuId) => policy.gpuName(gpuId),
      ...(options.notify?.coolDownMs ? { coolDownMs: options.notify.coolDownMs } : {}),
      ...(options.notify?.maxPerHour !== undefined
        ? { maxPerHour: options.notify.maxPerHour }
        : {}),
    });
    events.subscribe((event) => browser.observe(event));
  }

  if (options.background)
    void jobs().catch((error: unknown) =>
      log.child('jobs').error(`the job runner did not start: ${String(error)}`),
    );

  const router = createRouter(
    {
      ...agentHandlers({
        state: () => state,
        host: options.host,
        startedAt,
        now,
        dataDir: options.dataDir,
        server: options.server,
        warnings,
        electronVersion: options.electronVersion,
        activity: (limit) => recent.latest(limit),
      }),
      ...settingsHandlers({
        settings,
        events,
        log: log.child('settings'),
        afterChange: () => {
          void policy.evaluate().catch(() => undefined);
          market.poke();
        },
        chainIdAt: (rpcUrl) => network.chainIdAt(rpcUrl),
        tokenSymbol: () => market.token()?.symbol ?? null,
        heldLeases: () => market.leases({ states: [...HELD_LEASE_STATES] }).length,
      }),
      ...hardwareHandlers(hardware, events),
      ...scheduleHandlers(policy),
      ...walletHandlers(wallet),
      ...unlockHandlers({ memory: options.unlockMemory, wallet }),
      ...marketHandlers(
        market,
        jobs,
        createMarketDeployer({
          wallet,
          sendLanes,
          settings: () => settings.get().network,
          chainIdAt: (rpcUrl) => network.chainIdAt(rpcUrl),
          heldLeases: () => market.leases({ states: [...HELD_LEASE_STATES] }).length,
          // Saved as `roost settings set` saves: logged, shown, and the market moves to it.
          save: (patch) => router.call('settings.update', { network: patch }),
          log: marketLog,
        }),
        postedJobs,
      ),
      ...notificationsHandlers({ settings, webhook, addSecret }),
      ...jobHandlers(jobs, options.downloadLinks, options.uploadLinks),
      ...benchHandlers(bench, events),
      ...yieldHandlers({
        bench,
        hardware,
        settings,
        wallet,
        now,
        workLog: openedWorkLog,
        market,
        practiceRequester: () => practice.requester(),
        rate: earningRate,
        marketGpus: () => marketGpus,
      }),
      ...diagnosticsHandlers({
        dataDir: options.dataDir,
        ...(options.downloadLinks ? { downloadLinks: options.downloadLinks } : {}),
        hardware,
        policy,
        settings,
        redactor,
        now,
        extraFacts: () =>
          gatherMarketFacts({
            now: () => now().getTime(),
            wallet: () => wallet.status(),
            network,
            networkName: () => settings.get().network.name,
            market,
            score: async () => (await earningRate()).score,
            // The report the score came from (latestBenchmark's), when its suite is retired.
            retiredSuite: async () => {
              const latest = newestScored(await (await bench()).history({ limit: 50 }));
              return latest && !latest.current ? latest.suiteId : null;
            },
            price: () => settings.get().pricing.pricePerUnitHour,
          }),
        documents: async () => [
          { name: 'status.json', value: await router.call('agent.status', {}) },
          { name: 'version.json', value: await router.call('agent.version', {}) },
        ],
      }),
    },
    log.child('api'),
  );

  if (options.background) {
    // Listing GPUs runs vendor tools; the agent answers calls while that happens.
    void hardware
      .startTelemetry()
      .catch((error: unknown) =>
        log.child('hardware').error(`telemetry did not start: ${String(error)}`),
      );
    policy.start();
    refreshMarketGpus();
    recordWork = () => {
      workRecording = workRecording
        .then(observeWork)
        .catch((error: unknown) =>
          scheduleLog.warn(`the hours worked could not be recorded: ${String(error)}`),
        );
    };
    // A heartbeat between decisions, so an open work period's end is kept up to date.
    workTimer = setInterval(recordWork, 30_000);
    workTimer.unref();
    recordWork();
    const startMarket = async (): Promise<void> => {
      if (settings.get().network.name === 'local' && (options.embeddedDevnet ?? true)) {
        try {
          devnet = await ensureLocalDevnet({
            dataDir: options.dataDir,
            log: marketLog,
            ...(options.devnetNode ? { node: options.devnetNode } : {}),
          });
        } catch (error) {
          marketLog.error(
            `the built-in devnet did not start: ${String(error)}. Start one with \`roost devnet\`, or choose a custom network in Settings.`,
          );
        }
      }
      if (state !== 'stopping') {
        market.start();
        practice.start();
        // Jobs posted from here and left unfinished (a restart) are watched again; those the
        // wallet must sign for wait until it is unlocked.
        void postedJobs.resumeAll();
      }
    };
    marketStarting = startMarket();
    // Unlocking the wallet lets the posted jobs it must sign for be watched again.
    let walletUnlocked = false;
    events.subscribe((e) => {
      if (e.event !== 'wallet.changed') return;
      const unlocked = e.payload.state === 'unlocked';
      if (unlocked && !walletUnlocked && state === 'running')
        void marketStarting.then(() => postedJobs.resumeAll());
      walletUnlocked = unlocked;
    });
  }
  state = 'running';
  log.info(`Roost ${ROOST_VERSION} started (${options.host}); data in ${options.dataDir}`);

  return {
    router,
    events,
    log,
    settings,
    hardware,
    policy,
    wallet,
    market,
    redactor,
    dataDir: options.dataDir,
    signer: currentSigner,
    jobs,
    bench,
    warn: (code, message) => warnings.add(code, message),
    addSecret,
    async close() {
      state = 'stopping';
      log.info('stopping');
      webhook.close();
      policy.stop();
      if (workTimer) clearInterval(workTimer);
      await workRecording;
      workLog?.close();
      workDb?.close();
      await holdWrites;
      if (benchService) await (await benchService).close();
      await marketStarting;
      await practice.close();
      await postedJobs.close();
      await market.close();
      if (jobService) await (await jobService.catch(() => undefined))?.close();
      await wallet.close();
      network.close();
      await devnet?.stop();
      await hardware.stop();
      logFile?.close();
    },
  };
}
