import { CONTRACT_VERSION, type AgentStatus, type AgentWarning } from './api/contract.ts';
import { createRouter, type Handlers, type Router } from './api/router.ts';
import { EventBus } from './events.ts';
import { createLogger, type LogSink, type Logger } from './log.ts';
import { ensureDataDir } from './store/data-dir.ts';
import { SettingsStore } from './store/settings-store.ts';
import {
  createHardwareService,
  probeCacheDir,
  type HardwareService,
  type HardwareServiceOptions,
} from './hardware/index.ts';
import { ROOST_VERSION } from './version.ts';

export interface AgentOptions {
  dataDir: string;
  host: AgentStatus['host'];
  /** Where log lines go besides the `agent.log` event. */
  logSink?: LogSink;
  now?: () => Date;
  /** Electron's version when hosted by the desktop app. */
  electronVersion?: string;
  /** Overrides for the hardware service (tests: fake tools, a fake sysfs). */
  hardware?: Partial<HardwareServiceOptions>;
  /** Start the 1 Hz telemetry sampler (long-lived hosts: serve, electron). */
  telemetry?: boolean;
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
  readonly dataDir: string;
  /** Adds a warning the user sees in agent.status until it is cleared. */
  warn(code: string, message: string): void;
  close(): Promise<void>;
}

export async function createAgent(options: AgentOptions): Promise<Agent> {
  const now = options.now ?? (() => new Date());
  const events = new EventBus();
  const log = createLogger({ events, now, ...(options.logSink ? { sink: options.logSink } : {}) });
  const startedAt = now();
  let state: AgentStatus['state'] = 'starting';
  const warnings: AgentWarning[] = [];
  let warningCount = 0;
  const warn = (code: string, message: string) => {
    warningCount += 1;
    warnings.push({ id: `w${warningCount}`, code, message, at: now().toISOString() });
  };

  await ensureDataDir(options.dataDir);
  const settings = new SettingsStore({ dataDir: options.dataDir, log: log.child('settings'), now });
  for (const w of await settings.load()) warn(w.code, w.message);

  const hardware = createHardwareService({
    cacheDir: probeCacheDir(options.dataDir),
    log: log.child('hardware'),
    onTelemetry: (sample) => events.emit('hardware.telemetry', sample),
    onTelemetryProblem: (problem) => log.child('hardware').warn(`telemetry: ${problem.message}`),
    ...options.hardware,
  });

  const handlers: Handlers = {
    'agent.status': () => ({
      state,
      host: options.host,
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.max(0, (now().getTime() - startedAt.getTime()) / 1000),
      dataDir: options.dataDir,
      warnings: [...warnings],
    }),
    'agent.version': () => ({
      roost: ROOST_VERSION,
      contract: CONTRACT_VERSION,
      node: process.versions.node,
      ...(options.electronVersion ? { electron: options.electronVersion } : {}),
      platform: process.platform,
      arch: process.arch,
    }),
    'agent.dismissWarning': ({ id }) => {
      const index = warnings.findIndex((w) => w.id === id);
      if (index >= 0) warnings.splice(index, 1);
      return { dismissed: index >= 0 };
    },
    'hardware.list': (p) => hardware.list(p),
    'hardware.probe': (p) => hardware.probe(p),
    'hardware.detect': (p) => hardware.detect(p),
    'hardware.telemetry': (p) => ({ samples: hardware.telemetry(p) }),
    'settings.get': () => settings.get(),
    'settings.update': async (patch) => {
      const saved = await settings.update(patch);
      log.child('settings').info(`settings changed: ${describePatch(patch)}`);
      events.emit('settings.changed', saved);
      return saved;
    },
  };

  const router = createRouter(handlers, log.child('api'));
  if (options.telemetry) {
    // Listing GPUs runs vendor tools; the agent answers calls while that happens.
    void hardware
      .startTelemetry()
      .catch((error: unknown) =>
        log.child('hardware').error(`telemetry did not start: ${String(error)}`),
      );
  }
  state = 'running';
  log.info(`Roost ${ROOST_VERSION} started (${options.host}); data in ${options.dataDir}`);

  return {
    router,
    events,
    log,
    settings,
    hardware,
    dataDir: options.dataDir,
    warn,
    async close() {
      state = 'stopping';
      log.info('stopping');
      await hardware.stop();
    },
  };
}

function describePatch(patch: Record<string, unknown>): string {
  const keys: string[] = [];
  for (const [section, fields] of Object.entries(patch)) {
    if (fields && typeof fields === 'object')
      for (const key of Object.keys(fields)) keys.push(`${section}.${key}`);
  }
  return keys.join(', ') || 'nothing';
}
