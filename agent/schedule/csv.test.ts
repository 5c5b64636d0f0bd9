import { describe, expect, it } from 'vitest';
import { csvField, earningsCsv, payoutsCsv, toCsv } from './csv.ts';
import type { EarningsChart, PayoutRecord } from './schema.ts';

/** A strict RFC 4180 reader, to read our output back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else if (c === '\n' || c === '\r') throw new Error(`bare line break at ${i}`);
    else field += c;
    i += 1;
  }
  if (field !== '' || row.length > 0) throw new Error('last line has no CRLF');
  return rows;
}

describe('CSV', () => {
  it('quotes commas, quotes and line breaks, and defuses formulas in text', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('-1')).toBe("'-1");
    expect(csvField({ raw: '-1.50' })).toBe('-1.50');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
    expect(() => toCsv(['a', 'b'], [['1']])).toThrow(/row 1 has 1 fields/);
  });

  it('writes payouts with a header, ISO dates and exact amounts, oldest first', () => {
    const records: PayoutRecord[] = [
      {
        id: 'tx2:1',
        at: '2025-06-05T01:00:00+02:00',
        kind: 'withdrawn',
        amount: '10.000001',
        token: 'USDC',
        jobId: null,
        gpuId: null,
        txHash: `0x${'cd'.repeat(32)}`,
        blockNumber: 1234,
      },
      {
        id: 'tx1:0',
        at: '2025-06-04T10:00:00Z',
        kind: 'earned',
        amount: '0.1',
        token: 'USDC',
        jobId: 'job, "quoted"',
        gpuId: 'pci-0000:01:00.0',
        txHash: null,
        blockNumber: null,
      },
      {
        id: 'tx1:1',
        at: '2025-06-04T10:00:00Z',
        kind: 'earned',
        amount: '0.2',
        token: 'USDC',
        jobId: '8',
        gpuId: 'pci-0000:01:00.0',
        txHash: null,
        blockNumber: null,
      },
    ];
    const csv = payoutsCsv(records, {
      currency: 'EUR',
      tokenValueInCurrency: 0.9,
      network: 'custom (chain 8453)',
    });
    expect(csv.split('\r\n')[0]).toBe(
      'date,kind,amount,token,network,value,currency,job_id,gpu_id,tx_hash,block_number,record_id',
    );
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual([
      '2025-06-04T10:00:00.000Z',
      'earned',
      '0.1',
      'USDC',
      'custom (chain 8453)',
      '0.09',
      'EUR',
      'job, "quoted"',
      'pci-0000:01:00.0',
      '',
      '',
      'tx1:0',
    ]);
    expect(rows[2]?.[2]).toBe('0.2');
    expect(rows[3]).toEqual([
      '2025-06-04T23:00:00.000Z',
      'withdrawn',
      '10.000001',
      'USDC',
      'custom (chain 8453)',
      '9.00',
      'EUR',
      '',
      '',
      `0x${'cd'.repeat(32)}`,
      '1234',
      'tx2:1',
    ]);
    expect(payoutsCsv([], {})).toBe(
      'date,kind,amount,token,network,value,currency,job_id,gpu_id,tx_hash,block_number,record_id\r\n',
    );
    const noRate = parseCsv(payoutsCsv(records.slice(1, 2)));
    expect(noRate[1]?.slice(4, 7)).toEqual(['', '', '']);
  });

  it('names a test network and gives its test tokens no value in a currency', () => {
    const test: PayoutRecord = {
      id: 'tx1:0',
      at: '2025-06-04T10:00:00Z',
      kind: 'earned',
      amount: '2.97',
      token: 'rUSD',
      jobId: '1',
      gpuId: null,
      txHash: null,
      blockNumber: null,
    };
    const rows = parseCsv(
      payoutsCsv([test], {
        currency: 'EUR',
        tokenValueInCurrency: 1,
        network: 'local',
        testNetwork: true,
      }),
    );
    expect(rows[1]?.slice(2, 7)).toEqual([
      '2.97',
      'rUSD',
      'local (test tokens without value)',
      '',
      '',
    ]);
  });

  it('refuses an amount that is not a decimal', () => {
    const bad = {
      id: 'x',
      at: '2025-06-04T10:00:00Z',
      kind: 'earned',
      amount: '1e3',
      token: 'USDC',
      jobId: null,
      gpuId: null,
      txHash: null,
      blockNumber: null,
    } satisfies PayoutRecord;
    expect(() => payoutsCsv([bad])).toThrow(/not a decimal amount/);
  });

  it('writes an earnings chart, one row per bucket', () => {
    const chart: EarningsChart = {
      range: '24h',
      token: 'USDC',
      currency: 'EUR',
      gpuId: null,
      buckets: [
        {
          start: '2025-06-04T08:00:00.000Z',
          end: '2025-06-04T09:00:00.000Z',
          label: '10:00',
          predicted: '0.300000',
          actual: '0.000000',
          electricity: '0.037500',
          net: '-0.037500',
        },
      ],
      totals: { predicted: '0.3', actual: '0', electricity: '0.0375', net: '-0.0375' },
    };
    expect(earningsCsv(chart)).toBe(
      'start,end,label,predicted,actual,token,electricity,net,currency\r\n' +
        '2025-06-04T08:00:00.000Z,2025-06-04T09:00:00.000Z,10:00,0.300000,0.000000,USDC,0.037500,-0.037500,EUR\r\n',
    );
  });
});
