import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { JsonRpcProvider, parseEther, Wallet } from 'ethers';
import { TEST_DOLLAR, devnetDeployment, startDevnet, type Devnet } from '../../contracts/devnet.ts';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import { writeLocalNetwork } from '../../agent/market/local-network.ts';
import { ROOST_BIN } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

// The `roost wallet` commands as a user runs them: answers to the questions come on stdin,
// secrets never on the command line, against a real devnet on 127.0.0.1.
const PHRASE = 'test test test test test test test test test test test junk';
const PASSWORD = 'correct horse battery';

function roost(
  dataDir: string,
  args: string[],
  answers: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ROOST_BIN, ...args, '--data-dir', dataDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(answers.map((a) => a + '\n').join(''));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('roost wallet', () => {
  let devnet: Devnet;
  let dir: { path: string; remove: () => Promise<void> };
  const expected = Wallet.fromPhrase(PHRASE).address;

  beforeAll(async () => {
    devnet = await startDevnet();
    dir = await tempDir();
    await writeLocalNetwork(dir.path, devnetDeployment(devnet));
  });
  afterAll(async () => {
    await devnet?.stop();
    await dir?.remove();
  });

  it('imports from recovery words typed at the prompt, and never echoes them', async () => {
    const r = await roost(dir.path, ['wallet', 'import'], [PHRASE, PASSWORD, PASSWORD]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Address: ${expected}`);
    // No Roost runs beside this command: it says the wallet locks again when it ends.
    expect(r.stdout).toContain('No Roost is running here, so the wallet locks again');
    expect(r.stdout + r.stderr).not.toContain('junk');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect((await roost(dir.path, ['wallet', 'address'])).stdout.trim()).toBe(expected);
  });

  it('refuses a wrong recovery phrase, saying which word, without quoting it', async () => {
    const other = await tempDir();
    const r = await roost(
      other.path,
      ['wallet', 'import'],
      ['test test test test test test test test test test test banana', PASSWORD, PASSWORD],
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/word/i);
    expect(r.stderr).not.toContain('banana');
    await other.remove();
  });

  it('shows balances, sends after a decoded confirmation, and lists the history', async () => {
    // This phrase is the devnet's first account, which starts funded: compare with what it had.
    const before = JSON.parse((await roost(dir.path, ['wallet', 'balance', '--json'])).stdout);
    const rpc = new JsonRpcProvider(devnet.rpcUrl);
    const funder = await rpc.getSigner(devnet.accounts[5]);
    await (await funder.sendTransaction({ to: expected, value: parseEther('1') })).wait();
    await (
      await connectRoostTestToken(devnet.tokenAddress, funder).transfer(expected, 50n * TEST_DOLLAR)
    ).wait();

    const balance = JSON.parse((await roost(dir.path, ['wallet', 'balance', '--json'])).stdout);
    expect(Number(balance.token.amount)).toBe(Number(before.token.amount) + 50);
    expect(Number(balance.native.amount)).toBeCloseTo(Number(before.native.amount) + 1, 6);

    const to = devnet.accounts[7]!;
    const declined = await roost(dir.path, ['wallet', 'send', to, '12.5'], ['n']);
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('amount:        12.5');
    expect(declined.stderr).toContain('Nothing was sent.');

    const sent = await roost(dir.path, ['wallet', 'send', to, '12.5'], ['y', PASSWORD]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(
      new RegExp(`^Sent 12\\.5 rUSD to ${to}: confirmed\\. Transaction 0x[0-9a-f]{64}\\.$`, 'mi'),
    );
    const after = JSON.parse((await roost(dir.path, ['wallet', 'balance', '--json'])).stdout);
    expect(Number(after.token.amount)).toBe(Number(balance.token.amount) - 12.5);

    const history = await roost(dir.path, ['wallet', 'history']);
    expect(history.stdout).toMatch(/ {2}Sent\s+-12\.5 rUSD/);
    expect(history.stdout).toMatch(/ {2}Received \+50 rUSD/);
    rpc.destroy();
  });

  it('answers bad input with the usage and exit 2, and a wrong password with exit 1', async () => {
    expect((await roost(dir.path, ['wallet', 'send', 'nobody'])).code).toBe(2);
    expect((await roost(dir.path, ['wallet', 'create', '--words', '13'])).code).toBe(2);
    const wrong = await roost(dir.path, ['wallet', 'unlock'], ['not the password']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/password/i);
  });
});
