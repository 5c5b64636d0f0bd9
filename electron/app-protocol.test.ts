import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { downloadTicketOf, resolveAppFile } from './app-protocol.ts';

describe('resolveAppFile', () => {
  const root = '/opt/roost/renderer';
  it('maps app URLs to files of the build', () => {
    expect(resolveAppFile(root, 'roost://app/')).toEqual({
      file: join(root, 'index.html'),
      type: 'text/html; charset=utf-8',
    });
    expect(resolveAppFile(root, 'roost://app/assets/index-1.js')?.file).toBe(
      join(root, 'assets/index-1.js'),
    );
  });

  it('refuses anything outside the build or the app origin', () => {
    // Dot segments are resolved by URL parsing itself: they can only land inside the build.
    for (const url of ['roost://app/../secrets.txt', 'roost://app/%2e%2e/%2e%2e/etc/passwd']) {
      const target = resolveAppFile(root, url);
      if (target) expect(target.file.startsWith(root + '/'), url).toBe(true);
    }
    for (const url of [
      'roost://app/..%2f..%2fetc/passwd',
      'roost://app/%E0%A4%A',
      'roost://other/index.html',
      'file:///etc/passwd',
      'nonsense',
    ]) {
      expect(resolveAppFile(root, url), url).toBeUndefined();
    }
  });
});

describe('downloadTicketOf', () => {
  const ticket = 'A'.repeat(21) + '_-' + 'z'.repeat(20);
  it('reads the ticket of a download link on the app origin', () => {
    expect(downloadTicketOf(`roost://app/download/${ticket}`)).toBe(ticket);
  });

  it('ignores anything else: another origin, another path, a malformed ticket', () => {
    for (const url of [
      `roost://other/download/${ticket}`,
      `https://app/download/${ticket}`,
      `roost://app/downloads/${ticket}`,
      `roost://app/download/${ticket}/x`,
      'roost://app/download/short',
      `roost://app/download/${ticket.slice(1)}%2F`,
      'not a url',
    ])
      expect(downloadTicketOf(url), url).toBeUndefined();
  });
});
