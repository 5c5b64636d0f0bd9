/**
 * A stand-in for Electron's `utilityProcess.fork` on plain Node, for integration tests where
 * the Electron binary can't run: the module runs in a real child process (the project's Node 24)
 * with `process.parentPort` (parent-port-shim.ts), its stdout and stderr piped, and the
 * UtilityProcess events the desktop shell listens to (`spawn`, `message`, `exit`).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ForkUtility, UtilityChild } from '../../electron/utility-process.ts';

const SHIM = fileURLToPath(new URL('./parent-port-shim.ts', import.meta.url));

export interface UtilityStandIn {
  fork: ForkUtility;
  /** Every child started, for tests that check what was left running. */
  children: ChildProcess[];
  /** What each fork was asked to run. */
  modules: string[];
}

export function utilityStandIn(nodePath: string): UtilityStandIn {
  const children: ChildProcess[] = [];
  const modules: string[] = [];
  const start: ForkUtility = (modulePath, args, options) => {
    modules.push(modulePath);
    const child = fork(SHIM, [modulePath, ...args], {
      execPath: nodePath,
      execArgv: [],
      env: options.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    children.push(child);
    const events = new EventEmitter();
    child.on('spawn', () => events.emit('spawn'));
    child.on('message', (message) => events.emit('message', message));
    child.on('exit', (code, signal) =>
      events.emit('exit', code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
    );
    const utility: UtilityChild = {
      get pid() {
        return child.pid;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage: (message) => {
        if (child.connected) child.send(message as never);
      },
      kill: () => child.kill('SIGTERM'),
      on: (event: string, listener: (...args: never[]) => void) =>
        events.on(event, listener as (...args: unknown[]) => void),
    };
    return utility;
  };
  return { fork: start, children, modules };
}
