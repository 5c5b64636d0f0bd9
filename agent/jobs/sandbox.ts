/**
 * How a job worker is launched: the least-privilege layers of DESIGN.md, "The worker and its
 * sandbox", as one command line.
 *
 * 1. A scrubbed environment: an allow-list of what GPU runtimes need (Vulkan, Mesa, CUDA device
 *    selection, library path, locale); HOME and TMPDIR point at the job's scratch folder. Never
 *    NODE_OPTIONS, never the agent's tokens or keys.
 * 2. Linux, when bubblewrap works here: no network namespace (no interfaces but a dead loopback),
 *    a new pid namespace (the worker sees only itself), new user/ipc/uts/cgroup namespaces, all
 *    capabilities dropped, a new session, killed with the agent; a filesystem of read-only system
 *    folders, the runtime (node, worker/, onnxruntime), the job's inputs read-only and only its
 *    output and scratch folders writable. $HOME, /root, /var, /run, /mnt, /media and the data
 *    folder do not exist inside.
 * 3. Plain Node: the permission model. Reads of the runtime and the job's inputs only, writes of
 *    the output and scratch folders only, no child processes, no inspector, no WASI, no code
 *    from strings; native addons allowed (onnxruntime is one), which is why layer 2 is what
 *    holds against native code. Electron's utilityProcess drops Node flags: there the OS layer
 *    (and the scrubbed environment) is what applies.
 *    Worker threads (`--allow-worker`), only where the worker can give that permission up again
 *    (`process.permission.drop`, `canDropPermissions`): the worker reads inputs ahead and writes
 *    outputs on one thread of its own (worker/set-io.ts), beside onnxruntime's blocking runs. A
 *    thread started as the worker starts it inherits the process's flags, so it reads and
 *    writes exactly what the main thread may and starts no process, inspector or WASI, nor
 *    compiles code from strings. But Node lets the code that starts a thread choose its flags,
 *    and one started with `execArgv: []` runs outside the permission model (Node's docs: "the
 *    model does not inherit to a worker thread"). So the worker drops the permission as soon as
 *    its thread is started, on both threads, before onnxruntime is loaded or any job file is
 *    read; from then on no code in the process can start a thread. The job itself is an ONNX
 *    model and tensors, never JavaScript. The escape suite checks all of this from a thread.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxLayers } from './schema.ts';

/** What the worker may touch. */
export interface SandboxPaths {
  /** The worker's entry module. */
  entry: string;
  /** Model and input sets: read-only. */
  inputsDir: string;
  /** Outputs: the only writable folder besides scratch. */
  outDir: string;
  /** HOME and TMPDIR of the worker (shader caches and the like). */
  scratchDir: string;
  /** More read-only paths (a test payload's folder). */
  extraReadPaths?: string[];
}

export interface SandboxOptions {
  /** The Node binary (process.execPath). */
  nodePath: string;
  /** The bwrap binary, or null for none. */
  bwrapPath: string | null;
  /** Use Node's permission model (off where the runtime is not plain Node). */
  permissionModel: boolean;
  /** The agent's environment, to scrub. */
  env: NodeJS.ProcessEnv;
  /**
   * false: pass the agent's whole environment on, unscrubbed, for measuring what scrubbing
   * costs (bench:worker --env inherit); never for jobs. Default true.
   */
  scrubEnv?: boolean;
  platform?: NodeJS.Platform;
  /** Readable runtime paths; default runtimeReadPaths(). */
  runtimePaths?: string[];
  /**
   * Let the worker start its I/O thread (`--allow-worker`), which it then drops: only for a
   * Node that can (`canDropPermissions`). Default false.
   */
  workerThreads?: boolean;
}

export interface LaunchCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  layers: SandboxLayers;
}

