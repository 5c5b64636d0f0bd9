/**
 * Files chosen on the page, made into paths on the machine Roost runs on: in the desktop app each
 * chosen file's own path; on the browser dashboard of roost serve, where the page can't know
 * paths (and the browser may be on another computer), the files are sent to the agent first
 * through one-use upload links and land in a folder of its own.
 */
import type { ApiClient } from './api/transport.ts';
import type { Result } from '../../agent/api/contract.ts';

/** How far the sending has got, for a progress bar. */
export interface SendProgress {
  sentBytes: number;
  totalBytes: number;
  /** Files in so far, of `files`. */
  done: number;
  files: number;
}

/** Whether choosing files can work on this page at all. */
export function canChooseFiles(client: Pick<ApiClient, 'pathOf' | 'upload'>): boolean {
  return Boolean(client.pathOf ?? client.upload);
}

/** Whether chosen files are sent (copied) to the agent rather than used where they are. */
export function choosingUploads(client: Pick<ApiClient, 'pathOf' | 'upload'>): boolean {
  return !client.pathOf && Boolean(client.upload);
}

/**
 * The chosen files' paths for the agent, in the order given. Sent files chosen together share a
 * folder (a model beside its external data). A refusal says which file and why.
 */
export async function pathsOfChosen(
  client: Pick<ApiClient, 'call' | 'pathOf' | 'upload'>,
  files: readonly File[],
  onProgress: (progress: SendProgress) => void = () => undefined,
  signal?: AbortSignal,
): Promise<Result<string[]>> {
  if (client.pathOf) {
    const paths = files.map((file) => client.pathOf?.(file) ?? '');
    const missing = files.find((_, k) => paths[k] === '');
    if (missing)
      return refused(
        `${missing.name} is not a file on this computer (it may come from another app or a website). Save it to a folder first, then choose it there.`,
      );
    return { ok: true, value: paths };
  }
  if (!client.upload)
    return refused('This page cannot take files; type their paths on the computer Roost runs on.');
  const asked = await client.call('job.uploadFiles', {
    files: files.map((file) => ({ name: file.name, bytes: file.size })),
  });
  if (!asked.ok) return asked;
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  let before = 0;
  const paths: string[] = [];
  for (const [k, file] of files.entries()) {
    const link = asked.value.files[k];
    if (!link) return refused(`Roost gave no upload link for ${file.name}; choose it again.`);
    onProgress({ sentBytes: before, totalBytes, done: k, files: files.length });
    const sent = await client.upload(
      link.link,
      file,
      (bytes) =>
        onProgress({ sentBytes: before + bytes, totalBytes, done: k, files: files.length }),
      signal,
    );
    if (!sent.ok) return sent;
    before += file.size;
    paths.push(sent.value.path);
  }
  onProgress({ sentBytes: totalBytes, totalBytes, done: files.length, files: files.length });
  return { ok: true, value: paths };
}

function refused(message: string): Result<never> {
  return { ok: false, error: { code: 'INVALID_PARAMS', message } };
}

/**
 * The inputs field's text with `name`'s lines replaced by one per path, in order: with the
 * field's rule (a name seen again starts the next input set) the k-th file goes to the k-th set,
 * beside the other inputs' k-th files.
 */
export function withInputFiles(text: string, name: string, paths: readonly string[]): string {
  const kept = text.split('\n').filter((line) => {
    const eq = line.indexOf('=');
    return line.trim() !== '' && (eq < 0 || line.slice(0, eq).trim() !== name);
  });
  return [...kept, ...paths.map((path) => `${name}=${path}`)].join('\n');
}

/** Natural order by name (x2.npy before x10.npy): how a batch chosen at once is numbered. */
export function byName(files: readonly File[]): File[] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return [...files].sort((a, b) => collator.compare(a.name, b.name));
}

/**
 * A folder chosen or dropped for an input: a whole batch, one input set per .npy file directly in
 * it (files in folders inside it are not part of it), as the agent reads a folder given as an
 * input.
 */
export interface ChosenFolder {
  /** The folder's own name, for messages. */
  name: string;
  /** Its .npy files, by name. */
  files: File[];
  /** The folder itself, as a drop carries it: the desktop app can tell its path. */
  self?: File;
}

