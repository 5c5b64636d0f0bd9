/**
 * Turns what a GPU tool prints when it fails into a problem a miner can act on. The texts come
 * from real machines (see ../shared/fixtures/gpu-tools/errors): a driver that is not loaded, a
 * driver updated without a reboot, no devices, a bad command line.
 */
import type { ToolProblem } from './schema.ts';
import type { ToolRun } from './run-tool.ts';

interface Rule {
  test: RegExp;
  code: ToolProblem['code'];
  message: string;
  fix?: string;
}

const nvidiaRules: Rule[] = [
  {
    test: /couldn't communicate with the NVIDIA driver/i,
    code: 'driver-not-loaded',
    message: 'The NVIDIA driver is not running: nvidia-smi could not talk to it.',
    fix: 'Install the NVIDIA driver (or load its kernel module) and restart the computer.',
  },
  {
    test: /Driver\/library version mismatch/i,
    code: 'driver-mismatch',
    message:
      'The NVIDIA driver was updated but the old version is still loaded (driver/library version mismatch).',
    fix: 'Restart the computer to load the new NVIDIA driver.',
  },
  {
    test: /No devices were found/i,
    code: 'no-devices',
    message: 'The NVIDIA driver is running but sees no NVIDIA GPU.',
    fix: 'Check that the card is seated and powered, and that the driver supports it.',
  },
  {
    test: /Insufficient Permissions|permission denied/i,
    code: 'permission',
    message: 'nvidia-smi was not allowed to read the GPU (insufficient permissions).',
    fix: 'Run Roost as a user that may use the GPU (for example a member of the video group).',
  },
  {
    test: /Failed to initialize NVML/i,
    code: 'driver-not-loaded',
    message: 'nvidia-smi could not start NVML, the NVIDIA management library.',
    fix: 'Reinstall the NVIDIA driver and restart the computer.',
  },
  {
    test: /NVIDIA-SMI has failed/i,
    code: 'failed',
    message: 'nvidia-smi failed.',
    fix: 'Reinstall the NVIDIA driver and restart the computer.',
  },
];

const amdRules: Rule[] = [
  {
    test: /amdgpu not found in modules|Driver not initialized|ROCk module is NOT loaded/i,
    code: 'driver-not-loaded',
    message: 'The amdgpu kernel driver is not loaded, so the AMD tools see no GPU.',
    fix: 'Load the amdgpu driver (sudo modprobe amdgpu) or install AMD\u2019s driver, then restart.',
  },
  {
    test: /Unable to detect any GPU devices/i,
    code: 'no-devices',
    message: 'The AMD tools found no AMD GPU.',
    fix: 'Check that the amdgpu driver is installed and loaded (sudo modprobe amdgpu).',
  },
  {
    test: /AmdSmiInvalidSubcommandException|is invalid\. Must receive valid/i,
    code: 'failed',
    message: 'amd-smi rejected the command line (a different amd-smi version than expected).',
    fix: 'Update amd-smi (ROCm) or report the amd-smi version to Roost support.',
  },
  {
    test: /permission denied/i,
    code: 'permission',
    message: 'The AMD tool was not allowed to read the GPU.',
    fix: 'Run Roost as a user in the render and video groups.',
  },
];

/** Recognise a failure text from nvidia-smi; undefined when the text is not a known failure. */
export function classifyNvidiaSmiText(text: string): ToolProblem | undefined {
  return classify('nvidia-smi', text, nvidiaRules);
}

/** Recognise a failure text from rocm-smi, amd-smi or rocminfo. */
export function classifyAmdToolText(tool: string, text: string): ToolProblem | undefined {
  return classify(tool, text, amdRules);
}

function classify(tool: string, text: string, rules: Rule[]): ToolProblem | undefined {
  for (const rule of rules) {
    if (rule.test.test(text)) {
      return {
        tool,
        code: rule.code,
        message: rule.message,
        ...(rule.fix ? { fix: rule.fix } : {}),
      };
    }
  }
  return undefined;
}

/**
 * The problem, if any, with one run of a tool: not installed, timed out, crashed, a known failure
 * text, or a non-zero exit. Undefined when it exited 0 (its output still has to be parsed).
 */
export function problemFromRun(
  tool: string,
  run: ToolRun,
  classifyText: (text: string) => ToolProblem | undefined,
): ToolProblem | undefined {
  switch (run.kind) {
    case 'not-found':
      return { tool, code: 'not-installed', message: `${tool} is not installed.` };
    case 'timeout':
      return {
        tool,
        code: 'timeout',
        message: `${tool} did not answer in ${Math.round(run.durationMs / 1000)} s and was stopped.`,
        fix: 'A hung GPU tool usually means a hung driver: restart the computer.',
      };
    case 'spawn-error':
      return { tool, code: 'failed', message: `${tool} could not be started: ${run.message}` };
    case 'exited': {
      if (run.code === 0 && !run.signal) return undefined;
      const known = classifyText(`${run.stdout}\n${run.stderr}`);
      if (known) return known;
      const how = run.signal ? `was killed by ${run.signal}` : `exited with code ${run.code}`;
      const said = firstLine(run.stderr) ?? firstLine(run.stdout);
      return { tool, code: 'failed', message: `${tool} ${how}${said ? `: ${said}` : '.'}` };
    }
  }
}

function firstLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line ? line.slice(0, 300) : undefined;
}
