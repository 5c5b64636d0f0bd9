/**
 * Writing an output file so that a crash or kill -9 leaves it whole or absent: to a temp name
 * beside it, renamed into place once complete (no fsync: the agent fsyncs what it signs). Used
 * by the worker's main thread when it writes itself (worker/runner.ts: node:fs's callback calls,
 * `runnerFs`) and by its I/O thread (worker/set-io.ts: the same calls made synchronously,
 * `syncFs`).
 */
import {
  closeSync,
  mkdir,
  mkdirSync,
  open,
  openSync,
  rename,
  renameSync,
  rm,
  rmSync,
  write,
  writeSync,
  writev,
  writevSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

/** The file calls that write outputs, each answering with a promise. */
export interface RunnerFs {
  mkdir(path: string): Promise<unknown>;
  open(path: string): Promise<number>;
  writev(fd: number, parts: Uint8Array[]): Promise<number>;
  write(fd: number, part: Uint8Array, offset: number): Promise<number>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string): Promise<void>;
}

const mkdirAsync = promisify(mkdir);
const openAsync = promisify(open);
const writevAsync = promisify(writev);
const writeAsync = promisify(write);
const renameAsync = promisify(rename);
const rmAsync = promisify(rm);

/**
 * node:fs's callback calls, promisified: they cost this thread less than node:fs/promises' FileHandle
 * (measured on a 2-core machine: 0.03–0.09 ms a file, against 0.04–0.12).
 */
export const runnerFs: RunnerFs = {
  mkdir: (path) => mkdirAsync(path, { recursive: true }),
  open: (path) => openAsync(path, 'w', 0o644),
  writev: (fd, parts) => writevAsync(fd, parts).then((r) => r.bytesWritten),
  write: (fd, part, offset) =>
    writeAsync(fd, part, offset, part.length - offset, null).then((r) => r.bytesWritten),
  // close(2) of a file just written takes a few µs; as an async call it cost this thread a
  // completion (~20 µs on a 2-core machine) and the set one more pause between runs, which
  // stalled the loop on the oldest set's files (measured beside a 1.3 ms blocking run: ~100 µs
  // a set less with this).
  close: (fd) => {
    try {
      closeSync(fd);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  },
  rename: (from, to) => renameAsync(from, to),
  rm: (path) => rmAsync(path, { force: true }),
};

/**
 * The same calls made synchronously, for the worker's I/O thread, which exists to wait on files:
 * there a call on libuv's threadpool costs a hand-off to a pool thread and a wake-up back for
 * each of mkdir, open, writev and rename, on top of the work itself (measured on a 2-core
 * machine beside 1.2 ms runs: the pool's threads took 0.2-0.6 ms of CPU a set, away from
 * onnxruntime's threads). Each still answers with a promise, so one `writeOutputs` serves both.
 */
export const syncFs: RunnerFs = {
  mkdir: (path) => settle(() => mkdirSync(path, { recursive: true })),
  open: (path) => settle(() => openSync(path, 'w', 0o644)),
  writev: (fd, parts) => settle(() => writevSync(fd, parts)),
  write: (fd, part, offset) => settle(() => writeSync(fd, part, offset, part.length - offset)),
  close: (fd) => settle(() => closeSync(fd)),
  rename: (from, to) => settle(() => renameSync(from, to)),
  rm: (path) => settle(() => rmSync(path, { force: true })),
};

function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** Folders already made by this thread: a batch writes thousands of outputs into few. */
const madeDirs = new Set<string>();

/**
 * Writes a set's output files in turn, each by way of a temp file (`writeNpyAtomic`); stops at
 * the first failure and gives which file and why. `stopped`: true once nothing more may be
 * written (an earlier set's write failed).
 */
export async function writeOutputs(
  fs: RunnerFs,
  files: readonly { name: string; path: string; parts: Uint8Array[] }[],
  stopped: () => boolean = () => false,
): Promise<{ name?: string; error: unknown } | undefined> {
  for (const file of files) {
    if (stopped()) return { error: new Error('not written: an earlier write failed') };
    try {
      await writeNpyAtomic(fs, file.path, file.parts);
    } catch (error) {
      return { name: file.name, error };
    }
  }
  return undefined;
}

/** Writes header and data to `path` by way of a temp file; throws the first failure. */
export async function writeNpyAtomic(
  fs: RunnerFs,
  path: string,
  parts: Uint8Array[],
): Promise<void> {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    await fs.mkdir(dir);
    madeDirs.add(dir);
  }
  const temp = `${path}.${process.pid}.tmp`;
  const fd = await fs.open(temp);
  try {
    // Header and body in one call; a short write (a full disk) goes on where it stopped.
    let written = await fs.writev(fd, parts);
    for (const part of parts) {
      let offset = Math.min(written, part.length);
      written -= offset;
      while (offset < part.length) offset += await fs.write(fd, part, offset);
    }
  } catch (error) {
    await fs.close(fd).catch(() => undefined);
    await fs.rm(temp);
    throw error;
  }
  await fs.close(fd);
  await fs.rename(temp, path);
}
