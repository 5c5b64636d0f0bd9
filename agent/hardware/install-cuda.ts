/**
 * `roost gpu install-cuda`: installs onnxruntime-node's CUDA 12 provider libraries (CUDA and
 * TensorRT providers) with onnxruntime-node's own installer script, reporting progress. The
 * installer writes into onnxruntime-node's library folder; if it fails for any reason (no
 * network, a proxy, a timeout, a half-written file) every file there is put back as it was.
 */
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch as osArch, tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import type { HardwareLog } from './log.ts';
import { stderrHardwareLog } from './log.ts';
import { defaultSpawner, runTool } from './run-tool.ts';
import type { Spawner } from './run-tool.ts';
import type { InstallCudaProgress, InstallCudaResult } from './schema.ts';

export interface InstallCudaOptions {
  spawner?: Spawner;
  /** Node binary for the installer; default process.execPath (ELECTRON_RUN_AS_NODE is set). */
  nodePath?: string;
  /** onnxruntime-node's package folder; default: resolved from here. */
  packageDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 20 minutes: the download is several hundred MB. */
  timeoutMs?: number;
  onProgress?: (progress: InstallCudaProgress) => void;
  platform?: NodeJS.Platform;
  arch?: string;
  log?: HardwareLog;
}

const INSTALL_FLAG = 'cuda12';

interface FileState {
  size: number;
  mtimeMs: number;
}

export function defaultOnnxruntimePackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('onnxruntime-node/package.json'));
}

/** The files the installer would write for `platform/arch`, from onnxruntime-node's own metadata. */
export function cudaManifest(
  packageDir: string,
  platform: string,
  arch: string,
): string[] | undefined {
  try {
    const require = createRequire(join(packageDir, 'package.json'));
    const metadata = require(join(packageDir, 'script', 'install-metadata.js')) as {
      manifests?: Record<string, Record<string, unknown>>;
    };
    const manifest = metadata.manifests?.[`${platform}/${arch}:${INSTALL_FLAG}`];
    return manifest ? Object.keys(manifest).map((f) => normalize(f)) : undefined;
  } catch {
    return undefined;
  }
}

export async function installCuda(options: InstallCudaOptions = {}): Promise<InstallCudaResult> {
  const log = options.log ?? stderrHardwareLog;
  const progress = (phase: InstallCudaProgress['phase'], message: string) => {
    log.info(`install-cuda: ${message}`);
    try {
      options.onProgress?.({ phase, message });
    } catch {
      // A broken progress listener must not break the install.
    }
  };
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? osArch();
  let packageDir: string;
  try {
    packageDir = options.packageDir ?? defaultOnnxruntimePackageDir();
  } catch {
    return {
      ok: false,
      code: 'failed',
      message: 'onnxruntime-node is not installed with Roost.',
      unchanged: true,
    };
  }
  progress('checking', `checking onnxruntime-node in ${packageDir}`);
  const files = cudaManifest(packageDir, platform, arch);
  if (!files) {
    return {
      ok: false,
      code: 'unsupported-platform',
      message: `onnxruntime-node offers CUDA provider libraries only for Linux x64, not ${platform}/${arch}${
        platform === 'win32' ? ' (on Windows, the DirectML provider uses any GPU)' : ''
      }. Nothing was changed.`,
      unchanged: true,
    };
  }
  const binDir = join(packageDir, 'bin', 'napi-v6', platform, arch);
  const before = await snapshot(binDir);
  const backupDir = await mkdtemp(join(tmpdir(), 'roost-cuda-backup-'));
  try {
    for (const file of files) {
      if (before.has(file))
        await copyFile(join(binDir, file), join(backupDir, file.replaceAll('/', '_')));
    }

    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' };
    // npm passes `.npmrc` settings (onnxruntime-node-install=skip) as environment variables, which
    // the installer reads before its command line, and it skips itself when npm_config_local_prefix
    // and npm_package_json say "local install": drop them so the flag below counts.
    for (const key of Object.keys(env)) {
      if (
        /^(ONNXRUNTIME_NODE_INSTALL|ONNXRUNTIME_NODE_INSTALL_CUDA|npm_config_onnxruntime_node_install(_cuda)?|npm_config_local_prefix|npm_package_json)$/i.test(
          key,
        )
      ) {
        delete env[key];
      }
    }
    // The installer's proxy support (global-agent) reads GLOBAL_AGENT_*; honour the usual variables.
    env.GLOBAL_AGENT_HTTPS_PROXY ??= env.HTTPS_PROXY ?? env.https_proxy;
    env.GLOBAL_AGENT_NO_PROXY ??= env.NO_PROXY ?? env.no_proxy;
    for (const key of ['GLOBAL_AGENT_HTTPS_PROXY', 'GLOBAL_AGENT_NO_PROXY']) {
      if (env[key] === undefined) delete env[key];
    }

    progress('resolving', 'asking NuGet for the onnxruntime GPU package');
    let pending = '';
    const run = await runTool(
      options.spawner ?? defaultSpawner,
      options.nodePath ?? process.execPath,
      // `--onnxruntime-node-install=cuda12` is what the docs say, but 1.30's parseInstallFlag()
      // drops any named value (its default branch returns nothing), and under npm the script then
      // exits 0 doing nothing. The bare flag forces the platform's required set, which
      // install-metadata.js defines as exactly cuda12 on linux/x64 (checked above).
      [join(packageDir, 'script', 'install.js'), '--onnxruntime-node-install'],
      {
        timeoutMs: options.timeoutMs ?? 20 * 60_000,
        cwd: packageDir,
        env,
        onOutput: (stream, text) => {
          if (stream !== 'stdout') return;
          pending += text;
          const lines = pending.split(/\r?\n/);
          pending = lines.pop() ?? '';
          for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
            if (/^Downloading /i.test(line)) progress('downloading', line);
            else if (/^Extracting /i.test(line)) progress('extracting', line);
            else progress('resolving', line);
          }
        },
      },
    );

    if (run.kind === 'exited' && run.code === 0 && !run.signal) {
      progress('verifying', 'checking the installed libraries');
      const after = await snapshot(binDir);
      const missing = files.filter((f) => !((after.get(f)?.size ?? 0) > 0));
      if (missing.length === 0) {
        return {
          ok: true,
          installed: files,
          message: `Installed the CUDA provider libraries into ${binDir}.`,
        };
      }
      const unchanged = await rollback(binDir, before, backupDir, files, progress);
      return {
        ok: false,
        code: 'verify-failed',
        message: `The installer finished but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.${
          unchanged ? ' Nothing was changed.' : ''
        }`,
        unchanged,
      };
    }

    const unchanged = await rollback(binDir, before, backupDir, files, progress);
    const after = unchanged
      ? ' Nothing was changed.'
      : ' Some files could not be put back; reinstall Roost.';
    if (run.kind === 'timeout') {
      return {
        ok: false,
        code: 'timeout',
        message: `The download did not finish in ${Math.round((options.timeoutMs ?? 20 * 60_000) / 60_000)} minutes and was stopped.${after}`,
        unchanged,
      };
    }
    const output = run.kind === 'exited' ? `${run.stderr}\n${run.stdout}` : run.message;
    const cause = downloadFailure(output);
    log.warn(`install-cuda failed: ${cause.detail}`);
    return {
      ok: false,
      code: cause.unreachable ? 'unreachable' : 'failed',
      message: `${cause.message}${after}${cause.unreachable ? ' Check the internet connection (or set HTTPS_PROXY) and run `roost gpu install-cuda` again.' : ''}`,
      unchanged,
    };
  } finally {
    await rm(backupDir, { recursive: true, force: true });
  }
}

