/**
 * Starts a module the way Electron's utilityProcess would, for tests on plain Node:
 * `process.parentPort` is there, and carries messages over Node's IPC channel (one object per
 * message, `{ data }` on the way in, like Electron's MessageEvent). Argument 1 is the module;
 * the rest are its own arguments.
 */
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';

const modulePath = process.argv[2];
if (!modulePath) throw new Error('parent-port-shim: which module?');
process.argv.splice(2, 1);

const port = Object.assign(new EventEmitter(), {
  postMessage: (message: unknown) => process.send?.(message),
});
process.on('message', (data) => port.emit('message', { data }));
(process as unknown as { parentPort: unknown }).parentPort = port;

await import(pathToFileURL(modulePath).href);
