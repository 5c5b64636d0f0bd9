// The preload of Roost's window: runs sandboxed, exposes exactly the contract's methods and the
// event stream through contextBridge. No Node, no ipcRenderer, no capabilities reach the page.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { methodNames } from '../agent/api/contract.ts';
import { EVENT_CHANNEL, methodChannel } from './ipc.ts';

const allowed = new Set<string>(methodNames);

contextBridge.exposeInMainWorld('roost', {
  call(method: unknown, params: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !allowed.has(method)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'UNKNOWN_METHOD', message: `There is no method "${String(method)}".` },
      });
    }
    return ipcRenderer.invoke(methodChannel(method), params);
  },
  onEvent(listener: unknown): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
    const forward = (_event: IpcRendererEvent, message: unknown) =>
      (listener as (m: unknown) => void)(message);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
  // The path of a file the user chose in the window (a private job's model and inputs): the
  // page gives the agent paths, as typed ones. Only a File can be asked about; '' for one with
  // no file behind it.
  pathForFile(file: unknown): string {
    if (!(file instanceof File)) throw new TypeError('pathForFile needs a chosen File');
    return webUtils.getPathForFile(file);
  },
});
