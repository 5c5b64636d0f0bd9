/** Paths typed into the Jobs page's form, checked before they reach the agent. */

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
