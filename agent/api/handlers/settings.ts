import type { Handlers } from '../router.ts';
import type { EventBus } from '../../events.ts';
import type { Logger } from '../../log.ts';
import type { SettingsStore } from '../../store/settings-store.ts';

function describePatch(patch: Record<string, unknown>): string {
  const keys: string[] = [];
  for (const [section, fields] of Object.entries(patch)) {
    if (fields && typeof fields === 'object')
      for (const key of Object.keys(fields)) keys.push(`${section}.${key}`);
  }
  return keys.join(', ') || 'nothing';
}

export function settingsHandlers(deps: {
  settings: SettingsStore;
  events: EventBus;
  log: Logger;
  /** Runs after a change is saved (the work policy re-decides at once). */
  afterChange?: () => void;
}): Pick<Handlers, 'settings.get' | 'settings.update'> {
  return {
    'settings.get': () => deps.settings.get(),
    'settings.update': async (patch) => {
      const saved = await deps.settings.update(patch);
      deps.log.info(`settings changed: ${describePatch(patch)}`);
      deps.events.emit('settings.changed', saved);
      deps.afterChange?.();
      return saved;
    },
  };
}
