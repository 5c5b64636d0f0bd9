import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from './shell-quote.ts';

/** What sh makes of the quoted word: the argument it hands a command. */
const shellReads = (quoted: string) =>
  execFileSync('sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' });

describe('shellQuote', () => {
  it.each([
    ['/srv/plain', "'/srv/plain'"],
    ['/srv/Roost data', "'/srv/Roost data'"],
    ["/srv/it's", "'/srv/it'\\''s'"],
    ['/srv/"quoted"', `'/srv/"quoted"'`],
    ['/srv/$HOME/100%', "'/srv/$HOME/100%'"],
  ])('quotes %s as %s', (path, quoted) => {
    expect(shellQuote(path)).toBe(quoted);
  });

  // A POSIX sh reads it back; Windows has none to ask.
  it.skipIf(process.platform === 'win32')(
    'hands a shell back the path as it is: spaces, quotes, $, %, backslashes and all',
    () => {
      for (const path of [
        '/srv/Roost data',
        "/srv/it's 'ours'",
        '/srv/"quoted"',
        '/srv/$HOME $(id) `id`',
        '/srv/100% %s',
        '/srv/a\\b*',
      ])
        expect(shellReads(shellQuote(path))).toBe(path);
    },
  );
});
