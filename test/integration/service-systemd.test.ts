import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServiceCommand } from '../../agent/cli/service.ts';
import { userUnitDir } from '../../agent/cli/service-unit.ts';
import { runRoost } from '../support/roost-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// `roost service` against the real systemd tools where this machine has them. Unit tests beside
// the code cover the rest with a fake systemctl; here systemd itself reads what Roost writes.
const exec = promisify(execFile);

/** Runs a command; never throws: its exit code, what it printed, or that it is not installed. */
async function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string; missing?: true }> {
  try {
    const { stdout, stderr } = await exec(command, args, { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') return { code: -1, stdout: '', stderr: '', missing: true };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

// systemd-analyze verify loads a unit file as systemd would, with no systemd running: it refuses
// a program path it can't run, and says so about escapes it does not know.
const analyze = await run('systemd-analyze', ['--version']);
const noAnalyze = analyze.missing
  ? 'systemd-analyze is not installed (Debian: apt-get install systemd)'
  : undefined;
if (noAnalyze)
  console.log(`[integration] SKIPPED checking roost.service with systemd-analyze: ${noAnalyze}.`);

describe.skipIf(Boolean(noAnalyze))(
  `the unit roost service install writes, read by systemd${noAnalyze ? ` (skipped: ${noAnalyze})` : ''}`,
  () => {
    /** systemd-analyze verify of a unit file; a user manager's runtime folder made up if needed. */
    async function verify(unitFile: string) {
      const runtime = await tempDir('roost-xdg-runtime-');
      cleanups.push(runtime.remove);
      await chmod(runtime.path, 0o700);
      return run('systemd-analyze', ['verify', '--user', unitFile], {
        ...process.env,
        XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || runtime.path,
      });
    }

    it('takes a Roost folder, a data folder and a password file with spaces, % and $ in their names', async () => {
      const dir = await tempDir('roost-unit-');
      cleanups.push(dir.remove);
      // A Roost installed under a folder whose name has a space and a %: its pinned Node there.
      const roost = join(dir.path, 'my roost 100%');
      await mkdir(join(roost, 'node_modules', 'node', 'bin'), { recursive: true });
      await mkdir(join(roost, 'bin'));
      const node = join(roost, 'node_modules', 'node', 'bin', 'node');
      await symlink(process.execPath, node);
      const password = join(dir.path, 'wallet pw $HOME 50%');
      await writeFile(password, 'rig password 7Qx\n', { mode: 0o600 });
      const config = join(dir.path, 'config');
      let stdout = '';
      const command = createServiceCommand({
        platform: 'linux',
        systemctl: async (args) =>
          args[0] === '--version'
            ? { code: 0, stdout: 'systemd 255 (255)\n', stderr: '' }
            : { code: 0, stdout: '', stderr: '' },
        home: dir.path,
        user: 'miner',
        node,
        roostBin: join(roost, 'bin', 'roost.js'),
        lingerDir: join(dir.path, 'linger'),
        cwd: dir.path,
        systemdBooted: () => true,
      });
      const code = await command.run({
        io: { stdout: (t) => (stdout += t), stderr: () => {}, env: { XDG_CONFIG_HOME: config } },
        positionals: ['install'],
        values: { 'unlock-with': password, port: '7790' },
        json: false,
        dataDir: join(dir.path, 'Roost data "lab" $USER'),
      });
      expect(code, stdout).toBe(0);
      const unitFile = join(config, 'systemd', 'user', 'roost.service');
      const checked = await verify(unitFile);
      expect(checked.stderr, await readFile(unitFile, 'utf8')).toBe('');
      expect(checked.code).toBe(0);

      // The check is real: the same line without the quotes is refused (the path splits at the space).
      const text = await readFile(unitFile, 'utf8');
      const unquoted = join(dir.path, 'unquoted', 'roost.service');
      await mkdir(join(dir.path, 'unquoted'));
      await writeFile(
        unquoted,
        text.replace(`"${node.replace(/%/g, '%%')}"`, node.replace(/%/g, '%%')),
      );
      const refused = await verify(unquoted);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('is not executable');
    });
  },
);

// The real systemctl --user: install, status and uninstall as a user does, where this session
// has a user manager to talk to. The unit goes where that manager reads it (~/.config/systemd/
// user), so the test runs only when no roost.service is there already.
const bus = await run('systemctl', ['--user', 'show-environment']);
const realUnit = join(userUnitDir(process.env, homedir()), 'roost.service');
const noSystemd = bus.missing
  ? 'systemctl is not installed'
  : bus.code !== 0
    ? `systemctl --user is unavailable here (${bus.stderr.trim().split('\n')[0] || `exit ${bus.code}`}): no systemd user manager for this session, as in a container or under sudo`
    : existsSync(realUnit)
      ? `${realUnit} exists already, and this test does not touch a real roost.service`
      : undefined;
if (noSystemd)
  console.log(
    `[integration] SKIPPED roost service against the real systemd: ${noSystemd}. The unit text, install, uninstall and status are tested with a fake systemctl (agent/cli/service.test.ts).`,
  );

describe.skipIf(Boolean(noSystemd))(
  `roost service with the real systemctl --user${noSystemd ? ` (skipped: ${noSystemd})` : ''}`,
  () => {
    it('installs, runs, reports and uninstalls roost serve for a data folder', async () => {
      const dir = await tempDir('roost-systemd-');
      cleanups.push(async () => {
        await runRoost(['service', 'uninstall', '--force', '--data-dir', dir.path]);
        await dir.remove();
      });
      const installed = await runRoost([
        'service',
        'install',
        '--port',
        '0',
        '--data-dir',
        dir.path,
      ]);
      expect(installed.code, installed.stderr).toBe(0);
      expect(existsSync(realUnit)).toBe(true);
      const status = JSON.parse(
        (await runRoost(['service', 'status', '--json', '--data-dir', dir.path])).stdout,
      );
      expect(status).toMatchObject({ installed: true, ours: true, enabled: 'enabled' });
      expect(['active', 'activating']).toContain(status.active);
      // roost serve itself answers for the data folder once it has started.
      let said = '';
      for (let i = 0; i < 60 && !said.includes('Roost is running (serve'); i += 1) {
        said = (await runRoost(['status', '--data-dir', dir.path])).stdout;
        if (!said.includes('Roost is running (serve')) await new Promise((r) => setTimeout(r, 500));
      }
      expect(said).toContain('Roost is running (serve');
      const removed = await runRoost(['service', 'uninstall', '--data-dir', dir.path]);
      expect(removed.code, removed.stderr).toBe(0);
      expect(existsSync(realUnit)).toBe(false);
      const after = await run('systemctl', ['--user', 'is-active', 'roost.service']);
      expect(after.stdout.trim()).not.toBe('active');
    });
  },
);
