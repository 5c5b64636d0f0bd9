import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createAgent, type Agent, type AgentOptions } from './agent.ts';
import type { JobService } from './jobs/service.ts';
import type { AgentStatus } from './api/contract.ts';
import { ApiFailure } from './api/errors.ts';
import { createDownloadLinks } from './api/download-links.ts';
import { createUploadLinks } from './api/upload-links.ts';
import { startHttpServer, type RunningServer } from './api/http-server.ts';
import { SERVE_FILE, findRunningServer, type ServeInfo } from './api/node-client.ts';
import { loadOrCreateToken } from './api/token.ts';
import type { LogSink } from './log.ts';
import { writeFileAtomic } from './store/atomic-file.ts';
import { InstanceLockError } from './store/instance-lock.ts';
import { unlockWithPasswordFile, type PasswordFile } from './wallet/password-file.ts';

/** Where `npm run build:renderer` puts the dashboard. */
export const RENDERER_DIST = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export interface ServeOptions {
  dataDir: string;
  /** Port on 127.0.0.1; undefined uses the `server.port` setting; 0 picks a free one. */
  port?: number | undefined;
  staticDir?: string;
  logSink?: LogSink;
  /** `--rpc` and `--market`: work on this chain and market (saved in Settings as a custom network). */
  network?: { rpcUrl: string; marketAddress: string };
  /** Run the background services: telemetry, the work policy's timer, the log file (default true). */
  background?: boolean;
  hardware?: AgentOptions['hardware'];
  /** Start the built-in devnet on the `local` network when none runs (default true). */
  embeddedDevnet?: boolean;
  /**
   * `--unlock-with`, `ROOST_WALLET_PASSWORD_FILE` or systemd's credential: unlock the wallet with
   * the password in this file before the dashboard opens (a problem is a warning, never a stop).
   */
  unlockWith?: PasswordFile;
}

export interface Serving {
  agent: Agent;
  server: RunningServer;
  /** The password file that unlocked the wallet at start; undefined when none did. */
  unlockedWith: string | undefined;
  stop(): Promise<void>;
}

/**
 * Whether a job that has not started yet names a file in an upload folder: it copies its files
 * in when it starts, so until then the folder must stay.
 */
function waitingJobsNeed(service: JobService): (folder: string) => boolean {
  const specs = service
    .list({ states: ['queued', 'fetching'], limit: 1000 })
    .map((job) => service.show(job.id))
    .map((shown) => (shown.ok ? JSON.stringify(shown.value.spec) : ''));
  return (folder) => {
    const prefix = `${pathToFileURL(folder).href}/`;
    return specs.some((spec) => spec.includes(prefix));
  };
}

export class ServeError extends Error {}

/** `roost serve`: the agent plus its HTTP face, one per data folder. */
export async function serve(options: ServeOptions): Promise<Serving> {
  const running = await findRunningServer(options.dataDir);
  if (running && running.pid !== process.pid) {
    throw new ServeError(
      `Roost is already serving this data folder at http://127.0.0.1:${running.port}/ (process ${running.pid}). Stop it first, or use another --data-dir.`,
    );
  }
  let agent: Agent;
  // What agent.status says of the dashboard: nothing until the server listens.
  let listening: AgentStatus['server'] = null;
  // Large downloads go to the browser through one-use links this server streams.
  const downloads = createDownloadLinks();
  // And files chosen on the page come to it through one-use upload links.
  const uploads = createUploadLinks({ dir: join(options.dataDir, 'uploads') });
  try {
    agent = await createAgent({
      dataDir: options.dataDir,
      host: 'serve',
      downloadLinks: downloads,
      uploadLinks: uploads,
      server: () => listening,
      background: options.background ?? true,
      ...(options.network ? { network: options.network } : {}),
      ...(options.embeddedDevnet === false ? { embeddedDevnet: false } : {}),
      ...(options.hardware ? { hardware: options.hardware } : {}),
      ...(options.logSink ? { logSink: options.logSink } : {}),
    });
  } catch (error) {
    if (error instanceof ApiFailure) throw new ServeError(`--rpc/--market: ${error.message}`);
    if (error instanceof InstanceLockError) throw new ServeError(error.message);
    throw error;
  }
  // Uploads from a day ago or more that no waiting job names: their jobs copied them in.
  // At start, then hourly (a rig serves for months).
  const sweepUploads = () =>
    void agent
      .jobs()
      .then((jobs) => uploads.sweep(waitingJobsNeed(jobs)))
      .catch((error: unknown) =>
        agent.log.warn(`old uploads could not be swept: ${String(error)}`),
      );
  sweepUploads();
  const sweeping = setInterval(sweepUploads, 3600_000);
  sweeping.unref();
  // Before the dashboard opens, so whoever looks finds the wallet as it will stay.
  const unlocked = options.unlockWith
    ? await unlockWithPasswordFile(agent, options.unlockWith)
    : false;
  const port = options.port ?? agent.settings.get().server.port;
  let server: RunningServer;
  try {
    const token = await loadOrCreateToken(options.dataDir);
    agent.addSecret(token);
    server = await startHttpServer({
      router: agent.router,
      events: agent.events,
      log: agent.log.child('server'),
      token,
      port,
      staticDir: options.staticDir ?? RENDERER_DIST,
      downloads,
      uploads,
    });
  } catch (error) {
    await agent.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ServeError(
        `Port ${port} on 127.0.0.1 is already in use by another program. Choose another with --port <n>, or set it with: roost settings set server.port <n>`,
      );
    }
    if ((error as NodeJS.ErrnoException).code === 'EACCES') {
      throw new ServeError(
        `Roost is not allowed to listen on port ${port}. Choose a port above 1024 with --port <n>.`,
      );
    }
    throw error;
  }
  listening = { port: server.port, portFrom: options.port === undefined ? 'setting' : 'flag' };
  const serveFile = join(options.dataDir, SERVE_FILE);
  const info: ServeInfo = {
    pid: process.pid,
    port: server.port,
    startedAt: new Date().toISOString(),
  };
  await writeFileAtomic(serveFile, JSON.stringify(info) + '\n', 0o600);

  let stopped: Promise<void> | undefined;
  return {
    agent,
    server,
    unlockedWith: unlocked ? options.unlockWith?.file : undefined,
    stop() {
      stopped ??= (async () => {
        clearInterval(sweeping);
        await server.close();
        await agent.close();
        await rm(serveFile, { force: true });
      })();
      return stopped;
    },
  };
}
