/** `roost bench`: run the standard benchmark on this machine and save its signed report. */
import { resolve as resolvePath } from 'node:path';
import {
  EXIT_FAILURE,
  EXIT_OK,
  UsageError,
  withClient,
  print,
  type Command,
  type Context,
} from './common.ts';
import { enumFlagProblem, flagRefusal } from './flags.ts';
import { presetNameSchema, STD_SUITE_ID } from '../bench/schema.ts';
import { adapterName, executionProviderSchema } from '../hardware/schema.ts';

export const benchCommand: Command = {
  usage:
    'roost bench [--preset quick|standard|precise] [--ep <ep>] [--device <id>] [--out <report.json>] [--html <file>] [--pdf <file>] [--json]\n       roost bench --list',
  summary: `Measure this machine with the standard benchmark ${STD_SUITE_ID}; saves a signed report`,
  options: {
    preset: { type: 'string' },
    ep: { type: 'string' },
    device: { type: 'string' },
    out: { type: 'string' },
    html: { type: 'string' },
    pdf: { type: 'string' },
    list: { type: 'boolean' },
  },
  async run(ctx) {
    return runBenchCommand(ctx);
  },
};

async function runBenchCommand(ctx: Context): Promise<number> {
  const v = ctx.values;
  if (ctx.positionals.length > 0) throw new UsageError(`Usage: ${benchCommand.usage}`);
  // Before any progress line: a typo in --ep is the answer, not "Benchmarking…" then a refusal.
  const problem =
    enumFlagProblem('--preset', v.preset, presetNameSchema.options, 'preset') ??
    enumFlagProblem('--ep', v.ep, executionProviderSchema.options, 'execution provider');
  if (problem) return print(ctx, flagRefusal(problem), () => '');
  return withClient(ctx, async (client) => {
    if (v.list) {
      const r = await client.call('bench.targets');
      return print(ctx, r, ({ targets }) =>
        targets
          .map((t) => `--ep ${t.ep}${t.device ? ` --device ${t.device}` : ''}   ${t.label}`)
          .join('\n'),
      );
    }
    const params: Record<string, string> = {};
    for (const key of ['preset', 'ep', 'device'] as const)
      if (typeof v[key] === 'string') params[key] = v[key];
    const tty = process.stderr.isTTY && !ctx.json;
    let lastLine = '';
    const stop = client.events?.subscribe((e) => {
      if (e.event !== 'bench.progress' || ctx.json) return;
      const p = e.payload;
      if (tty) {
        const width = 24;
        const filled = Math.round(p.fraction * width);
        ctx.io.stderr(
          `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(p.fraction * 100)).padStart(3)}% ${p.message.slice(0, 60).padEnd(60)}`,
        );
      } else {
        const line = `[${p.phase}] ${p.message}`;
        if (line !== lastLine) ctx.io.stderr(line + '\n');
        lastLine = line;
      }
    });
    if (!client.events && !ctx.json)
      ctx.io.stderr(`Benchmarking on the running agent (${client.via})…\n`);
    let r;
    try {
      r = await client.call('bench.run', params as never);
    } finally {
      stop?.();
      if (tty) ctx.io.stderr('\n');
    }
    if (!r.ok) return print(ctx, r, () => '');
    const { report, file } = r.value;
    const rep = report.report;
    for (const [format, out] of [
      ['json', v.out],
      ['html', v.html],
      ['pdf', v.pdf],
    ] as const) {
      if (typeof out !== 'string') continue;
      const written = await client.call('bench.export', { file, format, out: resolvePath(out) });
      if (!written.ok) return print(ctx, written, () => '');
    }
    if (ctx.json) {
      ctx.io.stdout(JSON.stringify({ file, report }) + '\n');
    } else {
      const rows = rep.workloads.map(
        (w) =>
          `  ${w.title.padEnd(34)} ${w.value === null ? `does not score: ${w.reason ?? w.status}` : `${w.value.toPrecision(4)} ${w.unit}`}${w.timing ? `  (runs ±${(w.timing.cv * 100).toFixed(1)} %)` : ''}`,
      );
      ctx.io.stdout(
        [
          `${rep.suite.id} on ${rep.target.ep}${rep.target.adapter ? ` (${adapterName(rep.target.adapter)}${rep.target.adapter.software ? ', a software adapter' : ''})` : ''}${rep.complete ? '' : ' (incomplete)'}`,
          ...rows,
          `  Composite: ${rep.composite.value === null ? `none (${rep.composite.missing.join(', ')} did not score)` : `${rep.composite.value.toPrecision(4)} ${rep.composite.unit}`}`,
          ...rep.warnings.map((w) => `  Warning: ${w.message}`),
          `Signed report: ${file}`,
          ...(typeof v.html === 'string' ? [`HTML: ${resolvePath(v.html)}`] : []),
          ...(typeof v.pdf === 'string' ? [`PDF: ${resolvePath(v.pdf)}`] : []),
        ].join('\n') + '\n',
      );
    }
    return rep.complete ? EXIT_OK : EXIT_FAILURE;
  });
}
