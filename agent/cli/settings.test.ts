import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../api/contract.ts';
import { formatSettings, parseSettingValue } from './settings.ts';

describe('roost settings get', () => {
  it('keeps values and descriptions in columns, whatever the length of a key or value', () => {
    const lines = formatSettings(defaultSettings).split('\n');
    const row = (key: string) => lines.find((line) => line.startsWith(`${key} `))!;
    // The longest key still has a space before its value, in the same column as the others'.
    const valueAt = (key: string) => row(key).search(/ \S/) + 1;
    expect(valueAt('accelerators.allowSoftwareAdapters')).toBe(valueAt('work.idleMinutes'));
    expect(valueAt('pricing.electricityPricePerKwh')).toBe(valueAt('work.idleMinutes'));
    // A long value (a list of programs) puts its description on the next line, in the column.
    const idle = row('work.idleMinutes');
    const aboutAt = idle.indexOf('Idle minutes before work starts');
    const games = lines.indexOf(row('work.gameProcesses'));
    expect(lines[games + 1]!.indexOf('Programs that pause every GPU')).toBe(aboutAt);
    expect(lines[games + 1]!.slice(0, aboutAt).trim()).toBe('');
  });
});

describe('roost settings set notifications.webhookUrl', () => {
  it('takes a URL as it is, and none (or nothing) for no webhook', () => {
    const url = 'https://discord.com/api/webhooks/123/abc';
    expect(parseSettingValue('notifications', 'webhookUrl', url)).toBe(url);
    expect(parseSettingValue('notifications', 'webhookUrl', 'none')).toBe('');
    expect(parseSettingValue('notifications', 'webhookUrl', '')).toBe('');
    expect(parseSettingValue('notifications', 'kinds', 'job-done, payment')).toEqual([
      'job-done',
      'payment',
    ]);
    // Shown as none when there is none.
    const row = formatSettings(defaultSettings)
      .split('\n')
      .find((line) => line.startsWith('notifications.webhookUrl '));
    expect(row).toMatch(/^notifications\.webhookUrl +none +Discord, Slack or any service/);
  });
});
