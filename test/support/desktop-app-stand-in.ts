/**
 * A stand-in for the desktop app's main process where Electron can't start: it hosts the agent
 * the way electron/main.ts does (host "electron", background services on, holding the data
 * folder's lock) and opens the same command channel, then prints one line, `ready <socket>`, and
 * runs until SIGTERM (close, as the app's Quit does) or SIGKILL (a crash).
 *
 *   node test/support/desktop-app-stand-in.ts <dataDir>
 */
import { createAgent } from '../../agent/agent.ts';
import { startCommandChannel } from '../../agent/api/command-channel.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: desktop-app-stand-in.ts <dataDir>');
// Quit at any time, even while starting: stop what has started, then leave.
let quit: (() => void) | undefined;
const quitting = new Promise<void>((resolve) => (quit = resolve));
process.once('SIGTERM', () => quit?.());

const agent = await createAgent({
  dataDir,
  host: 'electron',
  background: true,
  embeddedDevnet: false,
  logSink: (entry) => process.stderr.write(`${entry.level}: ${entry.message}\n`),
});
const commands = await startCommandChannel({ dataDir, agent });
process.stdout.write(`ready ${commands.socket}\n`);
await quitting;
await commands.close();
await agent.close();
process.exit(0);
