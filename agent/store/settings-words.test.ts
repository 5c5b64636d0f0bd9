import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../api/contract.ts';
import { describeSettingsChange } from './settings-words.ts';

describe('a settings change in words', () => {
  const saved = {
    ...defaultSettings,
    pricing: { ...defaultSettings.pricing, pricePerUnitHour: 2, currency: 'EUR' },
    work: { ...defaultSettings.work, mode: 'manual' as const, maxTemperatureC: 80 },
    market: { ...defaultSettings.market, enabled: true, autoWithdrawAbove: null },
    accelerators: { ...defaultSettings.accelerators, disabled: ['webgpu' as const] },
  };

  it('says what changed with the Settings page labels and the value, not the setting key', () => {
    expect(
      describeSettingsChange({ pricing: { pricePerUnitHour: 2 } }, saved, { tokenSymbol: 'rUSD' }),
    ).toBe('price changed to 2 rUSD per unit-hour');
    // Before the market is read the token has no symbol yet.
    expect(describeSettingsChange({ pricing: { pricePerUnitHour: 2 } }, saved)).toBe(
      'price changed to 2 tokens per unit-hour',
    );
    expect(
      describeSettingsChange(
        { work: { mode: 'manual', maxTemperatureC: 80 }, market: { enabled: true } },
        saved,
      ),
    ).toBe(
      'take work changed to “Only when I start it”; temperature ceiling changed to 80 °C; take market jobs changed to on',
    );
    expect(
      describeSettingsChange(
        { market: { autoWithdrawAbove: null }, accelerators: { disabled: ['webgpu'] } },
        saved,
      ),
    ).toBe(
      'withdraw automatically above changed to never (only when you withdraw); never use changed to WebGPU',
    );
  });

  it('never says the notification webhook URL (it holds a token): set or removed', () => {
    const url = 'https://discord.com/api/webhooks/123/abcdefghijklmnop';
    const withUrl = {
      ...saved,
      notifications: { ...defaultSettings.notifications, webhookUrl: url },
    };
    const line = describeSettingsChange({ notifications: { webhookUrl: url } }, withUrl);
    expect(line).toBe('notification webhook set');
    expect(line).not.toContain('discord');
    expect(describeSettingsChange({ notifications: { webhookUrl: '' } }, saved)).toBe(
      'notification webhook removed',
    );
    expect(
      describeSettingsChange(
        { notifications: { kinds: ['job-done', 'needs-you'] } },
        {
          ...saved,
          notifications: { ...saved.notifications, kinds: ['job-done', 'needs-you'] },
        },
      ),
    ).toBe('notifications sent changed to jobs finished, when Roost needs you');
    expect(
      describeSettingsChange(
        { notifications: { shown: ['job-failed'] } },
        { ...saved, notifications: { ...saved.notifications, shown: ['job-failed'] } },
      ),
    ).toBe('notifications shown changed to jobs failed');
  });

  it('keeps the key of a setting it has no words for, so no change goes unlogged', () => {
    expect(
      describeSettingsChange({ future: { knob: 3 } }, { ...saved, future: { knob: 3 } } as never),
    ).toBe('future.knob changed to 3');
  });
});

describe('a settings change against what was there', () => {
  it('names only the settings whose value changed', () => {
    const before = defaultSettings;
    const saved = {
      ...before,
      work: { ...before.work, maxTemperatureC: 80 },
    };
    expect(
      describeSettingsChange(
        { work: { maxTemperatureC: 80, idleMinutes: before.work.idleMinutes } },
        saved,
        { before },
      ),
    ).toBe('temperature ceiling changed to 80 °C');
    expect(describeSettingsChange({ notifications: { webhookUrl: '' } }, before, { before })).toBe(
      'no settings changed',
    );
  });
});
