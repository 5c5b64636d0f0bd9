import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOST_BIN } from './serve-process.ts';

const exec = promisify(execFile);

/** Runs the real `roost` command line as a user would; never throws, returns what it printed. */
export async function runRoost(
  args: string[],
  timeoutMs = 180_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [ROOST_BIN, ...args], {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
