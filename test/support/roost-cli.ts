import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOST_BIN } from './serve-process.ts';

const exec = promisify(execFile);

/**
 * Runs the real `roost` command line as a user would; never throws, returns what it printed.
 * `input` is written to its stdin (answers to its questions, a line each), which is then closed.
 */
export async function runRoost(
  args: string[],
  timeoutMs = 180_000,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const running = exec(process.execPath, [ROOST_BIN, ...args], {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    running.child.stdin?.end(input ?? '');
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A `roost` command left running: what it printed so far, waiting for a line, and its end. */
export interface RunningRoostCommand {
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern`; rejects after `timeoutMs` or when it exits first. */
  printed(pattern: RegExp, timeoutMs?: number): Promise<void>;
  signal(name: NodeJS.Signals): void;
  /** Its exit code (null when killed by a signal it does not handle). */
  exited: Promise<number | null>;
}

/** Starts the real `roost` command line and leaves it running (a command that follows a job). */
export function startRoost(args: string[], input?: string): RunningRoostCommand {
  const child = spawn(process.execPath, [ROOST_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input ?? '');
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    stdout: () => out,
    stderr: () => err,
    async printed(pattern, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (ended)
          throw new Error(
            `roost ${args.join(' ')} exited before printing ${pattern}:\n${out}\n${err}`,
          );
        if (Date.now() > until)
          throw new Error(`roost ${args.join(' ')} did not print ${pattern}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    signal: (name) => child.kill(name),
    exited,
  };
}
