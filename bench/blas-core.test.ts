import { describe, expect, it } from 'vitest';
import { bestKernel, isOlderKernel, parseVerboseCore } from './blas-core.ts';

describe('OpenBLAS kernel choice for the bench:gemm baseline', () => {
  it('picks the newest kernel the CPU flags allow', () => {
    const spr = new Set([
      'pni',
      'sse4_2',
      'avx',
      'avx2',
      'fma',
      'avx512f',
      'avx512vl',
      'avx512bw',
      'avx512dq',
      'avx512_bf16',
    ]);
    expect(bestKernel(spr)).toBe('Cooperlake');
    spr.delete('avx512_bf16');
    expect(bestKernel(spr)).toBe('SkylakeX');
    expect(bestKernel(new Set(['pni', 'sse4_2', 'avx', 'avx2', 'fma']))).toBe('Haswell');
    expect(bestKernel(new Set(['avx2']))).toBeUndefined();
    expect(bestKernel(new Set(['neon']))).toBeUndefined();
  });

  it('calls a fallback kernel older than the CPU, and only that', () => {
    expect(isOlderKernel('Prescott', 'Cooperlake')).toBe(true);
    expect(isOlderKernel('prescott', 'Haswell')).toBe(true);
    expect(isOlderKernel('Cooperlake', 'Cooperlake')).toBe(false);
    expect(isOlderKernel('SkylakeX', 'Haswell')).toBe(false);
    expect(isOlderKernel('Zen', 'Haswell')).toBe(false);
  });

  it('reads the kernel from OPENBLAS_VERBOSE=2 output', () => {
    expect(parseVerboseCore('Core: Prescott\n')).toBe('Prescott');
    expect(parseVerboseCore('Core not found: SapphireRapids\nCore: Cooperlake\n')).toBe(
      'Cooperlake',
    );
    expect(parseVerboseCore('nothing here')).toBeUndefined();
  });
});