/** What went wrong, from the installer's output (it dies on an unhandled rejection). */
export function downloadFailure(output: string): {
  message: string;
  unreachable: boolean;
  detail: string;
} {
  const host =
    /hostname: '([^']+)'/.exec(output)?.[1] ?? /getaddrinfo \w+ ([\w.-]+)/.exec(output)?.[1];
  const detail =
    output
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => /^(Error|[A-Z]\w*Error):/.test(l)) ??
    output.trim().split(/\r?\n/).slice(-1)[0] ??
    '';
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/.test(output)) {
    return {
      message: `Could not reach ${host ?? 'the download server (api.nuget.org)'}: the name does not resolve (no network or DNS).`,
      unreachable: true,
      detail,
    };
  }
  if (/ECONNREFUSED|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|socket hang up/.test(output)) {
    const via = /connect \w+ ([\d.:a-f]+)/i.exec(output)?.[1];
    return {
      message: `Could not connect to the download server${via ? ` (${via})` : ''}.`,
      unreachable: true,
      detail,
    };
  }
  const status = /HTTP status code = (\d+)/.exec(output)?.[1];
  if (status) {
    return { message: `The download server answered HTTP ${status}.`, unreachable: false, detail };
  }
  if (/Failed to resolve package|Failed to find specific package versions/.test(output)) {
    return {
      message: 'NuGet has no GPU package for this onnxruntime-node version.',
      unreachable: false,
      detail,
    };
  }
  return {
    message: `The CUDA installer failed: ${detail || 'no message'}.`,
    unreachable: false,
    detail,
  };
}

async function snapshot(dir: string): Promise<Map<string, FileState>> {
  const out = new Map<string, FileState>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) out.set(name, { size: info.size, mtimeMs: info.mtimeMs });
  }
  return out;
}

/** Remove what the installer added, restore what it replaced; true when all is as before. */
async function rollback(
  binDir: string,
  before: Map<string, FileState>,
  backupDir: string,
  files: string[],
  progress: (phase: InstallCudaProgress['phase'], message: string) => void,
): Promise<boolean> {
  const now = await snapshot(binDir);
  const changed = [...now.keys()].filter((name) => {
    const was = before.get(name);
    const is = now.get(name);
    return !was || !is || was.size !== is.size || was.mtimeMs !== is.mtimeMs;
  });
  const removed = [...before.keys()].filter((name) => !now.has(name));
  if (changed.length === 0 && removed.length === 0) return true;
  progress('rolling-back', `putting back ${[...changed, ...removed].join(', ')}`);
  for (const name of [...changed, ...removed]) {
    if (before.has(name) && files.includes(name)) {
      await copyFile(join(backupDir, name.replaceAll('/', '_')), join(binDir, name)).catch(
        () => undefined,
      );
    } else if (!before.has(name)) {
      await rm(join(binDir, name), { force: true }).catch(() => undefined);
    }
  }
  const final = await snapshot(binDir);
  return (
    final.size === before.size &&
    [...before].every(([name, was]) => final.get(name)?.size === was.size)
  );
}
