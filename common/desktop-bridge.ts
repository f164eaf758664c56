/**
 * The desktop shell's bridge to the page, in one place for both sides: the IPC channels the preload asks the main
 * process on, the values it gets, and what the page sees as `window.pacs`.
 */

export const BRIDGE_CHANNEL = 'pacs:bridge';
export const IMPORT_CHANNEL = 'pacs:import-folder';

/** What the main process answers on BRIDGE_CHANNEL: where the core's API is, and the install's secret. */
export interface BridgeValues {
  apiBase: string;
  token: string;
}

/** `window.pacs` in the desktop window. */
export interface DesktopBridge extends BridgeValues {
  /** A native folder dialog; the shell imports what the user picks and resolves to a summary (undefined: cancelled). */
  importFolder(): Promise<string | undefined>;
}
