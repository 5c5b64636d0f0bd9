/**
 * Words for a shell command the user is told to run (`chmod 600 <file>`), quoted so a copy and
 * paste runs it on the path as it is. The agent's parts (the wallet's password file) and the CLI
 * both write such commands, so it belongs to neither.
 */

/** A path as a shell command takes it, whatever its spaces and quotes. */
export function shellQuote(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}
