import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REASON_MAX_BYTES, cleanReason, fetchReasonText, whyCannotRule } from './arbitration.ts';

const MARKET = '0x' + 'a'.repeat(40);
const REQUESTER = '0x' + '1'.repeat(40);
const PROVIDER = '0x' + '2'.repeat(40);
const ARBITER = '0x' + '3'.repeat(40);
const UNTIL = '2026-11-28T09:30:00.000Z';

describe('whyCannotRule', () => {
  const job = { requester: REQUESTER };
  const lease = { provider: PROVIDER };
  const why = (address: string | null, isArbiter: boolean) =>
    whyCannotRule(address, isArbiter, '7', job, lease, MARKET, UNTIL);

  it('lets an arbiter that is no party rule', () => {
    expect(why(ARBITER, true)).toBeNull();
    expect(why(ARBITER.toUpperCase().replace('0X', '0x'), true)).toBeNull();
  });

  it('refuses the requester and the provider, even holding the role, and says what happens instead', () => {
    const asRequester = why(REQUESTER.toUpperCase().replace('0X', '0x'), true);
    expect(asRequester).toContain('posted job 7, and the market lets no party rule');
    expect(asRequester).toContain(
      'after 2026-11-28 09:30 UTC the dispute ends unruled: the reward goes back to the requester and the provider keeps its collateral',
    );
    expect(why(PROVIDER, true)).toContain('holds this lease, and the market lets no party rule');
  });

  it('refuses a wallet without the role, and a data folder without a wallet', () => {
    expect(why(ARBITER, false)).toBe(
      `This wallet (${ARBITER}) is not the arbiter of market ${MARKET}: only a wallet holding its arbiter role may rule (the wallet that deployed it, unless its admin granted the role to another).`,
    );
    expect(why(null, true)).toContain('There is no wallet in this data folder');
  });
});

describe('cleanReason', () => {
  it('drops escapes, control and direction characters, keeping lines and tabs', () => {
    expect(cleanReason('\u001b[31mred\u001b[0m\tok\r\nnext \u202eevil\u2066 \u0007')).toBe(
      '[31mred[0m\tok\nnext evil',
    );
  });
});

describe('fetchReasonText', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/long.txt') res.end('x'.repeat(REASON_MAX_BYTES * 3));
      else if (req.url === '/moved') {
        res.writeHead(302, { location: '/long.txt' });
        res.end();
      } else if (req.url === '/ok.txt') res.end('Disputed: output y is all zeros\n');
      else {
        res.statusCode = 404;
        res.end('no');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('reads the text', async () => {
    expect(await fetchReasonText(`${base}/ok.txt`)).toBe('Disputed: output y is all zeros');
  });

  it('cuts a long reason at 4 KB and says so', async () => {
    const text = await fetchReasonText(`${base}/long.txt`);
    expect(text).toBe('x'.repeat(REASON_MAX_BYTES) + '…');
  });

  it('says why it could not read one', async () => {
    await expect(fetchReasonText(`${base}/missing.txt`)).rejects.toThrow(
      "the requester's server answered 404",
    );
    await expect(fetchReasonText(`${base}/moved`)).rejects.toThrow(
      "the requester's server sent it on to another address, which is not followed",
    );
    // A port nothing listens on any more.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchReasonText(`http://127.0.0.1:${port}/why.txt`)).rejects.toThrow(
      `the requester's server did not answer (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    await expect(fetchReasonText('file:///etc/passwd')).rejects.toThrow(
      'it is a file: address, not http(s)',
    );
    await expect(fetchReasonText('ipfs is where it is')).rejects.toThrow('not a web address');
  });
});
