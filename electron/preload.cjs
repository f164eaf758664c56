// @ts-check
/**
 * The window's only door to the desktop (sandboxed preload, CommonJS as Electron requires): the API's address and
 * secret, and the native folder dialog for imports. Channel names as in common/desktop-bridge.ts (a sandboxed preload
 * cannot import it; test/unit/desktop-bridge.test.ts checks that they agree).
 */
const { contextBridge, ipcRenderer } = require('electron');

/** @type {{ apiBase: string; token: string }} */
const values = ipcRenderer.sendSync('pacs:bridge');

contextBridge.exposeInMainWorld('pacs', {
  apiBase: values.apiBase,
  token: values.token,
  /** @returns {Promise<string | undefined>} */
  importFolder: () => ipcRenderer.invoke('pacs:import-folder'),
});
