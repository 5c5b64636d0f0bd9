import { open, rename, rm, mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';

/**
 * Writes a file so that a reader (or a crash, or kill -9) sees either the old contents or the
 * new, never half of either: a temp file beside it, fsync, rename over, fsync the folder.
 */
export async function writeFileAtomic(
  file: string,
  contents: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(contents);
    await handle.chmod(mode); // the umask may have narrowed or the platform ignored the open mode
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // folders can't be opened for fsync there
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
