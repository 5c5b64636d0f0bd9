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

/** Field names whose values are secrets (wallet passwords, phrases, keys, tokens). */
const SECRET_FIELD =
  /password|passphrase|mnemonic|privatekey|private_key|keystore|^words?$|secret|token/i;

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

/**
 * Turns a zod error into one plain sentence per problem, naming the field, the rule and the value
 * given, e.g. `work.idleMinutes must be at most 240 (got 500)`.
 */
export function describeZodError(error: z.ZodError, input?: unknown, what = 'params'): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : what;
    // A password, recovery phrase or key is never quoted back, even when it is wrong.
    const secret = issue.path.some((p) => typeof p === 'string' && SECRET_FIELD.test(p));
    const got = input === undefined || secret ? '' : ` (got ${show(valueAt(input, issue.path))})`;
    switch (issue.code) {
      case 'too_big':
        return `${path} must be at most ${String(issue.maximum)}${got}`;
      case 'too_small':
        return `${path} must be at least ${String(issue.minimum)}${got}`;
      case 'invalid_type':
        return valueAt(input, issue.path) === undefined && input !== undefined
          ? `${path} is required (a ${issue.expected})`
          : `${path} must be a ${issue.expected}${got}`;
      case 'invalid_value':
        return `${path} must be one of ${issue.values.map((v) => show(v)).join(', ')}${got}`;
      case 'unrecognized_keys':
        return `${path === what ? what : path} has unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys
          .map((k) => `"${k}"`)
          .join(', ')}`;
      default:
        return `${path} ${issue.message}${got}`;
    }
  });
  return lines.join('; ');
}
