/**
 * Checklist items with no runtime behaviour to exercise (docs/electron-security.md): 15, no
 * `shell.openExternal`; 16, a current, pinned Electron.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));

describe("Electron's security checklist, items 15 and 16", () => {
  it('the shell never opens external URLs', () => {
    const sources = readdirSync(join(root, 'electron')).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    expect(sources).toContain('main.ts');
    for (const file of sources)
      expect(readFileSync(join(root, 'electron', file), 'utf8'), file).not.toMatch(/openExternal/);
  });

  it('pins a current Electron, exactly', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const version = pkg.devDependencies.electron ?? '';
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(45);
  });
});
