import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/support/temp-dir.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli.ts';
import type { Context } from './common.ts';
import {
  createServiceCommand,
  execStartArguments,
  type ServiceDeps,
  type Systemctl,
  type SystemctlResult,
} from './service.ts';
import { execArgument, UNIT_MARKER } from './service-unit.ts';
import { runCliCaptured } from './testing/run.ts';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('roost-service-');
});
afterEach(async () => {
  await dir.remove();
});

const ok = (stdout = ''): SystemctlResult => ({ code: 0, stdout, stderr: '' });
const NO_BUS: SystemctlResult = {
  code: 1,
  stdout: '',
  stderr: 'Failed to connect to bus: No medium found\n',
};

/** A systemctl stand-in: records each call, answers from `answers` (by first argument) or ok. */
function fakeSystemctl(answers: Record<string, SystemctlResult> = {}) {
  const calls: string[] = [];
  const systemctl: Systemctl = async (args) => {
    calls.push(args.join(' '));
    return answers[args[0]!] ?? (args[0] === '--version' ? ok('systemd 255 (255.4)\n') : ok());
  };
  return { systemctl, calls };
}

async function service(
  args: string[],
  options: {
    systemctl?: Systemctl;
    deps?: Partial<ServiceDeps>;
    values?: Context['values'];
    json?: boolean;
    dataDir?: string;
  } = {},
) {
  let stdout = '';
  let stderr = '';
  const command = createServiceCommand({
    platform: 'linux',
    systemctl: options.systemctl ?? fakeSystemctl().systemctl,
    home: join(dir.path, 'home'),
    user: 'miner',
    node: '/opt/roost/node_modules/node/bin/node',
    roostBin: '/opt/roost/bin/roost.js',
    lingerDir: join(dir.path, 'linger'),
    cwd: dir.path,
    systemdBooted: () => true,
    ...options.deps,
  });
  const code = await command.run({
    io: {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { XDG_CONFIG_HOME: join(dir.path, 'config') },
    },
    positionals: args,
    values: options.values ?? {},
    json: options.json ?? false,
    dataDir: options.dataDir ?? join(dir.path, 'Roost data'),
  });
  return { code, stdout, stderr };
}

const unitPath = () => join(dir.path, 'config', 'systemd', 'user', 'roost.service');

async function privateFile(name: string, mode = 0o600): Promise<string> {
  const file = join(dir.path, name);
  await writeFile(file, 'rig password 7Qx\n');
  await chmod(file, mode);
  return file;
}

