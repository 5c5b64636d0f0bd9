/** `roost report verify|export`: check a saved benchmark report, or export it as HTML, PDF or JSON. */
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UsageError, withClient, print, type Command } from './common.ts';
import { STD_SUITE_ID } from '../bench/suite.ts';
import { flagRefusal } from './flags.ts';

/** Each check of `verify` as its message names it: `Not valid (signature check failed): …`. */
export const CHECK_WORDS = {
  json: 'JSON',
  schema: 'format',
  suite: 'suite hash',
  signature: 'signature',
  html: 'page',
} as const;

export const reportCommand: Command = {
  usage:
    'roost report verify <report.json | report.html>\n       roost report export <report.json> (--html <file> | --pdf <file> | --json-out <file>)',
  summary:
    'Check a benchmark report (schema, suite, signature; of an HTML export, the page too), or export it as HTML or PDF',
  options: { html: { type: 'string' }, pdf: { type: 'string' }, 'json-out': { type: 'string' } },
  async run(ctx) {
    const [action, file, ...rest] = ctx.positionals;
    if (!file || rest.length > 0 || (action !== 'verify' && action !== 'export')) {
      const problem =
        action === undefined
          ? 'Say what to do: roost report verify <file>, or roost report export <file>.'
          : action !== 'verify' && action !== 'export'
            ? `Unknown report action "${action}": use verify or export.`
            : !file
              ? `Say which report: roost report ${action} <report.json>.`
              : `Unexpected "${rest.join(' ')}".`;
      throw new UsageError(`${problem}\nUsage: ${reportCommand.usage}`);
    }
    const path = resolvePath(file);
    // A mistyped path is the answer, not the agent's "Cannot read …: ENOENT: …".
    const missing = await stat(path).then(
      () => undefined,
      (error: NodeJS.ErrnoException) =>
        error.code === 'ENOENT' ? `No file at ${path}.` : undefined,
    );
    if (missing) return print(ctx, flagRefusal(missing), () => '');
    return withClient(ctx, async (client) => {
      if (action === 'verify') {
        const r = await client.call('bench.verify', { file: path });
        if (!r.ok) return print(ctx, r, () => '');
        const v = r.value;
        if (ctx.json) ctx.io.stdout(JSON.stringify(v) + '\n');
        if (v.ok) {
          if (!ctx.json) {
            ctx.io.stdout(
              `Valid: signed by ${v.signer}; suite ${v.suiteId}; composite ${v.composite === null ? 'none' : `${v.composite.toPrecision(4)} RCS`}${v.complete ? '' : ' (incomplete run)'}.\n${v.suiteCurrent ? '' : `${v.suiteId} is an earlier version of the benchmark: its composite does not compare with ${STD_SUITE_ID}'s. Run roost bench for a current one.\n`}`,
            );
          }
          return EXIT_OK;
        }
        ctx.io.stderr(
          `Not valid (${CHECK_WORDS[v.failed]} check failed): ${v.message}${v.issues ? `\n  ${v.issues.join('\n  ')}` : ''}\n`,
        );
        return EXIT_FAILURE;
      }
      const targets = (
        [
          ['html', ctx.values.html],
          ['pdf', ctx.values.pdf],
          ['json', ctx.values['json-out']],
        ] as const
      ).filter(([, out]) => typeof out === 'string');
      if (targets.length === 0)
        throw new UsageError(
          'Say what to export: --html <file>, --pdf <file> or --json-out <file>.',
        );
      for (const [format, out] of targets) {
        const r = await client.call('bench.export', {
          file: path,
          format,
          out: resolvePath(out as string),
        });
        if (!r.ok) return print(ctx, r, () => '');
        if (!ctx.json)
          ctx.io.stdout(
            `Wrote ${r.value.file} (${format.toUpperCase()}, ${Math.ceil(r.value.bytes / 1024)} KiB).\n`,
          );
      }
      return EXIT_OK;
    });
  },
};
