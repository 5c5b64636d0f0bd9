import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { createRedactor, defaultRedactor, isSecretKey } from './redact.ts';

const r = defaultRedactor;
const KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const PHRASE = 'test test test test test test test test test test test junk'; // Hardhat's well-known phrase
const PHRASE_24 =
  'abandon ability able about above absent absorb abstract absurd abuse access accident account accuse achieve acid acoustic acquire across act action actor actress actual';

describe('redaction', () => {
  it('scrubs a private key from a log line', () => {
    const line = `[wallet] imported key ${KEY} for 0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1`;
    expect(r.redact(line)).toBe(
      '[wallet] imported key [redacted:private-key] for 0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1',
    );
    expect(r.redact(`key=${KEY.slice(2)}`)).toBe('key=[redacted:private-key]');
    expect(r.redact(`{"privateKey":"${KEY}"}`)).toBe('{"privateKey":"[redacted]"}');
  });

  it('keeps 32-byte hashes that are labelled as hashes, and longer hex such as signatures', () => {
    const tx = `0x${'ab'.repeat(32)}`;
    expect(r.redact(`[market] claim sent, tx ${tx}`)).toBe(`[market] claim sent, tx ${tx}`);
    expect(r.redact(`{"txHash":"${tx}","blockHash": "${tx}"}`)).toBe(
      `{"txHash":"${tx}","blockHash": "${tx}"}`,
    );
    expect(r.redact(`model.onnx sha256 ${'cd'.repeat(32)}`)).toContain('cd'.repeat(32));
    const signature = `0x${'ef'.repeat(65)}`;
    expect(r.redact(`signature ${signature}`)).toBe(`signature ${signature}`);
    // The same hex without a label could be a key: scrubbed.
    expect(r.redact(`got ${tx}`)).toBe('got [redacted:private-key]');
    // The market's transaction keys name the report they register.
    const line = `[market-tx] register: signed tx ${tx} (nonce 3, register:${tx})`;
    expect(r.redact(line)).toBe(line);
    expect(r.redact(`update:${tx}:115:0.3`)).toBe(`update:${tx}:115:0.3`);
    // ...in that shape only: the word alone labels nothing.
    expect(r.redact(`register ${tx}`)).toBe('register [redacted:private-key]');
  });

  it('still scrubs a private key in every form it had before, whatever else the line holds', () => {
    const bare = KEY.slice(2);
    const tx = `0x${'ab'.repeat(32)}`;
    const lines: [string, string][] = [
      [`${KEY}`, '[redacted:private-key]'],
      [`${bare}`, '[redacted:private-key]'],
      [`${KEY.toUpperCase().replace('0X', '0x')}`, '[redacted:private-key]'],
      [`key ${KEY}`, 'key [redacted:private-key]'],
      [`signed ${KEY} (nonce 3)`, 'signed [redacted:private-key] (nonce 3)'],
      [`(${KEY} ≠ ${bare})`, '([redacted:private-key] ≠ [redacted:private-key])'],
      [`privateKey=${KEY}`, 'privateKey=[redacted]'],
      [`privateKeyHash=${KEY}`, 'privateKeyHash=[redacted]'],
      [`{"value":"${KEY}"}`, '{"value":"[redacted:private-key]"}'],
      [`{\\"key\\":\\"${KEY}\\"}`, '{\\"key\\":\\"[redacted:private-key]\\"}'],
      [`https://rpc.example.org/${bare}`, 'https://rpc.example.org/[redacted:private-key]'],
      // A hash name that does not stand right before the key, or is only part of a word.
      [`tx failed, key ${KEY}`, 'tx failed, key [redacted:private-key]'],
      [`tx: wallet ${KEY}`, 'tx: wallet [redacted:private-key]'],
      [`ctx ${KEY}`, 'ctx [redacted:private-key]'],
      [`hashed ${KEY}`, 'hashed [redacted:private-key]'],
      [`blocks ${KEY}`, 'blocks [redacted:private-key]'],
      // Next to a labelled hash on the same line.
      [`tx ${tx} from ${KEY}`, `tx ${tx} from [redacted:private-key]`],
      [`{"txHash":"${tx}","k":"${KEY}"}`, `{"txHash":"${tx}","k":"[redacted:private-key]"}`],
    ];
    for (const [line, want] of lines) expect(r.redact(line), line).toBe(want);
    expect(
      r.redactJson({ txHash: tx, value: KEY, list: [KEY], signer: { key: bare }, privateKey: KEY }),
    ).toEqual({
      txHash: tx,
      value: '[redacted:private-key]',
      list: ['[redacted:private-key]'],
      signer: { key: '[redacted:private-key]' },
      privateKey: '[redacted]',
    });
  });

  it('keeps the hashes the market writes, so support staff can look them up', () => {
    const tx = `0x${'ab'.repeat(32)}`;
    const result = `0x${'5e'.repeat(32)}`;
    const lines = [
      `[market-tx] claim job 7: signed tx ${tx} (nonce 3, claim:7)`,
      `[market-tx] claim job 7: tx ${tx} mined in block 12`,
      `[market-tx] claim job 7: not mined after 300 ms; replaced by tx ${tx} with higher fees`,
      `[market] skipped a log (block 9, transaction ${tx}, log 0)`,
      `market job 7: result hash ${result}`,
      `{"resultHash":"${result}","specHash": "${tx}","report_hash":"${tx}"}`,
      `{\\"txHash\\":\\"${tx}\\"}`,
      `the job document does not match (sha256 ${result}, spec hash ${tx})`,
      `"modelSha256": "${'cd'.repeat(32)}", digest sha256:${'cd'.repeat(32)}`,
    ];
    for (const line of lines) {
      expect(r.redact(line), line).toBe(line);
      // Redacted again (the log file, a support bundle later): still whole.
      expect(r.redact(r.redact(line))).toBe(line);
    }
    const status = {
      provider: { reportHash: result, address: '0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1' },
      workloads: [{ modelSha256: 'cd'.repeat(32), inputsSha256: 'ef'.repeat(32) }],
      receipt: { topics: [tx, result], blockHash: tx },
    };
    expect(r.redactJson(status)).toEqual(status);
    expect(r.redactJsonCounted(status).counts).toEqual({});
  });

  it('scrubs a recovery phrase of 12 to 24 words, whatever the separators', () => {
    expect(r.redact(`[wallet] restoring from ${PHRASE}; done`)).toBe(
      '[wallet] restoring from [redacted:mnemonic]; done',
    );
    expect(r.redact(`mnemonic=${PHRASE}`)).toBe('mnemonic=[redacted:mnemonic]');
    expect(r.redact(`{"mnemonic":"${PHRASE_24}"}`)).toBe('{"mnemonic":"[redacted:mnemonic]"}');
    const numbered = PHRASE_24.split(' ')
      .map((w, i) => `${i + 1}. ${w.toUpperCase()}`)
      .join('\\n');
    expect(r.redact(`recovery: ${numbered}`)).toBe('recovery: 1. [redacted:mnemonic]');
    const real = Wallet.createRandom().mnemonic?.phrase ?? '';
    expect(r.redact(`oops ${real}`)).toBe('oops [redacted:mnemonic]');
  });

  it('leaves ordinary sentences alone', () => {
    const line =
      '[schedule] RTX 4090 (pci-0000:01:00.0): idle: You are using the computer; work starts after 10 idle minutes';
    expect(r.redact(line)).toBe(line);
    const eleven = PHRASE.split(' ').slice(0, 11).join(' ');
    expect(r.redact(eleven)).toBe(eleven);
  });

  it('scrubs bearer tokens, JWTs and tokens in URLs', () => {
    expect(r.redact('Authorization: Bearer abcdEFGH1234567890_-xyz')).toBe(
      'Authorization: Bearer [redacted]',
    );
    expect(r.redact('curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA=="')).toBe(
      'curl -H "Authorization: Basic [redacted]"',
    );
    expect(r.redact('open http://127.0.0.1:7787/#token=Zm9vYmFyYmF6cXV4cXV1eA&x=1')).toBe(
      'open http://127.0.0.1:7787/#token=[redacted]&x=1',
    );
    expect(r.redact('GET /api?access_token=abc123def456 200')).toBe(
      'GET /api?access_token=[redacted] 200',
    );
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    expect(r.redact(`cookie ${jwt}`)).toBe('cookie [redacted:jwt]');
  });

  it('scrubs passwords in key=value, key: value, flags and JSON, keeping the key', () => {
    expect(r.redact('unlock failed password=hunter2 user=bob')).toBe(
      'unlock failed password=[redacted] user=bob',
    );
    expect(r.redact("passphrase: 'correct horse battery'")).toBe("passphrase: '[redacted]'");
    expect(r.redact('roost wallet unlock --password s3cret --verbose')).toBe(
      'roost wallet unlock --password [redacted] --verbose',
    );
    expect(r.redact('ROOST_API_TOKEN="tok en"')).toBe('ROOST_API_TOKEN="[redacted]"');
    expect(r.redact('credentials=abc secrets: xyz')).toBe(
      'credentials=[redacted] secrets: [redacted]',
    );
    expect(r.redact('{"user":"bob","password":"a\\"b","keystorePassword": "x"}')).toBe(
      '{"user":"bob","password":"[redacted]","keystorePassword": "[redacted]"}',
    );
    expect(r.redact('body={\\"password\\":\\"hunter2\\"}')).toBe(
      'body={\\"password\\":\\"[redacted]\\"}',
    );
    // Fields that only mention a secret word are kept.
    expect(
      r.redact('tokenAddress=0x5FbDB2315678afecb367f032d93F642f64180aa3 passwordSet=true'),
    ).toBe('tokenAddress=0x5FbDB2315678afecb367f032d93F642f64180aa3 passwordSet=true');
  });

  it('scrubs credentials and API keys in URLs', () => {
    expect(r.redact('rpc https://user:pa55@rpc.example.org/')).toBe(
      'rpc https://user:[redacted]@rpc.example.org/',
    );
    expect(r.redact('rpc https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161 down')).toBe(
      'rpc https://mainnet.infura.io/v3/[redacted] down',
    );
    expect(r.redact('wss://eth-mainnet.g.alchemy.com/v2/Ab3dEfGhIjKlMnOpQrStUv?x=1')).toBe(
      'wss://eth-mainnet.g.alchemy.com/v2/[redacted]?x=1',
    );
    const plain = 'https://github.com/openai/some-long-repository-name/releases';
    expect(r.redact(plain)).toBe(plain);
    // An account address in a path is public, and support needs to see whose upload it was.
    const upload =
      'PUT http://127.0.0.1:8545/uploads/0/0x70997970C51812dc3A010C7d01b50e0d17dc79C8/result.json';
    expect(r.redact(upload)).toBe(upload);
  });

  it('scrubs PEM keys and literal secrets it is told about', () => {
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----';
    expect(r.redact(`key:\n${pem}\nend`)).toBe('key:\n[redacted:private-key]\nend');
    const token = 'q3XfYc1n-mM2v8u9PqR7sT6wZ0aB4cD5eF_gH1iJ2kL';
    const withToken = createRedactor({ knownSecrets: () => [token, 'short'] });
    expect(withToken.redact(`started with ${token} ok short`)).toBe(
      'started with [redacted:secret] ok short',
    );
  });

  it('counts what it replaced', () => {
    expect(r.redactCounted(`${KEY} password=x ${PHRASE}`).counts).toEqual({
      'private-key': 1,
      'secret-field': 1,
      mnemonic: 1,
    });
  });

  it('redacts JSON values by field name and content', () => {
    expect(
      r.redactJson({
        network: { rpcUrl: 'https://u:p@rpc.example.org/v3/9aa3d95b3bc440fa88ea12eaa4456161' },
        wallet: { password: 'x', apiKey: 12345, hasPassword: true, seed: null },
        notes: [`${KEY}`],
      }),
    ).toEqual({
      network: { rpcUrl: 'https://u:[redacted]@rpc.example.org/v3/[redacted]' },
      wallet: { password: '[redacted]', apiKey: '[redacted]', hasPassword: true, seed: null },
      notes: ['[redacted:private-key]'],
    });
  });

  it('keeps what only sounds secret: a probe cache key, a token price, a generator seed, prose', () => {
    const cacheKey = 'cd'.repeat(32);
    const probe = { cached: true, cacheKey };
    expect(r.redactJsonCounted(probe)).toEqual({ value: probe, counts: {} });
    expect(r.redact(JSON.stringify(probe, null, 2))).toBe(JSON.stringify(probe, null, 2));
    expect(r.redact(`probe cache_key=${cacheKey}`)).toBe(`probe cache_key=${cacheKey}`);
    const pricing = { tokenValueInCurrency: 1.25, currency: 'EUR' };
    expect(r.redactJsonCounted(pricing)).toEqual({ value: pricing, counts: {} });
    expect(r.redact('tokenValueInCurrency=1.25')).toBe('tokenValueInCurrency=1.25');
    const suite = { generator: { seed: 1380929363, seedRows: 64 } };
    expect(r.redactJsonCounted(suite)).toEqual({ value: suite, counts: {} });
    const prose =
      'Token-by-token generation as in a language model; basic settings; digest algorithm';
    expect(r.redact(prose)).toBe(prose);
  });

  it('still scrubs a real secret in fields named like those', () => {
    // 32 bytes under a key-like name that does not say "hash" or "cache key".
    for (const name of ['key', 'signingKey', 'walletKey', 'keyCache', 'cache']) {
      expect(r.redactJson({ [name]: KEY }), name).toEqual({ [name]: '[redacted:private-key]' });
    }
    // A secret-named cache field is scrubbed by name before the hash label is asked.
    expect(r.redactJson({ cacheKeyPassword: 'hunter2' })).toEqual({
      cacheKeyPassword: '[redacted]',
    });
    // Token fields other than a price, and any seed that is not a plain number.
    expect(
      r.redactJson({
        token: 'abc123def456',
        tokenValue: 'abc123def456',
        apiToken: 42,
        tokenSecret: 'x1',
        seed: 'deadbeef',
        walletSeed: KEY,
        seedPhrase: 12,
      }),
    ).toEqual({
      token: '[redacted]',
      tokenValue: '[redacted]',
      apiToken: '[redacted]',
      tokenSecret: '[redacted]',
      seed: '[redacted]',
      walletSeed: '[redacted]',
      seedPhrase: '[redacted]',
    });
    expect(r.redact(`seed=${PHRASE}`)).toBe('seed=[redacted:mnemonic]');
    expect(r.redact('seed=1380929363')).toBe('seed=[redacted]');
    // A key in a price field is still a key, by its shape.
    expect(r.redactJson({ tokenValueInCurrency: KEY })).toEqual({
      tokenValueInCurrency: '[redacted:private-key]',
    });
    // Credentials after Token/Bearer are random, not words: still scrubbed.
    expect(r.redact('sent Token 9f8e7d6c5b4a')).toBe('sent Token [redacted]');
    expect(r.redact('Bearer AbCdEfGhIjKl')).toBe('Bearer [redacted]');
  });

  it("scrubs a notification webhook's URL by its field name, keeping an empty one", () => {
    const url = 'https://hooks.slack.com/services/T0001/B0002/abc';
    expect(
      r.redactJson({
        notifications: { webhookUrl: url, kinds: ['job-done'] },
        other: { webhookUrl: '' },
      }),
    ).toEqual({
      notifications: { webhookUrl: '[redacted]', kinds: ['job-done'] },
      other: { webhookUrl: '' },
    });
    expect(r.redact(`"webhookUrl": "${url}"`)).not.toContain('hooks.slack.com');
    expect(isSecretKey('webhook_url')).toBe(true);
    expect(isSecretKey('webhookKinds')).toBe(false);
  });

  it('knows secret field names', () => {
    for (const k of [
      'password',
      'accessToken',
      'X-Api-Key',
      'private_key',
      'sessionId',
      'mnemonic',
    ]) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of [
      'tokenAddress',
      'tokenSymbol',
      'tokens',
      'passwordSet',
      'user',
      'keystoreFile',
      'tokenValueInCurrency',
      'seedRows',
      'cacheKey',
    ]) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });
});