const ENV_ALLOW =
  /^(LANG|LANGUAGE|LC_\w+|TZ|LD_LIBRARY_PATH|DYLD_LIBRARY_PATH|VK_\w+|MESA_\w+|DRI_PRIME|__GLX_\w+|__NV_\w+|__EGL_\w+|CUDA_VISIBLE_DEVICES|CUDA_DEVICE_ORDER|CUDA_MODULE_LOADING|HIP_VISIBLE_DEVICES|ROCR_VISIBLE_DEVICES|GPU_DEVICE_ORDINAL|DAWN_\w+|SystemRoot|SYSTEMROOT|windir|WINDIR|NUMBER_OF_PROCESSORS|PROCESSOR_ARCHITECTURE)$/;

/** The worker's environment: what GPU runtimes need and nothing else. */
export function scrubWorkerEnv(
  env: NodeJS.ProcessEnv,
  scratchDir: string,
  platform: NodeJS.Platform = process.platform,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && ENV_ALLOW.test(key)) out[key] = value;
  }
  // Windows finds DLLs on PATH; elsewhere the worker needs none.
  if (platform === 'win32' && (env.PATH ?? env.Path)) out.PATH = (env.PATH ?? env.Path) as string;
  out.HOME = scratchDir;
  out.TMPDIR = scratchDir;
  if (platform === 'win32') {
    out.TEMP = scratchDir;
    out.TMP = scratchDir;
    out.USERPROFILE = scratchDir;
  }
  out.XDG_CACHE_HOME = join(scratchDir, 'cache');
  // Electron's binary runs as plain Node with this; harmless for Node itself.
  out.ELECTRON_RUN_AS_NODE = '1';
  out.CUDA_DEVICE_ORDER ??= 'PCI_BUS_ID';
  return out;
}

/** The agent's environment as it is, for `scrubEnv: false` (measurements only). */
function inheritedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  out.ELECTRON_RUN_AS_NODE = '1';
  return out;
}

