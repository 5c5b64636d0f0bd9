import { describe, expect, it } from 'vitest';
import { canonicalDigest, canonicalJson } from './canonical.ts';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, drops whitespace and undefined', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: undefined } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"z":1}}',
    );
    // "\u20ac" (€) sorts after "\r" and the digits; code-unit order, not locale order.
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3, é: 4 })).toBe(
      '{"\\r":2,"1":3,"é":4,"€":1}',
    );
  });

  it('writes numbers as ECMAScript does (the RFC 8785 test vectors)', () => {
    expect(canonicalJson([333333333.3333333, 1e30, 4.5, 0.002, 1e-27, -0, 1e21])).toBe(
      '[333333333.3333333,1e+30,4.5,0.002,1e-27,0,1e+21]',
    );
    expect(() => canonicalJson({ x: NaN })).toThrow(/NaN/);
  });

  it('digests the same value the same way whatever the key order', () => {
    expect(canonicalDigest({ a: 1, b: 2 })).toBe(canonicalDigest({ b: 2, a: 1 }));
    expect(canonicalDigest({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
