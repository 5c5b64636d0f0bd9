/**
 * Where a job's files are, as worker/protocol.ts's `RunPlan` describes: input set `s`, input `i`
 * is `<inputsDir>/<s>/<i>.npy`; output `o` of set `s` is `<outDir>/<outputFile(layout, s, o)>`.
 * A module of its own, without zod, so the worker's I/O thread (worker/set-io.ts) loads only
 * this; protocol.ts re-exports it.
 */

export function inputFile(set: number, index: number): string {
  return `${set}/${index}.npy`;
}

/** `flat`: outputs straight in outDir (one input set); `per-set`: in `<set>/` folders. */
export function outputFile(layout: 'flat' | 'per-set', set: number, file: string): string {
  return layout === 'flat' ? file : `${set}/${file}`;
}
