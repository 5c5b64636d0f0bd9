/**
 * The logger the hardware code writes to. The agent's `Logger` (agent/log.ts) fits this shape:
 * pass `logger.child('hardware')` and its lines carry `[hardware]`. The default writes
 * `[hardware] ...` lines to stderr.
 */
export interface HardwareLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrHardwareLog: HardwareLog = {
  debug: () => undefined,
  info: (m) => process.stderr.write(`[hardware] ${m}\n`),
  warn: (m) => process.stderr.write(`[hardware] warning: ${m}\n`),
  error: (m) => process.stderr.write(`[hardware] error: ${m}\n`),
};

export const silentHardwareLog: HardwareLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * What the hardware code last logged about each recurring state (the GPU list, the tool
 * problems, the accelerators). The agent asks for these every 30 s or so; logging each answer
 * at info filled the activity log with "no GPU found" and pushed job and payment events out of
 * the Dashboard. A state is logged at its level when it is first found or changes, and at debug
 * level when it repeats. The hardware service keeps one for its life; a one-off call without one
 * logs everything at its level.
 */
export interface LoggedStates {
  /** True when `state` differs from what was last recorded under `key` (and records it). */
  changed(key: string, state: string): boolean;
}

export function createLoggedStates(): LoggedStates {
  const last = new Map<string, string>();
  return {
    changed(key, state) {
      if (last.get(key) === state) return false;
      last.set(key, state);
      return true;
    },
  };
}
