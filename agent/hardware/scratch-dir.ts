/**
 * A temporary folder for a child process that loads onnxruntime (the accelerator probe, the
 * benchmark): its TMPDIR (TEMP and TMP on Windows), removed when the work is done however the
 * child ended. onnxruntime leaves an empty `mat-debug-<pid>.log` in the temp folder of every
 * process that creates a session, and a probe killed at its timeout leaves its profile folder;
 * both go with the scratch folder instead of piling up in the system's /tmp.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function withScratchDir<T>(
  prefix: string,
  env: NodeJS.ProcessEnv,
  work: (env: NodeJS.ProcessEnv, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await work({ ...env, TMPDIR: dir, TEMP: dir, TMP: dir }, dir);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
