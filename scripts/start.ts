// `npm start`: opens the Roost desktop app where Electron can start; otherwise runs the headless
// agent and dashboard (`roost serve`) and says why. Arguments after `--` go to Roost
// (e.g. `npm start -- --data-dir /srv/roost --port 8080`, or `--headless` to skip Electron).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const electronDir = join(root, 'node_modules', 'electron');

function run(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

/** The Electron binary, or why it can't be used. */
export function electronBinary(
  env: NodeJS.ProcessEnv = process.env,
): { path: string } | { reason: string } {
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return {
      reason: 'there is no graphical display here (DISPLAY and WAYLAND_DISPLAY are not set)',
    };
  }
  const pathFile = join(electronDir, 'path.txt');
  const find = () => {
    if (!existsSync(pathFile)) return undefined;
    const bin = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : undefined;
  };
  let bin = find();
  if (!bin) {
    // Electron fetches its binary on first launch, from outside the npm registry.
    console.log('[start] Fetching the Electron binary (first launch only)…');
    const fetched = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
      cwd: root,
      stdio: 'pipe',
      timeout: 180_000,
    });
    bin = find();
    if (!bin) {
      const why = `${fetched.stderr?.toString() ?? ''}`.trim().split('\n').pop() || 'no answer';
      return { reason: `Electron's binary is not installed and could not be downloaded (${why})` };
    }
  }
  return { path: bin };
}

function forwardSignals(child: ReturnType<typeof spawn>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

const args = process.argv.slice(2);
const headless = args.includes('--headless');
const roostArgs = args.filter((a) => a !== '--headless');

/** `vite build` with one of the project's configs, its warnings only; false when it failed. */
function viteBuild(config: string): boolean {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  return run(process.execPath, [vite, 'build', '--logLevel', 'warn', '--config', config]);
}

console.log('[start] Building the dashboard…');
if (!viteBuild('renderer/vite.config.ts')) {
  console.error('[start] The dashboard failed to build; see the errors above.');
  process.exit(1);
}

// The job worker as one bundle: a job's worker process starts in ~70 ms from it, ~200 ms from
// its .ts source (agent/jobs/sandbox.ts picks the bundle while it is newer than the source).
console.log('[start] Building the job worker…');
if (!viteBuild('electron/vite.worker.config.ts')) {
  console.error(
    "[start] The job worker's bundle failed to build (errors above): jobs start from its source, a little slower.",
  );
}

const electron = headless ? { reason: 'you asked for --headless' } : electronBinary();
if ('path' in electron) {
  console.log('[start] Building the desktop app…');
  if (!run('npm', ['run', '-s', 'build:electron'])) process.exit(1);
  forwardSignals(spawn(electron.path, ['.', ...roostArgs], { cwd: root, stdio: 'inherit' }));
} else {
  console.log(`[start] The desktop window can't open: ${electron.reason}.`);
  console.log('[start] Starting the headless agent and dashboard instead (roost serve).\n');
  forwardSignals(
    spawn(process.execPath, [join(root, 'bin', 'roost.js'), 'serve', ...roostArgs], {
      cwd: root,
      stdio: 'inherit',
    }),
  );
}
