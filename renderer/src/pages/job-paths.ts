/**
 * Paths typed into the Jobs page's forms (a private job, a job to post on the market), read and
 * checked before they reach the agent.
 */

/** A path that names its folder: `/…` on Linux and macOS, `C:\…` or `\\server\…` on Windows. */
export function isFullPath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);
}

/**
 * The agent runs in a folder of its own (the app's, or wherever `roost serve` started): a relative
 * path would be read from there, which is never what the user meant.
 */
export function pathProblem(path: string): string | undefined {
  return isFullPath(path)
    ? undefined
    : `Give the full path (e.g. /home/you/model.onnx), not "${path}": the agent does not know which folder you mean.`;
}

/** An input set: each tensor's name and the path of its file. */
export type InputSet = Record<string, string>;

/**
 * The input sets of a job, from the text of an inputs field: `name=/path` per line, blank lines
 * skipped; a name already in the current set starts the next one, so `x=/a.npy` then `x=/b.npy`
 * is a batch of two sets. The paths are not checked here (pathProblem does that).
 */
export function parseInputSets(
  text: string,
): { ok: true; sets: InputSet[] } | { ok: false; problem: string } {
  // Maps, not objects, while reading: a tensor named "constructor" or "__proto__" is a name like
  // any other, not something every object has already.
  const sets: Map<string, string>[] = [];
  for (const line of text
    .split(/\n/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq <= 0)
      return { ok: false, problem: `Write each input as name=/path/to/file.npy (got "${line}").` };
    const name = line.slice(0, eq).trim();
    const set = sets.find((s) => !s.has(name)) ?? (sets.push(new Map()), sets[sets.length - 1]!);
    set.set(name, line.slice(eq + 1).trim());
  }
  return { ok: true, sets: sets.map((s) => Object.fromEntries(s)) };
}

/**
 * Whether an input's path names a folder (a batch, one input set per .npy file in it): one the
 * page chose as a folder, or a typed path that ends in a separator or whose last part has no
 * extension (`/data/scans`). The agent looks for itself; this only words the form's note.
 */
export function looksLikeFolder(path: string, folders?: ReadonlyMap<string, number>): boolean {
  if (folders?.has(path)) return true;
  const last = path.split(/[\\/]/).pop() ?? '';
  return last === '' || !last.includes('.');
}

/** `x`, `x and mask`, `x, mask and y`. */
function andWords(names: readonly string[]): string {
  return names.length <= 1
    ? (names[0] ?? '')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * The inputs field at a glance, as it is typed or chosen: how many input sets, and what does
 * not fit the model once its inputs are known (a set without one of them, a name it does not
 * take). `folders` holds the folders chosen on the page with how many .npy files each holds.
 * Undefined for a field with nothing, or nothing readable, in it.
 */
export function inputSetsWords(
  text: string,
  takes?: readonly { name: string; isTensor: boolean }[],
  folders?: ReadonlyMap<string, number>,
): string | undefined {
  const parsed = parseInputSets(text);
  if (!parsed.ok || parsed.sets.length === 0) return undefined;
  const { sets } = parsed;
  // A folder is a batch only as the one set (the agent refuses it beside others).
  const folderNames =
    sets.length === 1
      ? Object.entries(sets[0] ?? {})
          .filter(([, path]) => looksLikeFolder(path, folders))
          .map(([name]) => name)
      : [];
  if (sets.length > 1) {
    const inBatch = sets.flatMap((set) =>
      Object.entries(set).filter(([, path]) => folders?.has(path)),
    );
    if (inBatch[0])
      return `The folder of ${inBatch[0][0]} is a whole batch (one input set per .npy file in it): give it as the only set, not beside other sets.`;
  }
  let count = sets.length === 1 ? 'One input set' : `${sets.length} input sets`;
  if (sets.length === 1 && folderNames.length > 0) {
    const set = sets[0] ?? {};
    const counts = folderNames.map((name) => folders?.get(set[name] ?? ''));
    const known = counts.filter((n) => n !== undefined);
    const where = `the folder${folderNames.length > 1 ? 's' : ''} of ${andWords(folderNames)}`;
    if (known.length === counts.length && new Set(known).size > 1)
      return `The folders of ${andWords(folderNames)} hold ${andWords(known.map(String))} .npy files: folders given together are paired by file name, so give each the same files.`;
    const n = known.length === counts.length ? known[0] : undefined;
    count =
      n === undefined
        ? `A batch: one input set per .npy file in ${where}`
        : `${n === 1 ? 'One input set' : `${n} input sets`}, one per .npy file in ${where}`;
  }
  if (!takes) return `${count}.`;
  const names = new Set(takes.map((t) => t.name));
  const unknown = [...new Set(sets.flatMap((set) => Object.keys(set)))].filter(
    (name) => !names.has(name),
  );
  if (unknown.length > 0)
    return `${count}, but the model has no input ${unknown.map((n) => `"${n}"`).join(' or ')}.`;
  const gaps: string[] = [];
  for (const [k, set] of sets.entries()) {
    const missing = takes.filter((t) => t.isTensor && !(t.name in set)).map((t) => t.name);
    if (missing.length === 0) continue;
    // A folder's batch shares what it lacks; otherwise numbered from 0, as the job's output
    // folders and its errors number them.
    gaps.push(
      folderNames.length > 0
        ? `none has ${missing.join(' or ')}`
        : `set ${k} has no ${missing.join(' or ')}`,
    );
  }
  if (gaps.length === 0) return `${count}, each with every input the model takes.`;
  const shown = gaps.length > 3 ? [...gaps.slice(0, 3), `${gaps.length - 3} more`] : gaps;
  return `${count}; ${shown.join(', ')}.`;
}
