/**
 * Receives what an upload link lets through (upload-links.ts): the bytes go to a `.part` file
 * beside their place, hashed as they come, and only a file of exactly the declared size is
 * synced and renamed into place. Anything else (too many bytes, too few, the page gone midway)
 * leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { UploadRefused, type UploadTarget } from './upload-links.ts';

export interface UploadedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export async function receiveUpload(
  body: AsyncIterable<Uint8Array>,
  target: UploadTarget,
): Promise<UploadedFile> {
  const partial = `${target.path}.part`;
  const hash = createHash('sha256');
  let received = 0;
  const file = await open(partial, 'wx', 0o600);
  try {
    try {
      for await (const chunk of body) {
        received += chunk.byteLength;
        if (received > target.bytes)
          throw new UploadRefused(
            'TOO_LARGE',
            `${target.name} is bigger than the ${target.bytes} bytes the page said it was; choose it again.`,
          );
        hash.update(chunk);
        await file.write(chunk);
      }
      if (received < target.bytes)
        throw new UploadRefused(
          'INVALID_PARAMS',
          `${target.name} came in short: ${received} of ${target.bytes} bytes; choose it again.`,
        );
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(partial, target.path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { path: target.path, bytes: received, sha256: hash.digest('hex') };
}
