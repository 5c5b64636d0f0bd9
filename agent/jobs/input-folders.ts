/**
 * Input folders: `x=/data/xs/` names a whole batch, one input set per `.npy` file in it. Private
 * jobs (`roost job run`, the Jobs page's private job) and posted market jobs (`roost market
 * post-job`, the page's Post a job) read them alike.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_INPUT_SETS } from './schema.ts';
import type { JobResult } from './schema.ts';
import { fail, messageOf } from './util.ts';

/**
 * A folder given as an input (`x=/data/xs/`) is a batch: each `.npy` file in it is one input
 * set, in name order (x2 before x10). Folders given together are paired by file name, so
 * every folder must hold the same names; a file given beside them goes into every set. Null
 * when no input is a folder.
 */
export async function expandInputFolders(
  inputs: Record<string, string> | Record<string, string>[],
): Promise<JobResult<Record<string, string>[] | null>> {
  const single = Array.isArray(inputs) ? undefined : inputs;
  const kinds = new Map<string, boolean>();
  for (const set of Array.isArray(inputs) ? inputs : [inputs]) {
    for (const [name, path] of Object.entries(set)) {
      const isFolder = await stat(resolve(path)).then(
        (info) => info.isDirectory(),
        () => false,
      );
      if (isFolder && !single)
        return fail(
          'invalid-spec',
          `Input "${name}": ${path} is a folder. A folder is a whole batch (one input set per .npy file in it): give it as the only set, not beside other sets.`,
        );
      kinds.set(name, isFolder);
    }
  }
  if (!single || ![...kinds.values()].some(Boolean)) return { ok: true, value: null };
  const byFolder = new Map<string, string[]>();
  for (const [name, path] of Object.entries(single)) {
    if (!kinds.get(name)) continue;
    let names: string[];
    try {
      names = (await readdir(resolve(path), { withFileTypes: true }))
        .filter((e) => e.isFile() && e.name.endsWith('.npy') && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    } catch (error) {
      return fail(
        'invalid-spec',
        `Input "${name}": ${path} could not be read (${messageOf(error)}).`,
      );
    }
    if (names.length === 0)
      return fail('invalid-spec', `Input "${name}": the folder ${path} holds no .npy files.`);
    byFolder.set(name, names);
  }
  const [first, ...others] = [...byFolder];
  const [firstName, firstFiles] = first as [string, string[]];
  for (const [name, files] of others) {
    const have = new Set(files);
    const missing =
      firstFiles.find((f) => !have.has(f)) ?? files.find((f) => !firstFiles.includes(f));
    if (missing !== undefined) {
      const [lacking, holder] = have.has(missing) ? [firstName, name] : [name, firstName];
      return fail(
        'invalid-spec',
        `Input "${lacking}": its folder ${single[lacking]} has no ${missing}, which the folder of input "${holder}" has. Folders given together are paired by file name (one input set per name): give each the same files.`,
      );
    }
  }
  if (firstFiles.length > MAX_INPUT_SETS)
    return fail(
      'invalid-spec',
      `Input "${firstName}": the folder ${single[firstName]} holds ${firstFiles.length} .npy files; a job takes at most ${MAX_INPUT_SETS} input sets. Split the folder into several jobs.`,
    );
  return {
    ok: true,
    value: firstFiles.map((file) =>
      Object.fromEntries(
        Object.entries(single).map(([name, path]) => [
          name,
          byFolder.has(name) ? join(resolve(path), file) : path,
        ]),
      ),
    ),
  };
}
