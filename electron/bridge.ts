/** What the preload asks the main process for (IPC channel names and values), shared by both sides. */
export const BRIDGE_CHANNEL = 'pacs:bridge';
export const IMPORT_CHANNEL = 'pacs:import-folder';

export interface BridgeValues {
  apiBase: string;
  token: string;
}