describe('roost service install', () => {
  it('writes the unit under $XDG_CONFIG_HOME, reloads systemd and enables it now', async () => {
    const fake = fakeSystemctl();
    const r = await service(['install'], { systemctl: fake.systemctl });
    expect(r).toMatchObject({ code: EXIT_OK, stderr: '' });
    const text = await readFile(unitPath(), 'utf8');
    expect(text.split('\n')[0]).toBe(UNIT_MARKER);
    expect(text).toContain(`--data-dir "${join(dir.path, 'Roost data')}"`);
    expect(fake.calls).toEqual(['--version', 'daemon-reload', 'enable --now roost.service']);
    expect(r.stdout).toContain(`Wrote ${unitPath()}`);
    expect(r.stdout).toContain('sudo loginctl enable-linger miner');
    expect(r.stdout).toContain('journalctl --user -u roost');
    expect(r.stdout).toContain(join(dir.path, 'Roost data', 'logs', 'roost.log'));
  });

  it('says lingering is on when logind has it for the user', async () => {
    await mkdir(join(dir.path, 'linger'));
    await writeFile(join(dir.path, 'linger', 'miner'), '');
    const r = await service(['install']);
    expect(r.stdout).toContain('Lingering is on for miner');
    expect(r.stdout).not.toContain('enable-linger');
  });

  it('hands a private password file to systemd as a credential, and passes --port', async () => {
    const file = await privateFile('wallet pw');
    const r = await service(['install'], { values: { 'unlock-with': 'wallet pw', port: '7790' } });
    expect(r.code).toBe(EXIT_OK);
    const text = await readFile(unitPath(), 'utf8');
    expect(text).toContain(`LoadCredential=roost-wallet-password:${file}\n`);
    expect(text).toMatch(/ --port 7790\n/);
    expect(r.stdout).toContain(`unlocked at each start with the password in ${file}`);
    // No wallet in the data folder yet: it says how to get one unlocked.
    expect(r.stdout).toContain('There is no wallet in');
    expect(r.stdout).toContain('systemctl --user restart roost.service');
  });

  it('names the password file on the command line under a systemd older than 252', async () => {
    const file = await privateFile('pw');
    const fake = fakeSystemctl({ '--version': ok('systemd 249 (249.11-0ubuntu3.12)\n') });
    const r = await service(['install'], {
      systemctl: fake.systemctl,
      values: { 'unlock-with': file },
    });
    expect(r.code).toBe(EXIT_OK);
    const text = await readFile(unitPath(), 'utf8');
    expect(text).not.toContain('LoadCredential');
    expect(text).toContain(`--unlock-with "${file}"`);
    expect(r.stdout).toContain('too old');
  });

  it('refuses a password file other users can read, or none, and writes nothing', async () => {
    const open = await privateFile('pw', 0o644);
    const r = await service(['install'], { values: { 'unlock-with': open } });
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr).toContain(`chmod 600 '${open}'`);
    const missing = await service(['install'], { values: { 'unlock-with': 'nope' } });
    expect(missing.code).toBe(EXIT_FAILURE);
    expect(missing.stderr).toContain(`There is no password file ${join(dir.path, 'nope')}`);
    expect(existsSync(unitPath())).toBe(false);
  });

  it('keeps an identical unit, and refuses one with other settings unless --force', async () => {
    await service(['install']);
    const again = fakeSystemctl();
    const same = await service(['install'], { systemctl: again.systemctl });
    expect(same.code).toBe(EXIT_OK);
    expect(same.stdout).toContain(`Kept ${unitPath()}`);
    expect(again.calls).not.toContain('try-restart roost.service');

    const before = await readFile(unitPath(), 'utf8');
    const other = await service(['install'], { dataDir: '/srv/roost' });
    expect(other.code).toBe(EXIT_FAILURE);
    expect(other.stderr).toContain('installed already, with other settings');
    expect(other.stderr).toContain('ExecStart=');
    expect(other.stderr).toContain('--data-dir "/srv/roost"');
    expect(other.stderr).toContain('--force');
    expect(await readFile(unitPath(), 'utf8')).toBe(before);

    const forced = fakeSystemctl();
    const r = await service(['install'], {
      systemctl: forced.systemctl,
      dataDir: '/srv/roost',
      values: { force: true },
    });
    expect(r.code).toBe(EXIT_OK);
    expect(await readFile(unitPath(), 'utf8')).toContain('--data-dir "/srv/roost"');
    // The new settings take effect: a running service restarts.
    expect(forced.calls).toEqual([
      '--version',
      'daemon-reload',
      'try-restart roost.service',
      'enable --now roost.service',
    ]);
  });

  it('refuses to replace a roost.service Roost did not write, unless --force', async () => {
    const foreign = '[Service]\nExecStart=/usr/bin/other-miner\n';
    await mkdir(join(dir.path, 'config', 'systemd', 'user'), { recursive: true });
    await writeFile(unitPath(), foreign);
    const fake = fakeSystemctl();
    const r = await service(['install'], { systemctl: fake.systemctl });
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr).toContain('Roost did not write it');
    expect(await readFile(unitPath(), 'utf8')).toBe(foreign);
    expect(fake.calls).toEqual(['--version']);
    expect((await service(['install'], { values: { force: true } })).code).toBe(EXIT_OK);
    expect(await readFile(unitPath(), 'utf8')).toContain(UNIT_MARKER);
  });

  it('writes the unit, and says what to run by hand, when there is no systemctl', async () => {
    const r = await service(['install'], { systemctl: async () => ({ missing: true }) });
    expect(r.code).toBe(EXIT_FAILURE);
    expect(existsSync(unitPath())).toBe(true);
    expect(r.stderr).toContain(`Roost wrote its service to ${unitPath()}`);
    expect(r.stderr).toContain('systemctl is not on this computer');
    expect(r.stderr).toContain('  systemctl --user daemon-reload\n');
    expect(r.stderr).toContain('  systemctl --user enable --now roost.service');
  });

  it('says plainly when systemctl --user has no bus to talk to (sudo, su, a container)', async () => {
    const r = await service(['install'], {
      systemctl: fakeSystemctl({ 'daemon-reload': NO_BUS }).systemctl,
      json: true,
    });
    expect(r.code).toBe(EXIT_FAILURE);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe('SYSTEMD_UNAVAILABLE');
    expect(error.message).toContain('Failed to connect to bus');
    expect(error.message).toContain('under sudo or su');
    expect(error.message).toContain('systemctl --user enable --now roost.service');
  });

  it('answers --json with where the unit is and how it unlocks', async () => {
    const file = await privateFile('pw');
    const r = await service(['install'], { json: true, values: { 'unlock-with': file } });
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      unit: unitPath(),
      written: true,
      enabled: true,
      unlockWith: file,
      unlockVia: 'credential',
      linger: false,
    });
  });
});