/** A file the agent counts as one input set of a folder: `x1.npy`, not `.x1.npy` or `x1.txt`. */
export function isBatchFile(name: string): boolean {
  return name.endsWith('.npy') && !name.startsWith('.');
}

/**
 * The folder a folder picker (`webkitdirectory`) chose: it lists every file under the folder,
 * each with its path from there (`scans/x1.npy`, `scans/old/x0.npy`). Undefined when it listed
 * none (an empty folder).
 */
export function folderFromPicker(files: readonly File[]): ChosenFolder | undefined {
  const first = files[0];
  if (!first) return undefined;
  const name = first.webkitRelativePath.split('/')[0] || first.name;
  const direct = files.filter((file) => {
    const parts = file.webkitRelativePath.split('/');
    return parts.length === 2 && isBatchFile(parts[1] ?? '');
  });
  return { name, files: byName(direct) };
}

/** What one drop carried: files, and folders with their .npy files read. */
export interface Dropped {
  files: File[];
  folders: ChosenFolder[];
}

/**
 * Reads a drop. Its entries must be taken while the drop event runs (the browser empties them
 * after); the folders' listings are read after that. Where the browser has no entries (or only
 * files were dropped) its files are all there is.
 */
export function readDrop(data: DataTransfer): Promise<Dropped> {
  const items = Array.from(data.items ?? []).filter((item) => item.kind === 'file');
  const taken = items.map((item) => ({
    entry: typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null,
    file: item.getAsFile(),
  }));
  if (!taken.some(({ entry }) => entry?.isDirectory))
    return Promise.resolve({ files: Array.from(data.files), folders: [] });
  return (async () => {
    const dropped: Dropped = { files: [], folders: [] };
    for (const { entry, file } of taken) {
      if (entry?.isDirectory) {
        const files = await batchFilesIn(entry as FileSystemDirectoryEntry);
        dropped.folders.push({ name: entry.name, files, ...(file ? { self: file } : {}) });
      } else if (file) dropped.files.push(file);
    }
    return dropped;
  })();
}

/** The .npy files directly in a dropped folder, by name. */
async function batchFilesIn(folder: FileSystemDirectoryEntry): Promise<File[]> {
  const reader = folder.createReader();
  const entries: FileSystemEntry[] = [];
  // Each read gives the next part of the listing (Chromium: 100 at a time), then an empty one.
  for (;;) {
    const part = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (part.length === 0) break;
    entries.push(...part);
  }
  const files = await Promise.all(
    entries
      .filter((entry) => entry.isFile && isBatchFile(entry.name))
      .map(
        (entry) =>
          new Promise<File>((resolve, reject) =>
            (entry as FileSystemFileEntry).file(resolve, reject),
          ),
      ),
  );
  return byName(files);
}

/**
 * A chosen folder's path on the machine Roost runs on: in the desktop app where it is; on the
 * browser dashboard its .npy files are sent to Roost first, into a folder of their own, which
 * then holds exactly them.
 */
export async function pathOfFolder(
  client: Pick<ApiClient, 'call' | 'pathOf' | 'upload'>,
  folder: ChosenFolder,
  onProgress: (progress: SendProgress) => void = () => undefined,
  signal?: AbortSignal,
): Promise<Result<string>> {
  if (folder.files.length === 0)
    return refused(
      `The folder ${folder.name} holds no .npy files (only the files directly in it count, not those in folders inside it). Choose the folder that holds the input's .npy files.`,
    );
  const own = folder.self && client.pathOf?.(folder.self);
  if (own) return { ok: true, value: own };
  const paths = await pathsOfChosen(client, folder.files, onProgress, signal);
  if (!paths.ok) return paths;
  return { ok: true, value: parentOf(paths.value[0] ?? '') };
}

/** `/a/b/x.npy` → `/a/b`; `C:\a\x.npy` → `C:\a`. */
export function parentOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (cut < 0) return path;
  const parent = path.slice(0, cut);
  // The top of a drive or of the file system keeps its separator: `/`, `C:\`.
  return parent === '' || /^[A-Za-z]:$/.test(parent) ? path.slice(0, cut + 1) : parent;
}
