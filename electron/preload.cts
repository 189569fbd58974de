/**
 * The preload: exposes `window.berth` (bridge.ts) and nothing else, never ipcRenderer itself. It runs sandboxed, so it
 * is one CommonJS file that requires only `electron` (types come from bridge.ts, erased at compile time).
 */
import electron = require('electron');
import type { BerthBridge, BridgeResult, EventChannel, EventChannels, InvokeChannel, InvokeChannels } from '../core/shared/bridge.js';

const { contextBridge, ipcRenderer, webUtils } = electron;

async function invoke<C extends InvokeChannel>(channel: C, ...args: InvokeChannels[C]['args']): Promise<InvokeChannels[C]['result']> {
  const result = (await ipcRenderer.invoke(channel, ...args)) as BridgeResult<InvokeChannels[C]['result']>;
  if (result.ok) return result.value;
  const error = new Error(result.error.message);
  (error as Error & { code: string }).code = result.error.code;
  throw error;
}

function listen<C extends EventChannel>(channel: C, listener: (payload: EventChannels[C]) => void): () => void {
  // The page gets the payload only, not the IPC event (which would reach ipcRenderer through event.sender).
  const wrapped = (_event: unknown, payload: EventChannels[C]) => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
}

const bridge: BerthBridge = {
  platform: process.platform,
  engine: () => invoke('berth:engine-endpoint'),
  onEngineRestarted: (listener) => listen('berth:engine-restarted', listener),
  onShowApp: (listener) => listen('berth:show-app', listener),
  pickFolders: () => invoke('berth:pick-folders'),
  pathsForDropped: (files) => {
    const paths: string[] = [];
    for (const file of files) {
      try {
        const p = webUtils.getPathForFile(file);
        paths.push(p);
      } catch {
        // Not a File from a drop (webUtils throws): no path.
        paths.push('');
      }
    }
    return paths;
  },
  openExternal: (url) => invoke('berth:open-external', url),
  reveal: (path) => invoke('berth:reveal', path),
  openFolder: (path) => invoke('berth:open-folder', path),
  settings: () => invoke('berth:get-settings'),
  saveSettings: (patch) => invoke('berth:set-settings', patch),
};

contextBridge.exposeInMainWorld('berth', bridge);
