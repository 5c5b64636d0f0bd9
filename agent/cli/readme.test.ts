import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../cli.ts';

/**
 * The names of `roost` commands that a text never mentions as `roost <name>`: followed by
 * anything but a letter, a digit or a dash, so `roost job` is not found in `roost jobs`.
 */
function unmentioned(text: string, names: readonly string[]): string[] {
  return names.filter((name) => {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return !new RegExp(`\\broost ${escaped}(?![\\w-])`).test(text);
  });
}

describe('README.md', () => {
  it('finds a command only when it is mentioned as roost <name>', () => {
    expect(
      unmentioned('`roost job run` and `roost market jobs`; Roost work', ['job', 'jobs', 'work']),
    ).toEqual(['jobs', 'work']);
  });

  it('mentions every roost command', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = unmentioned(readme, Object.keys(commands));
    expect(
      missing,
      `README.md never mentions ${missing.map((name) => `\`roost ${name}\``).join(', ')}: say what each does (the table under "The \`roost\` command")`,
    ).toEqual([]);
  });
});