function packageDir(name: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // Packages whose exports hide package.json: find the folder from the entry point.
    try {
      const entry = fileURLToPath(import.meta.resolve(name));
      const at = entry.lastIndexOf(`${join('node_modules', name)}`);
      return at >= 0 ? entry.slice(0, at + join('node_modules', name).length) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The worker's code and what it imports: worker/, onnxruntime-node (+common), zod. */
export function runtimeReadPaths(): string[] {
  const workerDir = fileURLToPath(new URL('../../worker/', import.meta.url));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const paths = [workerDir.replace(/[\\/]$/, ''), join(root, 'package.json')];
  for (const name of ['onnxruntime-node', 'onnxruntime-common', 'zod']) {
    const dir = packageDir(name);
    if (dir) paths.push(dir);
  }
  return paths.filter((p) => existsSync(p));
}

/**
 * The worker entry of this checkout: the bundled dist/worker/entry.js (`npm run build`, which
 * the test command runs; the desktop app's entry) when it was built after every source it comes
 * from, else worker/entry.ts. The bundle says hello ~70 ms after its process starts, the source
 * ~200 ms (Node strips the types and loads zod's many modules one file at a time): every job
 * pays that once.
 */
export function defaultWorkerEntry(): string {
  const source = fileURLToPath(new URL('../../worker/entry.ts', import.meta.url));
  const built = fileURLToPath(new URL('../../dist/worker/entry.js', import.meta.url));
  const lock = fileURLToPath(new URL('../../package-lock.json', import.meta.url));
  const sources = [lock, ...tsFilesIn(dirname(source))];
  return builtAfter(built, sources) && existsSync(join(dirname(built), 'io-thread.js'))
    ? built
    : source;
}

function tsFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** Whether `built` exists and is newer than each of `sources` that exists. */
export function builtAfter(built: string, sources: readonly string[]): boolean {
  let builtAt: number;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    return false;
  }
  for (const file of sources) {
    try {
      if (statSync(file).mtimeMs > builtAt) return false;
    } catch {
      // not there: nothing to be newer than
    }
  }
  return true;
}

const dropVerdicts = new Map<string, boolean>();
/** Background questions under way, by binary (many spawners may be made at once). */
const dropQuestions = new Map<string, Promise<void>>();
const DROP_PROBE = ['--permission', '-p', 'typeof process.permission?.drop'];
// Electron's binary runs as plain Node with this.
const DROP_PROBE_ENV = { ELECTRON_RUN_AS_NODE: '1' };
/** What a Node that can drop permissions prints for DROP_PROBE. */
const canDrop = (failed: boolean, stdout: string) => !failed && stdout.trim() === 'function';

/**
 * Whether this Node binary can drop a permission at run time (`process.permission.drop`, in
 * Node 24's later releases): the condition for `--allow-worker`. Asked once per binary; when
 * `prefetchDropVerdict` has not answered yet, asked now (a ~50 ms pause of this thread).
 */
export function canDropPermissions(nodePath: string): boolean {
  let verdict = dropVerdicts.get(nodePath);
  if (verdict === undefined) {
    const probe = spawnSync(nodePath, DROP_PROBE, {
      env: DROP_PROBE_ENV,
      encoding: 'utf8',
      timeout: 10_000,
    });
    verdict = canDrop(probe.status !== 0, probe.stdout);
    dropVerdicts.set(nodePath, verdict);
  }
  return verdict;
}

/**
 * Asks `canDropPermissions`' question in the background (the spawner does, when it is made), so
 * that the first job does not pause the agent's thread for it. Never rejects.
 */
export function prefetchDropVerdict(nodePath: string): Promise<void> {
  if (dropVerdicts.has(nodePath)) return Promise.resolve();
  const asking = dropQuestions.get(nodePath);
  if (asking) return asking;
  const question = new Promise<void>((resolve) => {
    execFile(
      nodePath,
      DROP_PROBE,
      { env: DROP_PROBE_ENV, encoding: 'utf8', timeout: 10_000 },
      (error, stdout) => {
        if (!dropVerdicts.has(nodePath))
          dropVerdicts.set(nodePath, canDrop(error !== null, stdout));
        dropQuestions.delete(nodePath);
        resolve();
      },
    );
  });
  dropQuestions.set(nodePath, question);
  return question;
}

let bwrapVerdict: { path: string | null; why?: string } | undefined;

/**
 * The bwrap binary when it is installed and can create its namespaces here (some systems forbid
 * unprivileged user namespaces); null otherwise, with the reason. Checked once per process.
 */
export function detectBwrap(env: NodeJS.ProcessEnv = process.env): {
  path: string | null;
  why?: string;
} {
  if (bwrapVerdict) return bwrapVerdict;
  if (process.platform !== 'linux') {
    bwrapVerdict = { path: null, why: `bubblewrap is Linux only (this is ${process.platform})` };
    return bwrapVerdict;
  }
  const candidates = (env.PATH ?? '/usr/bin:/bin')
    .split(delimiter)
    .filter(Boolean)
    .map((d) => join(d, 'bwrap'))
    .concat(['/usr/bin/bwrap']);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    bwrapVerdict = { path: null, why: 'bubblewrap (bwrap) is not installed' };
    return bwrapVerdict;
  }
  const test = spawnSync(
    found,
    ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--', '/bin/sh', '-c', 'exit 0'],
    { timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  bwrapVerdict =
    test.status === 0
      ? { path: found }
      : {
          path: null,
          why: `bwrap cannot create namespaces here: ${
            String(test.stderr ?? test.error ?? '')
              .trim()
              .slice(0, 200) || `exit ${test.status}`
          }`,
        };
  return bwrapVerdict;
}

/** System folders the worker's loader and GPU drivers read. */
const SYSTEM_RO = [
  '/usr',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/vulkan',
  '/etc/OpenCL',
  '/etc/glvnd',
  '/etc/nvidia',
  '/etc/drirc',
  '/etc/localtime',
  '/opt/rocm',
  '/sys',
];
const TOP_LEVEL_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const GPU_DEVICES = [
  '/dev/dri',
  '/dev/kfd',
  '/dev/nvidiactl',
  '/dev/nvidia-uvm',
  '/dev/nvidia-uvm-tools',
  '/dev/nvidia-modeset',
  ...Array.from({ length: 16 }, (_, i) => `/dev/nvidia${i}`),
];

function bwrapArgs(paths: SandboxPaths, options: SandboxOptions, readable: string[]): string[] {
  const args = [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--hostname',
    'roost-worker',
  ];
  for (const link of TOP_LEVEL_LINKS) {
    try {
      const info = lstatSync(link);
      if (info.isSymbolicLink()) args.push('--symlink', readlinkSync(link), link);
      else if (info.isDirectory()) args.push('--ro-bind', link, link);
    } catch {
      // Not on this distribution.
    }
  }
  for (const p of SYSTEM_RO) if (existsSync(p)) args.push('--ro-bind', p, p);
  args.push('--proc', '/proc', '--dev', '/dev');
  for (const d of GPU_DEVICES) if (existsSync(d)) args.push('--dev-bind', d, d);
  args.push('--tmpfs', '/tmp');
  for (const dir of (options.env.LD_LIBRARY_PATH ?? '')
    .split(':')
    .filter((d) => d.startsWith('/'))) {
    if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  }
  const node = realpathSync(options.nodePath);
  args.push('--ro-bind', node, node);
  for (const p of readable) args.push('--ro-bind', p, p);
  args.push('--bind', paths.outDir, paths.outDir, '--bind', paths.scratchDir, paths.scratchDir);
  args.push('--chdir', paths.scratchDir);
  return args;
}

/** The command that starts a sandboxed worker, and which layers it has. */
export function buildLaunch(paths: SandboxPaths, options: SandboxOptions): LaunchCommand {
  const platform = options.platform ?? process.platform;
  const runtime = options.runtimePaths ?? runtimeReadPaths();
  const readable = [
    ...new Set([
      ...runtime,
      dirname(paths.entry),
      ...(paths.extraReadPaths ?? []),
      paths.inputsDir,
    ]),
  ];
  const notes: string[] = [];
  const nodeArgs: string[] = [];
  if (options.permissionModel) {
    nodeArgs.push('--permission');
    // The writable folders must be readable too (mkdir -p, rename check what is there).
    for (const p of [...readable, paths.outDir, paths.scratchDir])
      nodeArgs.push(`--allow-fs-read=${p}`);
    nodeArgs.push(`--allow-fs-write=${paths.outDir}`, `--allow-fs-write=${paths.scratchDir}`);
    nodeArgs.push('--allow-addons', '--disallow-code-generation-from-strings');
    // The worker's I/O thread; the worker drops the permission once it is started (see above).
    if (options.workerThreads) nodeArgs.push('--allow-worker');
    nodeArgs.push('--disable-warning=SecurityWarning', '--disable-warning=ExperimentalWarning');
  } else {
    notes.push('Node permission model off (the runtime is not plain Node)');
  }
  nodeArgs.push(paths.entry);
  const scrubbed = options.scrubEnv ?? true;
  const env = scrubbed
    ? scrubWorkerEnv(options.env, paths.scratchDir, platform)
    : inheritedEnv(options.env);
  if (!scrubbed) notes.push("the agent's environment passed on unscrubbed (a measurement)");
  const layers = (bwrap: boolean): SandboxLayers => ({
    scrubbedEnv: scrubbed,
    permissionModel: options.permissionModel,
    bwrap,
    notes,
  });
  if (options.bwrapPath && platform === 'linux') {
    return {
      command: options.bwrapPath,
      args: [
        ...bwrapArgs(paths, options, readable),
        '--',
        realpathSync(options.nodePath),
        ...nodeArgs,
      ],
      env,
      layers: layers(true),
    };
  }
  notes.push(
    platform === 'linux'
      ? 'bubblewrap not used: no network or pid isolation'
      : `no OS sandbox on ${platform} yet: no network or pid isolation`,
  );
  return {
    command: options.nodePath,
    args: nodeArgs,
    env,
    layers: layers(false),
  };
}
