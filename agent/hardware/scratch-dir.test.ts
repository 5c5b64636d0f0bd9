import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { withScratchDir } from './scratch-dir.ts';

const run = promisify(execFile);

describe('withScratchDir', () => {
  it('gives the child a temp folder of its own and removes it with what the child left', async () => {
    let seen = '';
    const out = await withScratchDir(
      'roost-scratch-test-',
      { PATH: process.env.PATH },
      async (env, dir) => {
        seen = dir;
        expect(env.TMPDIR).toBe(dir);
        // A child that leaves a file in its temp folder, as onnxruntime does.
        const { stdout } = await run(
          process.execPath,
          [
            '-e',
            "const o=require('os'),f=require('fs'),p=require('path');f.writeFileSync(p.join(o.tmpdir(),'mat-debug-1.log'),'');console.log(o.tmpdir())",
          ],
          { env },
        );
        expect(readdirSync(dir)).toEqual(['mat-debug-1.log']);
        return stdout.trim();
      },
    );
    expect(out).toBe(seen);
    expect(existsSync(seen)).toBe(false);
  });

  it('removes the folder when the work fails, and passes the failure on', async () => {
    let seen = '';
    await expect(
      withScratchDir('roost-scratch-test-', {}, (_env, dir) => {
        seen = dir;
        return Promise.reject(new Error('the child was killed'));
      }),
    ).rejects.toThrow('the child was killed');
    expect(seen).not.toBe('');
    expect(existsSync(seen)).toBe(false);
  });
});