describe('roost service uninstall', () => {
  it('stops, disables and removes the unit, then reloads systemd', async () => {
    await service(['install']);
    const fake = fakeSystemctl();
    const r = await service(['uninstall'], { systemctl: fake.systemctl });
    expect(r.code).toBe(EXIT_OK);
    expect(fake.calls).toEqual(['disable --now roost.service', 'daemon-reload']);
    expect(existsSync(unitPath())).toBe(false);
    expect(r.stdout).toContain("Stopped and removed Roost's service");
    expect(r.stdout).toContain('Roost no longer starts at boot');
  });

  it('has nothing to do when no unit is there', async () => {
    const fake = fakeSystemctl();
    const r = await service(['uninstall'], { systemctl: fake.systemctl });
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain('not installed');
    expect(fake.calls).toEqual([]);
  });

  it('leaves a unit Roost did not write, unless --force', async () => {
    await mkdir(join(dir.path, 'config', 'systemd', 'user'), { recursive: true });
    await writeFile(unitPath(), '[Service]\nExecStart=/usr/bin/other-miner\n');
    const r = await service(['uninstall']);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr).toContain('was not written by Roost');
    expect(existsSync(unitPath())).toBe(true);
    expect((await service(['uninstall'], { values: { force: true } })).code).toBe(EXIT_OK);
    expect(existsSync(unitPath())).toBe(false);
  });

  it('keeps the unit when systemctl cannot stop it, and says what to run', async () => {
    await service(['install']);
    const noBus = fakeSystemctl({ disable: NO_BUS }).systemctl;
    const r = await service(['uninstall'], { systemctl: noBus });
    expect(r.code).toBe(EXIT_FAILURE);
    expect(existsSync(unitPath())).toBe(true);
    expect(r.stderr).toContain('systemctl --user disable --now roost.service');
    expect(r.stderr).toContain('roost service uninstall --force');
    const forced = await service(['uninstall'], { systemctl: noBus, values: { force: true } });
    expect(forced.code).toBe(EXIT_OK);
    expect(existsSync(unitPath())).toBe(false);
    // It could not stop it, so it does not say it did.
    expect(forced.stdout).toMatch(/^Removed Roost's service/);
    expect(forced.stdout).toContain('Roost could not stop or disable the service');
  });

  it('removes the unit where no systemd runs (nothing could have run it)', async () => {
    await service(['install']);
    const r = await service(['uninstall'], {
      systemctl: fakeSystemctl({ disable: NO_BUS }).systemctl,
      deps: { systemdBooted: () => false },
    });
    expect(r.code).toBe(EXIT_OK);
    expect(existsSync(unitPath())).toBe(false);
    expect(r.stdout).toContain('does not run systemd');
    // Nothing ran it, so nothing was stopped.
    expect(r.stdout).toMatch(/^Removed Roost's service/);
    expect(r.stdout).not.toContain('Stopped');
  });
});

describe('roost service status', () => {
  it('says whether the unit is installed, starts at boot and runs', async () => {
    expect((await service(['status'])).stdout).toContain("Roost's service is not installed");
    await service(['install']);
    const fake = fakeSystemctl({
      'is-enabled': ok('enabled\n'),
      'is-active': { code: 3, stdout: 'inactive\n', stderr: '' },
    });
    const r = await service([], { systemctl: fake.systemctl });
    expect(r.code).toBe(EXIT_OK);
    expect(fake.calls).toEqual(['is-enabled roost.service', 'is-active roost.service']);
    expect(r.stdout).toContain('Starts at boot:  yes (enabled)');
    expect(r.stdout).toContain('Running now:     no (inactive)');
    expect(r.stdout).toContain('--data-dir');
    const json = await service(['status'], { systemctl: fake.systemctl, json: true });
    expect(JSON.parse(json.stdout)).toMatchObject({
      unit: unitPath(),
      installed: true,
      ours: true,
      enabled: 'enabled',
      active: 'inactive',
      problem: null,
    });
  });

  it('says when the installed service runs Roost for another data folder than this one', async () => {
    const serviceDir = join(dir.path, 'rig data');
    await service(['install'], { dataDir: serviceDir });
    const same = await service(['status'], { dataDir: serviceDir });
    expect(same.stdout).not.toContain('the folder this command looked at');
    const other = join(dir.path, 'Roost data');
    const r = await service(['status'], { dataDir: other });
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain(
      `The installed service runs Roost for the data folder ${serviceDir}, not for ${other} (the folder this command looked at).`,
    );
    const json = await service(['status'], { dataDir: other, json: true });
    expect(JSON.parse(json.stdout)).toMatchObject({ dataDir: serviceDir });
  });

  it("reads the unit's data folder as systemd does, from home where relative", async () => {
    await mkdir(join(dir.path, 'config', 'systemd', 'user'), { recursive: true });
    const execStart = (args: string) =>
      writeFile(unitPath(), `[Service]\nExecStart="/usr/bin/node" "/opt/roost.js" serve ${args}\n`);
    const dataDir = async () =>
      (JSON.parse((await service(['status'], { json: true })).stdout) as { dataDir: unknown })
        .dataDir;
    await execStart('--data-dir=rigs/one --port 7790');
    expect(await dataDir()).toBe(join(dir.path, 'home', 'rigs', 'one'));
    // A folder only systemd can fill in (a specifier, a variable) is not guessed at.
    await execStart('--data-dir %h/roost');
    expect(await dataDir()).toBeNull();
    await execStart('');
    expect(await dataDir()).toBeNull();
  });

  it('says why it cannot tell when systemctl has no bus', async () => {
    await service(['install']);
    const r = await service(['status'], {
      systemctl: fakeSystemctl({ 'is-enabled': NO_BUS, 'is-active': NO_BUS }).systemctl,
    });
    expect(r.stdout).toContain('Whether it runs: unknown');
    expect(r.stdout).toContain('Failed to connect to bus');
  });
});

describe('execStartArguments', () => {
  it('reads back every argument the unit writes, whatever its path holds', () => {
    for (const path of ['/srv/Roost data', '/srv/it\'s "ours"', '/srv/$HOME %h 100%', '/srv/a\\b'])
      expect(execStartArguments(`"/usr/bin/node" --data-dir ${execArgument(path)}`)).toEqual([
        '/usr/bin/node',
        '--data-dir',
        path,
      ]);
  });

  it('leaves undefined what only systemd fills in', () => {
    expect(execStartArguments("roost --data-dir '%h/my data' $DIR ${DIR}/x a$$b")).toEqual([
      'roost',
      '--data-dir',
      undefined,
      undefined,
      undefined,
      'a$b',
    ]);
  });
});

describe('roost service elsewhere than Linux', () => {
  it.each([
    ['win32', 'Windows'],
    ['darwin', 'macOS'],
  ] as const)('on %s points to the desktop app’s Start at login', async (platform, name) => {
    const fake = fakeSystemctl();
    const r = await service(['install'], { systemctl: fake.systemctl, deps: { platform } });
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr).toContain(`On ${name}, use the desktop app's Start at login`);
    expect(fake.calls).toEqual([]);
    expect(existsSync(unitPath())).toBe(false);
  });
});

