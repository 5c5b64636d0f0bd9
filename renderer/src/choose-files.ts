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
