import type { z } from 'zod';
import {
  errorCodeSchema,
  isMethodName,
  type ErrorCode,
  methods,
  type MethodName,
  type Methods,
  type Result,
  type ResultOf,
} from './contract.ts';
import { ApiFailure, describeZodError } from './errors.ts';
import type { Logger } from '../log.ts';

function isErrorCode(code: unknown): code is ErrorCode {
  return errorCodeSchema.safeParse(code).success;
}

/** The agent's implementation of one method: parsed params in, a result value out (or ApiFailure). */
export type Handler<M extends MethodName> = (
  params: z.output<Methods[M]['params']>,
) => Promise<ResultOf<M>> | ResultOf<M>;

/** One handler per contract method; a missing one is a type error and a failing test. */
export type Handlers = { [M in MethodName]: Handler<M> };

export interface Router {
  /** Runs a method by name with untrusted params. Never throws. */
  call(method: string, params: unknown): Promise<Result<unknown>>;
  /** The methods this router serves: every method of the contract. */
  readonly methods: readonly MethodName[];
}

/**
 * The one dispatcher behind every transport (IPC, HTTP, CLI, in-process): checks the method
 * exists, parses params with the contract's schema, runs the handler, and turns every failure
 * into `{ ok: false, error }`.
 */
export function createRouter(handlers: Handlers, log: Logger): Router {
  // The type already demands a handler per method; this catches a cast or a spread that lost one.
  const missing = (Object.keys(methods) as MethodName[]).filter(
    (m) => typeof handlers[m] !== 'function',
  );
  if (missing.length > 0) throw new Error(`No handler for ${missing.join(', ')}`);
  return {
    methods: Object.keys(methods) as MethodName[],
    async call(method, params) {
      if (!isMethodName(method)) {
        return {
          ok: false,
          error: {
            code: 'UNKNOWN_METHOD',
            message: `There is no method "${method}". Known methods: ${Object.keys(methods).join(', ')}.`,
          },
        };
      }
      const spec = methods[method];
      const parsed = spec.params.safeParse(params ?? {});
      if (!parsed.success) {
        // The user reads the message in the CLI, the app or an HTTP answer: it names the fields in
        // their words, not the method, which only the log keeps.
        const message = `${describeZodError(parsed.error, params ?? {})}.`;
        log.debug(`${method} refused its params: ${message}`);
        return { ok: false, error: { code: 'INVALID_PARAMS', message } };
      }
      try {
        const handler = handlers[method] as (p: unknown) => unknown;
        const value = await handler(parsed.data);
        const checked = spec.result.safeParse(value);
        if (!checked.success) {
          log.error(
            `${method} produced a result that breaks the contract: ${describeZodError(checked.error, value, 'result')}`,
          );
          return {
            ok: false,
            error: {
              code: 'INTERNAL',
              message: `${method} failed inside the agent; the log has the details.`,
            },
          };
        }
        return { ok: true, value: checked.data };
      } catch (error) {
        if (error instanceof ApiFailure) return { ok: false, error: error.toJSON() };
        // A part's own typed error (WalletError, ...) whose code is in the contract is data too.
        if (error instanceof Error && isErrorCode((error as { code?: unknown }).code)) {
          return {
            ok: false,
            error: { code: (error as unknown as { code: ErrorCode }).code, message: error.message },
          };
        }
        log.error(
          `${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return {
          ok: false,
          error: {
            code: 'INTERNAL',
            message: `${method} failed inside the agent; the log has the details.`,
          },
        };
      }
    },
  };
}
