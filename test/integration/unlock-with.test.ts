import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmod, copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { createAgent } from '../../agent/agent.ts';
import { httpClient } from '../../agent/api/node-client.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { runRoost } from '../support/roost-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// `roost serve --unlock-with` as a rig runs it: a real serve process, a real wallet (full scrypt
// cost) in its data folder, and the wallet's state read through the HTTP API.
const PASSWORD = 'rig password 7Qx!';
const KEYSTORE = join('wallet', 'keystore.json');

/** No password file from the environment of whoever runs the tests. */
const CLEAN_ENV = { ROOST_WALLET_PASSWORD_FILE: '', CREDENTIALS_DIRECTORY: '' };

describe('roost serve --unlock-with', () => {
  let template: { path: string; remove: () => Promise<void> };
  const running: ServeProcess[] = [];
  const dirs: { remove: () => Promise<void> }[] = [];

  beforeAll(async () => {
    // One wallet, made once; each test copies its keystore into a fresh data folder.
    template = await tempDir('roost-unlock-wallet-');
    const agent = await createAgent({ dataDir: template.path, host: 'cli' });
    const made = await agent.router.call('wallet.import', {
      kind: 'privateKey',
      privateKey: Wallet.createRandom().privateKey,
      password: PASSWORD,
    });
    await agent.close();
    expect(made.ok).toBe(true);
  });
  afterAll(async () => {
    await template?.remove();
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop('SIGKILL');
    for (const d of dirs.splice(0)) await d.remove();
  });

  /** A data folder with the wallet in it (or none), and a folder beside it for password files. */
  async function folders(withWallet = true) {
    const root = await tempDir('roost-unlock-');
    dirs.push(root);
    const dataDir = join(root.path, 'data');
    await mkdir(join(dataDir, 'wallet'), { recursive: true, mode: 0o700 });
    if (withWallet) await copyFile(join(template.path, KEYSTORE), join(dataDir, KEYSTORE));
    return { root: root.path, dataDir };
  }

  async function passwordFile(path: string, text: string, mode: number): Promise<string> {
    await writeFile(path, text);
    await chmod(path, mode);
    return path;
  }

  async function start(dataDir: string, args: string[], env: Record<string, string> = {}) {
    const p = await startServeProcess(dataDir, args, 60_000, { ...CLEAN_ENV, ...env });
    running.push(p);
    const client = httpClient(p.base, p.token);
    const wallet = async () => {
      const r = await client.call('wallet.status');
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    };
    const warnings = async () => {
      const r = await client.call('agent.status');
      if (!r.ok) throw new Error(r.error.message);
      return r.value.warnings.filter((w) => w.code === 'WALLET_PASSWORD_FILE');
    };
    return { p, wallet, warnings };
  }

  /** The password is in no log file of the data folder, and not in what serve printed. */
  async function expectPasswordNowhere(dataDir: string, p: ServeProcess): Promise<void> {
    const logs = join(dataDir, 'logs');
    const files = await readdir(logs);
    expect(files.length).toBeGreaterThan(0);
    for (const name of files)
      expect(await readFile(join(logs, name), 'utf8'), `logs/${name}`).not.toContain(PASSWORD);
    expect(p.stderr()).not.toContain(PASSWORD);
  }

  it('unlocks the wallet at start with the password in a private file, and says so once', async () => {
    const { root, dataDir } = await folders();
    const file = await passwordFile(join(root, 'wallet password'), `${PASSWORD}\n`, 0o600);
    const { p, wallet, warnings } = await start(dataDir, ['--unlock-with', file, '--verbose']);
    expect(await wallet()).toMatchObject({ state: 'unlocked', workSigning: true });
    expect(await warnings()).toEqual([]);
    const said = p
      .stderr()
      .split('\n')
      .filter((l) => l.includes('the wallet was unlocked with'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`[wallet] the wallet was unlocked with the password in ${file}`);
    expect(await p.stop()).toBe(0);
    // The log file holds the same line, and never the password (not even with --verbose).
    expect(await readFile(join(dataDir, 'logs', 'roost.log'), 'utf8')).toContain(
      `the wallet was unlocked with the password in ${file}`,
    );
    await expectPasswordNowhere(dataDir, p);
  });

  it('refuses a file other users can read: the wallet stays locked, with a warning that says chmod 600', async () => {
    const { root, dataDir } = await folders();
    const file = await passwordFile(join(root, 'pw'), PASSWORD, 0o644);
    const { p, wallet, warnings } = await start(dataDir, ['--unlock-with', file]);
    expect((await wallet()).state).toBe('locked');
    const [warning] = await warnings();
    expect(warning?.message).toContain('other users of this computer can read that file');
    expect(warning?.message).toContain(`chmod 600 '${file}'`);
    expect(p.stderr()).toContain(`chmod 600 '${file}'`);
    // roost status shows it too, through the running serve.
    const status = await runRoost(['status', '--data-dir', dataDir]);
    expect(status.stdout).toContain(`Warning: Roost did not use the password in ${file}`);
    await expectPasswordNowhere(dataDir, p);
  });

  it('warns when the password in the file does not open the wallet', async () => {
    const { root, dataDir } = await folders();
    const wrong = 'not the password 123';
    const file = await passwordFile(join(root, 'pw'), `${wrong}\n`, 0o600);
    const { p, wallet, warnings } = await start(dataDir, ['--unlock-with', file]);
    expect((await wallet()).state).toBe('locked');
    const [warning] = await warnings();
    expect(warning?.message).toContain(
      `The password in ${file} (given with --unlock-with) does not open the wallet`,
    );
    expect(p.stderr()).toContain('does not open the wallet');
    await p.stop();
    for (const name of await readdir(join(dataDir, 'logs')))
      expect(await readFile(join(dataDir, 'logs', name), 'utf8')).not.toContain(wrong);
  });

  it('says there is no wallet yet, and how to make one', async () => {
    const { root, dataDir } = await folders(false);
    const file = await passwordFile(join(root, 'pw'), PASSWORD, 0o600);
    const { wallet, warnings } = await start(dataDir, ['--unlock-with', file]);
    expect((await wallet()).state).toBe('none');
    expect((await warnings())[0]?.message).toContain('There is no wallet in this data folder yet');
  });

  it("takes the password from systemd's credentials folder ($CREDENTIALS_DIRECTORY)", async () => {
    const { root, dataDir } = await folders();
    const credentials = join(root, 'credentials');
    await mkdir(credentials);
    // systemd leaves its credentials read-only (0400, or 0440 with an ACL): not refused there.
    await passwordFile(join(credentials, 'roost-wallet-password'), `${PASSWORD}\n`, 0o440);
    const { p, wallet, warnings } = await start(dataDir, [], {
      CREDENTIALS_DIRECTORY: credentials,
    });
    expect((await wallet()).state).toBe('unlocked');
    expect(await warnings()).toEqual([]);
    expect(p.stderr()).toContain(
      `the wallet was unlocked with the password in ${join(credentials, 'roost-wallet-password')}`,
    );
    await p.stop();
    await expectPasswordNowhere(dataDir, p);
  });

  it('takes the file named by ROOST_WALLET_PASSWORD_FILE as --unlock-with', async () => {
    const { root, dataDir } = await folders();
    const file = await passwordFile(join(root, 'pw'), PASSWORD, 0o600);
    const { wallet } = await start(dataDir, [], { ROOST_WALLET_PASSWORD_FILE: file });
    expect((await wallet()).state).toBe('unlocked');
  });

  it('exits 2 on --unlock-with with no file', async () => {
    const { dataDir } = await folders();
    const r = await runRoost(['serve', '--unlock-with', '', '--port', '0', '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--unlock-with needs a file');
  });
});
