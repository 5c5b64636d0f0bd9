/**
 * How the devnet's node process starts: an injected starter that runs one Node module with
 * arguments, a working folder and an environment, and reports its output lines, its exit and a
 * kill. From a checkout and under `roost serve` it is a `child_process` of a Node binary
 * (`spawnNodeModule`); the installed desktop app passes one built on Electron's utilityProcess
 * (electron/utility-helpers.ts), since its binary cannot run as plain Node (RunAsNode fuse off).
 */
import { spawn } from 'node:child_process';

export interface NodeModuleLaunch {
  /** The module to run (an ES module or a CommonJS file). */
  modulePath: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface NodeModuleExit {
  code: number | null;
  signal: string | null;
  /** It never ran (no such binary, a refused module): why. */
  error?: string;
}

export interface NodeModuleChild {
  readonly pid: number | undefined;
  readonly exited: boolean;
  /** Each line it writes to stdout or stderr, without the line break. */
  onLine(listener: (line: string) => void): void;
  /** Once, after its last output line, when it has gone or could not start. */
  onExit(listener: (exit: NodeModuleExit) => void): void;
  /** SIGTERM asks it to stop; SIGKILL ends it. Nothing once it has gone. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export type StartNodeModule = (launch: NodeModuleLaunch) => NodeModuleChild;

/** Calls `onLine` for each line of a text stream; a last line without a break comes at its end. */
export function splitLines(
  stream: NodeJS.ReadableStream | null,
  onLine: (line: string) => void,
): void {
  if (stream === null) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string | Buffer) => {
    buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (buffered !== '') onLine(buffered);
    buffered = '';
  });
}

/** The listeners of one child: lines as they come, one exit, late listeners still told. */
export class NodeModuleEvents {
  #lineListeners: ((line: string) => void)[] = [];
  #exitListeners: ((exit: NodeModuleExit) => void)[] = [];
  #exit: NodeModuleExit | undefined;

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  onLine(listener: (line: string) => void): void {
    this.#lineListeners.push(listener);
  }

  onExit(listener: (exit: NodeModuleExit) => void): void {
    const exit = this.#exit;
    if (exit === undefined) this.#exitListeners.push(listener);
    else queueMicrotask(() => listener(exit));
  }

  line(line: string): void {
    for (const listener of this.#lineListeners) listener(line);
  }

  exit(exit: NodeModuleExit): void {
    if (this.#exit !== undefined) return;
    this.#exit = exit;
    for (const listener of this.#exitListeners.splice(0)) listener(exit);
  }
}

/**
 * The default starter: `<nodePath> <module> <args…>` as a child process. Inside Electron, when
 * the binary is Electron's own, it is asked to run as plain Node (`ELECTRON_RUN_AS_NODE`), which
 * works only where the RunAsNode fuse is on (a checkout); the installed app passes its own starter.
 */
export function spawnNodeModule(nodePath: string = process.execPath): StartNodeModule {
  return (launch) => {
    const electronAsNode = process.versions.electron !== undefined && nodePath === process.execPath;
    const events = new NodeModuleEvents();
    const child = spawn(nodePath, [launch.modulePath, ...launch.args], {
      cwd: launch.cwd,
      env: electronAsNode ? { ...launch.env, ELECTRON_RUN_AS_NODE: '1' } : launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    splitLines(child.stdout, (line) => events.line(line));
    splitLines(child.stderr, (line) => events.line(line));
    child.on('error', (error) => {
      // Before a pid, it never started (no such binary); after, a failed kill: say so, it runs on.
      if (child.pid === undefined) events.exit({ code: null, signal: null, error: error.message });
      else events.line(`[devnet] ${error.message}`);
    });
    // 'close' comes after the output streams have ended, so the last lines are in.
    child.once('close', (code, signal) => events.exit({ code, signal }));
    return {
      get pid() {
        return child.pid;
      },
      get exited() {
        return events.exited;
      },
      onLine: (listener) => events.onLine(listener),
      onExit: (listener) => events.onExit(listener),
      kill(signal) {
        if (!events.exited) child.kill(signal);
      },
    };
  };
}
