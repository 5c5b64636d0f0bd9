/**
 * Which OpenBLAS kernel numpy's sgemm really runs. OpenBLAS picks its kernel from the CPU model
 * (DYNAMIC_ARCH); an OpenBLAS older than the CPU does not know the model and falls back to an old
 * SSE3 kernel ("Prescott"), about 4x slower on an AVX-512 machine. Debian bookworm's 0.3.21 does
 * that on Sapphire Rapids VMs. A baseline run on that kernel would flatter Roost, so bench:gemm
 * asks OpenBLAS which kernel it chose and, where it fell back, names the best kernel the CPU's
 * flags allow (OPENBLAS_CORETYPE) and says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** OpenBLAS x86-64 kernels, oldest first; each needs the flags listed. */
const KERNELS: { core: string; needs: string[] }[] = [
  { core: 'Prescott', needs: ['pni'] },
  { core: 'Nehalem', needs: ['sse4_2'] },
  { core: 'Sandybridge', needs: ['avx'] },
  { core: 'Haswell', needs: ['avx2', 'fma'] },
  { core: 'SkylakeX', needs: ['avx512f', 'avx512vl', 'avx512bw', 'avx512dq'] },
  { core: 'Cooperlake', needs: ['avx512f', 'avx512vl', 'avx512bw', 'avx512dq', 'avx512_bf16'] },
];

/** The newest kernel whose flags this CPU has, or undefined where none (not x86-64). */
export function bestKernel(flags: ReadonlySet<string>): string | undefined {
  return KERNELS.filter((k) => k.needs.every((f) => flags.has(f))).at(-1)?.core;
}

/** Whether `chosen` is older than `best` in the list above (unknown names count as not older). */
export function isOlderKernel(chosen: string, best: string): boolean {
  const rank = (core: string) =>
    KERNELS.findIndex((k) => k.core.toLowerCase() === core.toLowerCase());
  const a = rank(chosen);
  const b = rank(best);
  return a >= 0 && b >= 0 && a < b;
}

/** The "Core: X" line OPENBLAS_VERBOSE=2 prints, or undefined. */
export function parseVerboseCore(stderrAndStdout: string): string | undefined {
  return /^Core: (\S+)/m.exec(stderrAndStdout)?.[1];
}

/** The CPU flags of /proc/cpuinfo's first processor (empty off Linux). */
export function cpuFlags(): Set<string> {
  if (!existsSync('/proc/cpuinfo')) return new Set();
  const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  return new Set(line.trim().split(/\s+/));
}

export type BlasChoice = {
  /** The kernel OpenBLAS picks by itself, where numpy uses OpenBLAS. */
  chosen?: string;
  /** OPENBLAS_CORETYPE to run numpy with, where the chosen kernel is older than the CPU allows. */
  override?: string;
};

/** Ask numpy's OpenBLAS which kernel it picks, and whether a better one should be forced. */
export function blasChoice(python: string, env: NodeJS.ProcessEnv = process.env): BlasChoice {
  if (env.OPENBLAS_CORETYPE) return { chosen: env.OPENBLAS_CORETYPE };
  const r = spawnSync(
    python,
    ['-c', 'import numpy as np; np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)'],
    {
      encoding: 'utf8',
      env: { ...env, OPENBLAS_VERBOSE: '2' },
    },
  );
  const chosen = parseVerboseCore(`${r.stdout}\n${r.stderr}`);
  if (!chosen) return {};
  const best = bestKernel(cpuFlags());
  return best && isOlderKernel(chosen, best) ? { chosen, override: best } : { chosen };
}
