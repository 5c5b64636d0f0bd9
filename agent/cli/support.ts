/** `roost support bundle`: a zip of logs, redacted settings and reports for support staff. */
import { resolve as resolvePath } from 'node:path';
import { UsageError, withClient, print, type Command } from './common.ts';

export const supportCommand: Command = {
  usage: 'roost support bundle [--out <file.zip>] [--json]',
  summary: 'Write a zip of logs, redacted settings, reports and probe results for support staff',
  help: '--out <file.zip>  where to write it (else a dated file in the data folder, whose path is printed)',
  options: { out: { type: 'string' } },
  async run(ctx) {
    const [action, ...rest] = ctx.positionals;
    if (action !== 'bundle' || rest.length > 0)
      throw new UsageError(
        `${action === undefined ? 'Say what to do: roost support bundle.' : action !== 'bundle' ? `Unknown support action "${action}": use bundle.` : `Unexpected "${rest.join(' ')}".`}\nUsage: ${supportCommand.usage}`,
      );
    const out = typeof ctx.values.out === 'string' ? resolvePath(ctx.values.out) : undefined;
    return withClient(ctx, async (client) => {
      const result = await client.call(
        'diagnostics.supportBundle',
        out === undefined ? {} : { out },
      );
      return print(ctx, result, (b) =>
        [
          `Support bundle written: ${b.path} (${Math.ceil(b.bytes / 1024)} KiB, ${b.entries.length} files).`,
          'Secrets (keys, mnemonics, passwords, tokens) were scrubbed; the API token, signing key and keystore are never included.',
          ...b.skipped.map((s) => `Left out ${s.source}: ${s.why}`),
        ].join('\n'),
      );
    });
  },
};
