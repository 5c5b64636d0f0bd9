// Runs every check and suite of Roost in order and ends with one plain line, `N passed, N failed`.
// A step that is not a test suite (typecheck, lint, format, build) counts as one check.
// Every step runs even after a failure, so one run shows everything that is wrong.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });

interface Step {
  name: string;
  command: string[];
  /** Reads the test counts of a suite; absent for a plain check. */
  count?: (output: string) => { passed: number; failed: number; skipped: number } | undefined;
  when?: () => boolean;
  /** The suite's vitest JSON report in test-results/, read for the names of failed tests. */
  report?: string;
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: {
    name: string;
    status: string;
    message?: string;
    assertionResults?: {
      ancestorTitles?: string[];
      title: string;
      status: string;
      failureMessages?: string[];
    }[];
  }[];
}

function readReport(file: string): VitestReport | undefined {
  try {
    return JSON.parse(readFileSync(join(results, file), 'utf8')) as VitestReport;
  } catch {
    return undefined;
  }
}

const vitestCount = (file: string) => () => {
  const report = readReport(file);
  if (!report) return undefined;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests,
    skipped: report.numPendingTests + report.numTodoTests,
  };
};

/** The first lines of a failure, without colours or the stack below them. */
function firstLines(message: string, most = 6): string[] {
  // eslint-disable-next-line no-control-regex
  const lines = message.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
  const stack = lines.findIndex((line) => /^\s+at /.test(line));
  return lines
    .slice(0, stack === -1 ? lines.length : stack)
    .filter((line) => line.trim() !== '')
    .slice(0, most);
}

/**
 * Names every failed test of a vitest JSON report (file › describe › test) with the first lines of
 * its message, and every file that failed without a test (an import or a hook that threw), so the
 * tail of a CI log says what broke.
 */
export function failuresOf(report: VitestReport, root = ''): string[] {
  const out: string[] = [];
  for (const file of report.testResults ?? []) {
    const name = root && file.name.startsWith(root) ? file.name.slice(root.length) : file.name;
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const test of failed) {
      out.push(`  ✗ ${[name, ...(test.ancestorTitles ?? []), test.title].join(' › ')}`);
      for (const line of firstLines((test.failureMessages ?? []).join('\n')))
        out.push(`      ${line}`);
    }
    if (failed.length === 0 && file.status === 'failed') {
      out.push(`  ✗ ${name}`);
      for (const line of firstLines(file.message ?? 'failed without a message'))
        out.push(`      ${line}`);
    }
  }
  return out;
}

/** Reads `N passed, N failed` (ours), or mocha's `N passing` / `N failing`, from a step's output. */
export function countFromOutput(
  output: string,
): { passed: number; failed: number; skipped: number } | undefined {
  // eslint-disable-next-line no-control-regex
  const text = output.replace(/\u001b\[[0-9;]*m/g, '');
  const plain = [
    ...text.matchAll(/^\D*?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm),
  ].pop();
  if (plain)
    return { passed: Number(plain[1]), failed: Number(plain[2]), skipped: Number(plain[3] ?? 0) };
  const passing = [...text.matchAll(/^\s*(\d+) passing\b/gm)];
  if (passing.length === 0) return undefined;
  const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    passed: sum(/^\s*(\d+) passing\b/gm),
    failed: sum(/^\s*(\d+) failing\b/gm),
    skipped: sum(/^\s*(\d+) pending\b/gm),
  };
}

const vitest = (name: string, projects: string[]): Step => ({
  name,
  command: [
    'npx',
    'vitest',
    'run',
    ...projects.flatMap((p) => ['--project', p]),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=test-results/${name}.json`,
  ],
  count: vitestCount(`${name}.json`),
  report: `${name}.json`,
});

const hasContracts = () =>
  existsSync(join(root, 'contracts')) &&
  readdirSync(join(root, 'contracts')).some((f) => f.endsWith('.sol'));

const steps: Step[] = [
  { name: 'typecheck', command: ['npm', 'run', '-s', 'typecheck'] },
  { name: 'lint', command: ['npm', 'run', '-s', 'lint'] },
  { name: 'format', command: ['npm', 'run', '-s', 'format:check'] },
  { name: 'build', command: ['npm', 'run', '-s', 'build'] },
  vitest('unit', ['unit', 'renderer']),
  vitest('integration', ['integration']),
  vitest('e2e', ['e2e']),
  {
    name: 'contracts',
    command: ['npm', 'run', '-s', 'test:contracts'],
    count: countFromOutput,
    when: hasContracts,
  },
];

function runStep(step: Step): Promise<{ code: number; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const [cmd, ...args] = step.command;
    const child = spawn(cmd!, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
    });
    let output = '';
    const take = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('close', (code) =>
      resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const table: string[] = [];
  const failures: string[] = [];
  for (const step of steps) {
    if (only.length > 0 && !only.includes(step.name)) continue;
    if (step.when && !step.when()) {
      table.push(`  ${step.name.padEnd(12)} not run: nothing to test yet`);
      continue;
    }
    console.log(`\n=== ${step.name}: ${step.command.join(' ')}`);
    const { code, output, seconds } = await runStep(step);
    const counts = step.count
      ? step.name === 'contracts'
        ? step.count(output)
        : step.count('')
      : undefined;
    if (counts) {
      // A suite that exits non-zero with no failing test still failed (a crash, a broken setup).
      const crashed = code !== 0 && counts.failed === 0 ? 1 : 0;
      passed += counts.passed;
      failed += counts.failed + crashed;
      skipped += counts.skipped;
      const report = step.report ? readReport(step.report) : undefined;
      if (report) failures.push(...failuresOf(report, root));
      table.push(
        `  ${step.name.padEnd(12)} ${code === 0 ? 'ok    ' : 'FAILED'} ${counts.passed} passed, ${counts.failed + crashed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''} (${seconds.toFixed(1)} s)`,
      );
    } else {
      if (code === 0) passed += 1;
      else failed += 1;
      table.push(
        `  ${step.name.padEnd(12)} ${code === 0 ? 'ok    ' : 'FAILED'} (${seconds.toFixed(1)} s)`,
      );
    }
  }
  if (failures.length > 0) {
    console.log('\nFailed tests:');
    for (const line of failures) console.log(line);
  }
  console.log('\nSummary:');
  for (const line of table) console.log(line);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
