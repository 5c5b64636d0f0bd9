import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REASON_MAX_BYTES, cleanReason, fetchReasonText } from './dispute-reason.ts';

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
