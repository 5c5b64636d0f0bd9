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
 * The inputs field at a glance, as it is typed or chosen: how many input sets, and what does
 * not fit the model once its inputs are known (a set without one of them, a name it does not
 * take). Undefined for a field with nothing, or nothing readable, in it.
 */
export function inputSetsWords(
  text: string,
  takes?: readonly { name: string; isTensor: boolean }[],
): string | undefined {
  const parsed = parseInputSets(text);
  if (!parsed.ok || parsed.sets.length === 0) return undefined;
  const { sets } = parsed;
  const count = sets.length === 1 ? 'One input set' : `${sets.length} input sets`;
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
    // Numbered from 0, as the job's output folders and its errors number them.
    if (missing.length > 0) gaps.push(`set ${k} has no ${missing.join(' or ')}`);
  }
  if (gaps.length === 0) return `${count}, each with every input the model takes.`;
  const shown = gaps.length > 3 ? [...gaps.slice(0, 3), `${gaps.length - 3} more`] : gaps;
  return `${count}; ${shown.join(', ')}.`;
}
