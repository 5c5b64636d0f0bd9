/**
 * Checks of option values that have a fixed set of answers (`--ep`, `--preset`), made before a
 * command prints progress or reaches the agent, in the flag's own words. The agent checks again;
 * this only makes the answer come first and name the flag the user typed.
 */
import type { Result } from '../api/contract.ts';

/** A refusal shaped like the agent's, so `print` shows it (and `--json` writes it) the same way. */
export function flagRefusal(message: string): Result<never> {
  return { ok: false, error: { code: 'INVALID_PARAMS', message } };
}

/**
 * `undefined` when every comma-separated value of `flag` is one of `allowed` (or the flag is not
 * given), else a sentence such as `Unknown execution provider "tpu" in --ep: use one of cpu, webgpu,
 * cuda, tensorrt, dml, coreml.`
 */
export function enumFlagProblem(
  flag: string,
  value: string | boolean | string[] | undefined,
  allowed: readonly string[],
  what: string,
  opts: { list?: boolean } = {},
): string | undefined {
  if (typeof value !== 'string') return undefined;
  const given = opts.list ? value.split(',').map((v) => v.trim()) : [value];
  const unknown = given.filter((v) => !allowed.includes(v));
  if (unknown.length === 0) return undefined;
  const quoted = unknown.map((v) => JSON.stringify(v)).join(', ');
  return `Unknown ${what}${unknown.length > 1 ? 's' : ''} ${quoted} in ${flag}: use one of ${allowed.join(', ')}.`;
}

/**
 * Asks `question [y/N]` on the terminal: true when the answer is y or yes (any case), false for
 * anything else, the empty answer included (no is the default).
 */
export async function answeredYes(
  ask: (question: string, secret: boolean) => Promise<string>,
  question: string,
): Promise<boolean> {
  const answer = (await ask(`${question} [y/N] `, false)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}
