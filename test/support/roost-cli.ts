import { execFile } from 'node:child_process';
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
