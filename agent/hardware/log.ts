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
