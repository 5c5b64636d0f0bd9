/**
 * One-use upload links: the browser dashboard (`roost serve`) can't hand the agent a path on the
 * machine Roost runs on, so files chosen on the page travel to it instead. The page asks for
 * links (`job.uploadFiles`, with each file's name and size), then sends each file's bytes with
 * `PUT /upload/<ticket>`; the agent writes them into a folder of its own under the data folder
 * (`uploads/<id>/<name>`) and the page uses those paths as if they had been typed. Files chosen
 * together (a model and its external data) land in one folder, so they sit side by side.
 *
 * The ticket (32 random bytes) is the credential: handed only to a caller with the API token, it
 * works once, for a file of exactly the size declared, and lapses when its group sat idle for
 * UPLOAD_IDLE_SECONDS (a group of many files stays good while its uploads go on). The desktop app
 * needs none of this: a chosen file there has a path (electron/preload.ts).
 *
 * Folders are swept once untouched for UPLOADS_KEPT_HOURS, unless a job still waiting to start
 * names a file in them; a job copies its files in when it starts, so nothing it needs goes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { diskWords } from '../jobs/schema.ts';

export const UPLOAD_PATH = '/upload/';
/** How long a group of links waits for its next upload to begin. */
export const UPLOAD_IDLE_SECONDS = 60;
/** How long an upload folder is kept once nothing waits for it. */
export const UPLOADS_KEPT_HOURS = 24;
/** Files in one ask: a batch of input sets chosen at once. */
export const MAX_UPLOAD_FILES = 10_000;
/** Room left on the disk after the uploads, so they never fill it. */
const FREE_MARGIN_BYTES = 256 * 2 ** 20;

/** A file the page is about to send. */
export interface UploadAsk {
  name: string;
  bytes: number;
}

/** What a ticket lets through: exactly `bytes` bytes, into `path`. */
export interface UploadTarget {
  name: string;
  /** The file's full path on this machine, once it is in. */
  path: string;
  bytes: number;
}

export interface IssuedUploads {
  /** The folder the files land in. */
  folder: string;
  files: { name: string; path: string; link: string }[];
  expiresAt: string;
}

/** An ask refused before anything was written: what was wrong, and what to do. */
export class UploadRefused extends Error {
  readonly code: 'INVALID_PARAMS' | 'TOO_LARGE';
  constructor(code: 'INVALID_PARAMS' | 'TOO_LARGE', message: string) {
    super(message);
    this.code = code;
  }
}

export interface UploadLinks {
  /** The folder every upload goes under. */
  readonly dir: string;
  /** Makes the group's folder and one link per file; refuses (UploadRefused) a bad ask. */
  issue(files: readonly UploadAsk[]): Promise<IssuedUploads>;
  /** What the ticket lets through, once; undefined for an unknown, used or lapsed ticket. */
  take(ticket: string): UploadTarget | undefined;
  /** The upload of a taken ticket ended (in or not): its group's next link waits afresh. */
  settled(target: UploadTarget): void;
  /**
   * Removes the folders untouched for UPLOADS_KEPT_HOURS that no job still needs (`needed` says,
   * given a folder's full path); answers how many went.
   */
  sweep(needed: (folder: string) => boolean): Promise<number>;
}

export interface UploadLinksOptions {
  dir: string;
  now?: () => number;
  idleSeconds?: number;
  keptHours?: number;
  /** Bytes free on the disk of `dir` (tests). */
  freeBytes?: (dir: string) => Promise<number>;
}

/**
 * A file name as a browser gives it, checked to be one name (no folder, nothing hidden, nothing a
 * file system could read otherwise); the problem in words, or undefined.
 */
export function uploadNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a file has no name';
  if (Buffer.byteLength(name) > 255) return `the file name "${name.slice(0, 40)}…" is too long`;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[/\\:\u0000-\u001f]/.test(name))
    return `"${name}" is not a plain file name (no folders, colons or control characters)`;
  if (name.startsWith('.') || name.endsWith('.') || name.endsWith(' '))
    return `"${name}" is not a plain file name (it starts with a dot or ends with a dot or space)`;
  return undefined;
}

