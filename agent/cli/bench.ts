/** `roost bench`: run the standard benchmark on this machine and save its signed report. */
import { resolve as resolvePath } from 'node:path';
import {
  EXIT_FAILURE,
  EXIT_OK,
  noArguments,
  UsageError,
  withClient,
  print,
  type Command,
  type Context,
} from './common.ts';
import { enumFlagProblem } from './flags.ts';
import { presetNameSchema, STD_SUITE_ID } from '../bench/schema.ts';
import { adapterName, executionProviderName, executionProviderSchema } from '../hardware/schema.ts';
import type { ResultOf } from '../api/contract.ts';

/**
 * Progress where no bar can be drawn (a log file, CI): a line when the phase changes and at each
 * tenth of the run, not one per round of every workload (about a hundred lines a quick run).
 */
export function logProgressLine(
  p: { phase: string; fraction: number; message: string },
  last: { phase: string; tenth: number },
): string | undefined {
  const tenth = Math.floor(p.fraction * 10);
  if (p.phase === last.phase && tenth <= last.tenth) return undefined;
  last.phase = p.phase;
  last.tenth = tenth;
  return `[${p.phase}] ${String(Math.round(p.fraction * 100)).padStart(3)} % ${p.message}`;
}

export const benchCommand: Command = {
  usage:
    'roost bench [--preset quick|standard|precise] [--ep <ep>] [--device <id>] [--out <report.json>] [--html <file>] [--pdf <file>] [--json]\n       roost bench --list',
  summary: `Measure this machine with the standard benchmark ${STD_SUITE_ID}; saves a signed report`,
  help: [
    '--preset <p>    quick (the default), standard or precise: more runs take longer, vary less',
    '--ep <ep>       the accelerator to measure (default cpu): cpu, webgpu, cuda, tensorrt, dml,',
    '                coreml; roost bench --list shows those that work here',
    '--device <id>   which GPU (an id from --list, or a CUDA device number such as 0)',
    '--out <file>    also write the signed report (JSON) there; --html and --pdf write it as a page',
    'The report is kept in the data folder either way; roost report verify checks one.',
  ].join('\n'),
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
  noArguments(ctx, benchCommand.usage);
  // Before any progress line: a typo in --ep is the answer, not "Benchmarking…" then a refusal.
  const problem =
    (typeof v.ep === 'string' && v.ep.includes(',')
      ? `--ep takes one execution provider (got "${v.ep}"): roost bench measures one at a time.`
      : undefined) ??
    enumFlagProblem('--preset', v.preset, presetNameSchema.options, 'preset') ??
    enumFlagProblem('--ep', v.ep, executionProviderSchema.options, 'execution provider');
  // A value no machine takes is a wrong command line (exit 2), as in roost market post-job.
  if (problem) throw new UsageError(problem);
  return withClient(ctx, async (client) => {
    if (v.list) {
      const r = await client.call('bench.targets');
      return print(ctx, r, ({ targets }) => {
        const flags = targets.map((t) => `--ep ${t.ep}${t.device ? ` --device ${t.device}` : ''}`);
        const width = Math.max(...flags.map((f) => f.length));
        return targets.map((t, i) => `${flags[i]!.padEnd(width)}   ${t.label}`).join('\n');
      });
    }
    const params: Record<string, string> = {};
    for (const key of ['preset', 'ep', 'device'] as const)
      if (typeof v[key] === 'string') params[key] = v[key];
    const tty = process.stderr.isTTY && !ctx.json;
    const last = { phase: '', tenth: -1 };
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
        const line = logProgressLine(p, last);
        if (line !== undefined) ctx.io.stderr(line + '\n');
      }
    });
    if (!client.inProcess && !ctx.json)
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
      ctx.io.stdout(
        [
          benchText(rep),
          `Signed report: ${file}`,
          ...(typeof v.html === 'string' ? [`HTML: ${resolvePath(v.html)}`] : []),
          ...(typeof v.pdf === 'string' ? [`PDF: ${resolvePath(v.pdf)}`] : []),
        ].join('\n') + '\n',
      );
    }
    return rep.complete ? EXIT_OK : EXIT_FAILURE;
  });
}

type BenchReport = ResultOf<'bench.run'>['report']['report'];

/**
 * A run in words: the suite on the accelerator as people name it ("on CPU", "on WebGPU"), one
 * line a workload with the figures and their spread in columns, the composite and the warnings.
 */
export function benchText(rep: BenchReport): string {
  const figures = rep.workloads.map((w) =>
    w.value === null
      ? `does not score: ${w.reason ?? w.status}`
      : `${w.value.toPrecision(4)} ${w.unit}`,
  );
  const titleWidth = Math.max(34, ...rep.workloads.map((w) => w.title.length));
  // Only figures followed by their spread need the width; a long "does not score" sets none.
  const figureWidth = Math.max(
    0,
    ...figures.filter((_, i) => rep.workloads[i]!.timing).map((f) => f.length),
  );
  const rows = rep.workloads.map((w, i) =>
    `  ${w.title.padEnd(titleWidth)} ${w.timing ? `${figures[i]!.padEnd(figureWidth)}  (runs ±${(w.timing.cv * 100).toFixed(1)} %)` : figures[i]!}`.trimEnd(),
  );
  const adapter = rep.target.adapter
    ? ` (${adapterName(rep.target.adapter)}${rep.target.adapter.software ? ', a software adapter' : ''})`
    : '';
  return [
    `${rep.suite.id} on ${executionProviderName(rep.target.ep)}${adapter}${rep.complete ? '' : ' (incomplete)'}`,
    ...rows,
    `  Composite: ${rep.composite.value === null ? `none (${rep.composite.missing.join(', ')} did not score)` : `${rep.composite.value.toPrecision(4)} ${rep.composite.unit}`}`,
    ...rep.warnings.map((w) => `  Warning: ${w.message}`),
  ].join('\n');
}
