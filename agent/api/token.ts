import { readFile } from 'node:fs/promises';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.ts';

export const TOKEN_FILE = 'api-token';
const tokenPattern = /^[A-Za-z0-9_-]{32,128}$/;

/**
 * The bearer token of `roost serve`: made at first start, kept in the data folder with mode 0600,
 * and reused after, so a bookmarked dashboard URL keeps working. A damaged file is replaced.
 */
export async function loadOrCreateToken(dataDir: string): Promise<string> {
  const file = join(dataDir, TOKEN_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (tokenPattern.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFileAtomic(file, token + '\n', 0o600);
  return token;
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (!presented) return false;
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
