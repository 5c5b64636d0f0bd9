/** `roost detect` and `roost gpu install-cuda`: the GPUs, and what makes them usable. */
import { formatDetectTable } from '../hardware/index.ts';
import { probeLine } from '../hardware/probe.ts';
import type { InstallCudaResult } from '../hardware/schema.ts';
import {
  EXIT_FAILURE,
  EXIT_OK,
  UsageError,
  noArguments,
  withClient,
  print,
  type Command,
} from './common.ts';

export const detectCommand: Command = {
  usage: 'roost detect [--refresh] [--force-probe] [--json]',
  summary: 'List every GPU, its VRAM and driver, and which accelerators really work on it',
  help: [
    '--refresh      list the GPUs again now (else a list up to 30 s old is reused)',
    '--force-probe  test every accelerator again (else the result kept since the drivers last',
    '               changed is used): after installing a driver, or roost gpu install-cuda',
  ].join('\n'),
  options: { refresh: { type: 'boolean' }, 'force-probe': { type: 'boolean' } },
  async run(ctx) {
    noArguments(ctx, detectCommand.usage);
    return withClient(ctx, async (client) => {
      const result = await client.call('hardware.detect', {
        ...(ctx.values.refresh ? { refresh: true } : {}),
        ...(ctx.values['force-probe'] ? { force: true } : {}),
      });
      return print(ctx, result, (report) => formatDetectTable(report).trimEnd());
    });
  },
};

export const gpuCommand: Command = {
  usage: 'roost gpu install-cuda [--json]',
  summary: "Install onnxruntime's CUDA 12 libraries, for NVIDIA GPUs",
  async run(ctx) {
    const [action, ...rest] = ctx.positionals;
    if (action !== 'install-cuda' || rest.length > 0) {
      throw new UsageError(
        action === undefined
          ? 'Say what to do: roost gpu install-cuda'
          : `Unknown gpu action "${action}": use install-cuda.`,
      );
    }
    // Through the running Roost when there is one: one install at a time, and its dashboard
    // shows CUDA as soon as the libraries are in.
    return withClient(ctx, async (client) => {
      const stop = client.events?.subscribe((e) => {
        if (e.event === 'hardware.installCudaProgress' && !ctx.json)
          ctx.io.stderr(`[${e.payload.phase}] ${e.payload.message}\n`);
      });
      if (!client.inProcess && !ctx.json)
        ctx.io.stderr(`Installing through the running Roost (${client.via})…\n`);
      let r;
      try {
        r = await client.call('hardware.installCuda');
      } finally {
        stop?.();
      }
      if (!r.ok) return print(ctx, r, () => '');
      const result = r.value;
      if (ctx.json) ctx.io.stdout(JSON.stringify(result) + '\n');
      if (result.ok) {
        if (!ctx.json) ctx.io.stdout(installedText(result) + '\n');
        return EXIT_OK;
      }
      const unchanged =
        result.unchanged && !/nothing was changed/i.test(result.message)
          ? ' Nothing was changed.'
          : '';
      ctx.io.stderr(`Error: ${result.message}${unchanged}\n`);
      return EXIT_FAILURE;
    });
  },
};

/** What `roost gpu install-cuda` says once the libraries are in: the message, then CUDA tested. */
export function installedText(result: Extract<InstallCudaResult, { ok: true }>): string {
  if (result.accelerators === undefined)
    return `${result.message}\nRun roost detect --force-probe to see whether CUDA works now.`;
  if (result.accelerators.length === 0)
    return `${result.message}\nCUDA was not tested: this onnxruntime offers it on no GPU here (roost detect shows why).`;
  return [
    result.message,
    'Tested again:',
    ...result.accelerators.map((a) => `  ${probeLine(a)}`),
  ].join('\n');
}
