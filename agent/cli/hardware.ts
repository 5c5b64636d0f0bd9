/** `roost detect` and `roost gpu install-cuda`: the GPUs, and what makes them usable. */
import { createHardwareService, formatDetectTable } from '../hardware/index.ts';
import { silentHardwareLog } from '../hardware/log.ts';
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
    // The libraries go into this installation's onnxruntime-node, whoever serves the API.
    const hardware = createHardwareService({ log: silentHardwareLog });
    const result = await hardware.installCuda((p) => {
      if (!ctx.json) ctx.io.stderr(`[${p.phase}] ${p.message}\n`);
    });
    if (ctx.json) ctx.io.stdout(JSON.stringify(result) + '\n');
    if (result.ok) {
      if (!ctx.json)
        ctx.io.stdout(
          `${result.message}\nRun roost detect --force-probe to see CUDA in the accelerators.\n`,
        );
      return EXIT_OK;
    }
    const unchanged =
      result.unchanged && !/nothing was changed/i.test(result.message)
        ? ' Nothing was changed.'
        : '';
    ctx.io.stderr(`Error: ${result.message}${unchanged}\n`);
    return EXIT_FAILURE;
  },
};