describe('roost service, wrong command lines', () => {
  const roost = (...args: string[]) =>
    runCliCaptured(args, { ROOST_DATA_DIR: dir.path, XDG_CONFIG_HOME: join(dir.path, 'config') });

  it('exits 2 with what is wrong, before touching anything', async () => {
    const unknown = await roost('service', 'start');
    expect(unknown.code).toBe(EXIT_USAGE);
    expect(unknown.stderr).toContain(
      'roost service has no "start": use install, uninstall or status',
    );
    const misplaced = await roost('service', 'status', '--port', '7790');
    expect(misplaced.code).toBe(EXIT_USAGE);
    expect(misplaced.stderr).toContain('--port goes with roost service install');
    const badPort = await roost('service', 'install', '--port', 'eighty');
    expect(badPort.code).toBe(EXIT_USAGE);
    expect(badPort.stderr).toContain('--port must be a whole number');
    const emptyFile = await roost('service', 'install', '--unlock-with', ' ');
    expect(emptyFile.code).toBe(EXIT_USAGE);
    expect((await roost('service', 'install', 'now')).code).toBe(EXIT_USAGE);
    expect(existsSync(unitPath())).toBe(false);
  });

  it('has help that names the three subcommands and lingering', async () => {
    const r = await roost('service', '--help');
    expect(r.code).toBe(EXIT_OK);
    for (const word of ['install', 'uninstall', 'status', '--unlock-with', 'enable-linger'])
      expect(r.stdout).toContain(word);
    expect((await roost('serve', '--help')).stdout).toContain('--unlock-with <file>');
    expect((await roost('--help')).stdout).toContain('  service');
  });
});
