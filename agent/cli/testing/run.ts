import { runCli } from '../../cli.ts';

/** Runs `roost <args>` in this process with `env`, and returns its exit code and what it printed. */
export async function runCliCaptured(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
  });
  return { code, stdout, stderr };
}
