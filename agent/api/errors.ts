import type { z } from 'zod';
import type { ApiError, ErrorCode } from './contract.ts';

/** Thrown inside a handler to answer with a typed error; the router turns it into data. */
export class ApiFailure extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
  }
  toJSON(): ApiError {
    return { code: this.code, message: this.message };
  }
}

/**
 * Field names whose values are secrets (wallet passwords, phrases, keys, tokens, and a
 * notification webhook's URL, which holds its token).
 */
const SECRET_FIELD =
  /password|passphrase|mnemonic|privatekey|private_key|keystore|^words?$|secret|token|webhook/i;

/** At most this many problems are spelled out; a batch of 10 000 bad input sets is not. */
const MAX_PROBLEMS = 5;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** What zod's type names mean to someone writing JSON or a command line. */
const typeWords: Record<string, string> = {
  object: 'an object',
  record: 'an object',
  array: 'a list',
  tuple: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  null: 'null',
  date: 'a date',
};

/** A list's field name for one of its items: `executionProviders` → `execution provider`. */
const itemWords: Record<string, string> = {
  executionProviders: 'execution provider',
  inputs: 'input set',
  outputs: 'output',
  externalData: 'external data file',
  // notifications.shown: the kinds of notice shown.
  shown: 'kind of notice',
  kinds: 'kind of notice',
};

function itemWord(key: PropertyKey | undefined): string {
  if (typeof key !== 'string') return 'item';
  if (itemWords[key]) return itemWords[key];
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.endsWith('s') ? spaced.slice(0, -1) : `${spaced} item`;
}

/**
 * A field path in words. Plain keys stay as written (`work.idleMinutes`, `model.uri`: what the user
 * types in JSON or `roost settings set`); a list index becomes the item's name and its number from
 * 1, read from the inside out: `inputs.1.x.sha256` → `x.sha256 of input set 2`.
 */
export function fieldName(path: readonly PropertyKey[], what: string): string {
  if (path.length === 0) return what;
  const groups: string[] = [];
  let plain: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const next = path[i + 1];
    if (typeof next === 'number') {
      if (plain.length > 0) groups.push(plain.join('.'));
      plain = [];
      groups.push(`${itemWord(key)} ${next + 1}`);
      i++;
    } else if (typeof key === 'number') {
      // An index at the very start (a list of params) has no field name to borrow.
      groups.push(`item ${key + 1}`);
    } else {
      plain.push(String(key));
    }
  }
  if (plain.length > 0) groups.push(plain.join('.'));
  return groups.reverse().join(' of ');
}

/** zod's own messages ("Invalid input: expected …") say less than the cases below; a schema's own do not. */
function isZodDefault(message: string): boolean {
  return /^(Invalid|Too (small|big)|Unrecognized)/.test(message);
}

type Issue = z.core.$ZodIssue;

/** A union's problems: those of the branch that got furthest into the value (the one meant). */
function bestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  let best: readonly Issue[] | undefined;
  let bestDepth = -1;
  for (const issues of branches) {
    const depth = Math.min(...issues.map((i) => i.path.length));
    if (depth > bestDepth) {
      best = issues;
      bestDepth = depth;
    }
  }
  return bestDepth > 0 ? best : undefined;
}

function sizeWords(issue: Issue & { code: 'too_small' | 'too_big' }, limit: number): string {
  const origin = (issue as { origin?: string }).origin;
  if (origin === 'string') return `${limit} ${limit === 1 ? 'character' : 'characters'} long`;
  if (origin === 'array' || origin === 'set') return `${limit} ${limit === 1 ? 'item' : 'items'}`;
  return String(limit);
}

function describeIssue(
  issue: Issue,
  input: unknown,
  what: string,
  prefix: readonly PropertyKey[],
): string[] {
  const fullPath = [...prefix, ...issue.path];
  const path = fieldName(fullPath, what);
  // A password, recovery phrase or key is never quoted back, even when it is wrong.
  const secret = fullPath.some((p) => typeof p === 'string' && SECRET_FIELD.test(p));
  const value = valueAt(input, fullPath);
  const got = input === undefined || secret ? '' : ` (got ${show(value)})`;
  const missing = input !== undefined && value === undefined && fullPath.length > 0;
  switch (issue.code) {
    case 'too_big':
      return [`${path} must be at most ${sizeWords(issue, Number(issue.maximum))}${got}`];
    case 'too_small': {
      const origin = (issue as { origin?: string }).origin;
      if (Number(issue.minimum) === 1 && (origin === 'string' || origin === 'array'))
        return [`${path} must not be empty`];
      return [`${path} must be at least ${sizeWords(issue, Number(issue.minimum))}${got}`];
    }
    case 'invalid_type':
      if (missing) return [`${path} is missing`];
      if (!isZodDefault(issue.message)) return [`${path} ${issue.message}${got}`];
      return [`${path} must be ${typeWords[issue.expected] ?? `a ${issue.expected}`}${got}`];
    case 'invalid_value': {
      const values = issue.values.map((v) => (typeof v === 'string' ? v : show(v)));
      if (missing) return [`${path} is missing (use one of ${values.join(', ')})`];
      if (issue.values.length === 1) return [`${path} must be ${show(issue.values[0])}${got}`];
      // An unknown name in a list is named by what it is, not by its place: the place is obvious.
      const last = fullPath[fullPath.length - 1];
      const label = typeof last === 'number' ? itemWord(fullPath[fullPath.length - 2]) : path;
      if (typeof value === 'string' && !secret)
        return [`unknown ${label} ${show(value)}: use one of ${values.join(', ')}`];
      return [`${path} must be one of ${values.join(', ')}${got}`];
    }
    case 'unrecognized_keys':
      return [
        `${path} has unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys
          .map((k) => `"${k}"`)
          .join(', ')}`,
      ];
    case 'invalid_union': {
      if (missing) return [`${path} is missing`];
      const branch = bestBranch(issue.errors);
      if (branch) return branch.flatMap((i) => describeIssue(i, input, what, fullPath));
      if (!isZodDefault(issue.message)) return [`${path} ${issue.message}${got}`];
      return [`${path} is not in a form Roost accepts${got}`];
    }
    default:
      if (missing) return [`${path} is missing`];
      return [`${path} ${issue.message}${got}`];
  }
}

/**
 * Turns a zod error into one plain sentence per problem, naming the field, the rule and the value
 * given, e.g. `work.idleMinutes must be at most 240 (got 500)`, `model is missing`,
 * `unknown execution provider "tpu": use one of cpu, webgpu, …`. This is the text users read, in
 * the CLI, the app and HTTP answers alike: no method names, no zod wording. `what` names the
 * value as a whole (`the request`, `settings`).
 */
export function describeZodError(error: z.ZodError, input?: unknown, what = 'the request'): string {
  const lines = error.issues.flatMap((issue) => describeIssue(issue, input, what, []));
  const unique = [...new Set(lines)];
  const more = unique.length - MAX_PROBLEMS;
  return (
    unique.slice(0, MAX_PROBLEMS).join('; ') +
    (more > 0 ? `; and ${more} more ${more === 1 ? 'problem' : 'problems'}` : '')
  );
}
