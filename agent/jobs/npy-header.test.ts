import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readNpyHeader } from './npy-header.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/jobs/npy/', import.meta.url));

describe("the agent's .npy header reader", () => {
  it('leaves big-endian and other formats to the worker, and refuses what no one can take', () => {
    const be = new Uint8Array(readFileSync(join(FIXTURES, 'bigendian_f4.npy')));
    expect(readNpyHeader(be).kind).toBe('unknown');
    const v2 = new Uint8Array(readFileSync(join(FIXTURES, 'v2_f32.npy')));
    expect(readNpyHeader(v2).kind).toBe('unknown');
    const text = new Uint8Array(readFileSync(join(FIXTURES, 'unicode.npy')));
    expect(readNpyHeader(text).kind).toBe('invalid');
    expect(readNpyHeader(new TextEncoder().encode('not a tensor')).kind).toBe('invalid');
  });
});
