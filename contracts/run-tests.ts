/**
 * Runs every contract test (`hardhat test`: Solidity unit, fuzz and invariant tests, then the
 * mocha tests) with its normal output, and ends with one line the test orchestrator can read:
 *
 *   contracts: 165 passed, 0 failed
 *
 * Extra arguments go to `hardhat test` (for example `--gas-stats`). The exit code is Hardhat's.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hardhatCliPath } from './hardhat-cli.ts';

// eslint-disable-next-line no-control-regex -- stripping terminal colour codes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

export interface TestCounts {
  passed: number;
  failed: number;
}

/**
 * Read the totals from `hardhat test` output: its last lines are `N passing (a solidity, b mocha)`
 * and, when something failed, `N failing (...)`. A run that failed before printing counts (a
 * compile error, a crash) counts as one failure, so it can never read as green.
 */
export function countTests(output: string, exitCode: number | null): TestCounts {
  const text = output.replace(ANSI, '');
  const total = (label: string): number | undefined => {
    const matches = [
      ...text.matchAll(new RegExp(`^(\\d+) ${label} \\((?:\\d+ [\\w-]+(?:, )?)+\\)\\s*$`, 'gm')),
    ];
    const last = matches.at(-1);
    return last === undefined ? undefined : Number(last[1]);
  };
  const passed = total('passing') ?? 0;
  const failed = total('failing') ?? 0;
  if (exitCode !== 0 && failed === 0) return { passed, failed: 1 };
  return { passed, failed };
}

async function main(): Promise<number> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const child = spawn(process.execPath, [hardhatCliPath(root), 'test', ...process.argv.slice(2)], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    process.stderr.write(chunk);
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const { passed, failed } = countTests(output, exitCode);
  console.log(`contracts: ${passed} passed, ${failed} failed`);
  return exitCode ?? 1;
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  process.exitCode = await main();
}
