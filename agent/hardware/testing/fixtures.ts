/**
 * Test helpers: where the real GPU tool outputs live, and a reader for prometheus' `ttar` text
 * archives (the procfs sysfs dump) so tests can build a fake /sys tree from it.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** ../shared/fixtures/gpu-tools, or ROOST_GPU_FIXTURES when set. */
export const fixturesDir =
  process.env.ROOST_GPU_FIXTURES ??
  join(here, '..', '..', '..', '..', 'shared', 'fixtures', 'gpu-tools');

export function fixture(relative: string): string {
  return readFileSync(join(fixturesDir, relative), 'utf8');
}

export function fixtureFiles(folder: string): string[] {
  return readdirSync(join(fixturesDir, folder))
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => join(folder, name));
}

/**
 * Unpack a ttar archive into `target`. Records are `Directory:`, or `Path:` followed by
 * `Lines: N` and N lines (NULLBYTE for \0, EOF marking a missing final newline) or `SymlinkTo:`.
 */
export function extractTtar(archive: string, target: string): void {
  const lines = archive.split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.startsWith('Directory: ')) {
      mkdirSync(join(target, line.slice('Directory: '.length)), { recursive: true });
      i++;
    } else if (line.startsWith('Path: ')) {
      const path = join(target, line.slice('Path: '.length));
      mkdirSync(dirname(path), { recursive: true });
      const next = lines[i + 1] ?? '';
      if (next.startsWith('SymlinkTo: ')) {
        symlinkSync(next.slice('SymlinkTo: '.length), path);
        i += 2;
      } else if (next.startsWith('Lines: ')) {
        const count = Number(next.slice('Lines: '.length));
        const body = lines.slice(i + 2, i + 2 + count);
        let content = body.join('\n');
        if (content.endsWith('EOF')) content = content.slice(0, -3);
        else if (count > 0) content += '\n';
        writeFileSync(path, content.replaceAll('NULLBYTE', '\0'));
        i += 2 + count;
      } else {
        throw new Error(`ttar: unexpected line after Path at ${i + 2}: ${next}`);
      }
    } else {
      i++;
    }
  }
}

const telemetryAliases: Record<string, string[]> = {
  'clocks.sm': ['clocks.sm', 'clocks.current.sm'],
  'clocks.mem': ['clocks.mem', 'clocks.current.memory'],
};

/**
 * Turn a captured `--format=csv` table (with header and units) into the `noheader,nounits` lines
 * nvidia-smi would print for `fields`: the values are the capture's, units stripped. A field the
 * capture lacks is printed as `[N/A]`; a missing bus id is made up from the row index.
 */
export function replayLines(capturedCsv: string, fields: readonly string[]): string[] {
  const [head, ...rows] = capturedCsv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (head ?? '').split(',').map((c) => c.trim().replace(/\s*\[[^\]]*\]$/, ''));
  return rows.map((row, rowIndex) => {
    const cells = row.split(',').map((c) => c.trim());
    return fields
      .map((field) => {
        const names = telemetryAliases[field] ?? [field];
        const col = header.findIndex((h) => names.includes(h));
        if (col < 0) {
          if (field === 'pci.bus_id')
            return `00000000:${(rowIndex + 1).toString(16).padStart(2, '0')}:00.0`;
          if (field === 'index') return String(rowIndex);
          return '[N/A]';
        }
        const value = cells[col] ?? '[N/A]';
        return value.startsWith('[') ? value : value.replace(/\s*(MiB|MHz|W|%|C)$/, '');
      })
      .join(', ');
  });
}