async function diskFree(dir: string): Promise<number> {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
}

export function createUploadLinks(options: UploadLinksOptions): UploadLinks {
  const { dir } = options;
  const now = options.now ?? Date.now;
  const idleMs = (options.idleSeconds ?? UPLOAD_IDLE_SECONDS) * 1000;
  const keptMs = (options.keptHours ?? UPLOADS_KEPT_HOURS) * 3600_000;
  const freeBytes = options.freeBytes ?? diskFree;
  /** A group's last sign of life: its links lapse UPLOAD_IDLE_SECONDS after it. */
  const groups = new Map<string, { active: number; open: number }>();
  const tickets = new Map<string, { target: UploadTarget; group: string }>();
  const groupOf = new WeakMap<UploadTarget, string>();

  const lapsed = (group: string) => {
    const g = groups.get(group);
    return !g || (g.open === 0 && g.active + idleMs <= now());
  };
  /** Lapsed groups go, with the links of theirs that were never used. */
  function forget(): void {
    for (const [ticket, entry] of tickets) if (lapsed(entry.group)) tickets.delete(ticket);
    for (const id of groups.keys()) if (lapsed(id)) groups.delete(id);
  }

  return {
    dir,
    async issue(files) {
      forget();
      if (files.length === 0)
        throw new UploadRefused('INVALID_PARAMS', 'Choose at least one file.');
      if (files.length > MAX_UPLOAD_FILES)
        throw new UploadRefused(
          'INVALID_PARAMS',
          `${files.length} files is more than ${MAX_UPLOAD_FILES} at once; choose fewer, or give a folder's path instead.`,
        );
      const seen = new Set<string>();
      for (const file of files) {
        const problem = uploadNameProblem(file.name);
        if (problem)
          throw new UploadRefused('INVALID_PARAMS', `${problem}: rename it and choose it again.`);
        if (seen.has(file.name))
          throw new UploadRefused(
            'INVALID_PARAMS',
            `Two of the files are named "${file.name}"; files sent together need different names.`,
          );
        seen.add(file.name);
      }
      const total = files.reduce((sum, f) => sum + f.bytes, 0);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const free = await freeBytes(dir);
      if (total + FREE_MARGIN_BYTES > free)
        throw new UploadRefused(
          'TOO_LARGE',
          `The files are ${diskWords(total)}, and the disk Roost keeps its data on has ${diskWords(free)} free. Free some space, or give the files' paths on this computer instead.`,
        );
      const id = `${new Date(now()).toISOString().slice(0, 10)}-${randomBytes(6).toString('hex')}`;
      const folder = join(dir, id);
      await mkdir(folder, { mode: 0o700 });
      groups.set(id, { active: now(), open: 0 });
      const issued = files.map((file) => {
        const ticket = randomBytes(32).toString('base64url');
        const target: UploadTarget = {
          name: file.name,
          path: join(folder, file.name),
          bytes: file.bytes,
        };
        tickets.set(ticket, { target, group: id });
        groupOf.set(target, id);
        return { name: file.name, path: target.path, link: `${UPLOAD_PATH}${ticket}` };
      });
      return { folder, files: issued, expiresAt: new Date(now() + idleMs).toISOString() };
    },
    take(ticket) {
      forget();
      const entry = tickets.get(ticket);
      if (!entry) return undefined;
      tickets.delete(ticket);
      const group = groups.get(entry.group);
      if (group) {
        group.open++;
        group.active = now();
      }
      return entry.target;
    },
    settled(target) {
      const group = groups.get(groupOf.get(target) ?? '');
      if (!group) return;
      group.open = Math.max(0, group.open - 1);
      group.active = now();
    },
    async sweep(needed) {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        return 0;
      }
      let removed = 0;
      for (const name of entries) {
        const folder = join(dir, name);
        if (groups.has(name) && !lapsed(name)) continue;
        const info = await stat(folder).catch(() => undefined);
        if (!info || info.mtimeMs + keptMs > now()) continue;
        if (needed(folder)) continue;
        await rm(folder, { recursive: true, force: true });
        groups.delete(name);
        removed++;
      }
      return removed;
    },
  };
}
