/**
 * The desktop shell: one window, one instance, a tray icon with the server's state, and the core running in this
 * process. All logic lives in main/; this file only starts it and shows its state.
 * What the window shows today is a status page; the React renderer arrives with the UI work (renderer/).
 */
import { app, BrowserWindow, Menu, Tray, nativeImage } from 'electron';
import path from 'node:path';
import { ArchiveServer } from '../main/server.ts';

let server: ArchiveServer | undefined;
let window: BrowserWindow | undefined;
let tray: Tray | undefined;
let status = 'starting';

function statusPage(): string {
  const s = server?.config?.settings;
  const body = s
    ? `<h1>${s.aeTitle}</h1><p>DICOM listener on port ${server!.port}</p><p>Storage: ${s.devices.join(', ')}</p><p>Index: ${s.index.engine === 'sqlite' ? s.index.file : `MySQL ${s.index.host}/${s.index.database}`}</p>`
    : `<h1>PACS workstation</h1><p>${status}</p>`;
  return 'data:text/html;charset=utf-8,' + encodeURIComponent(`<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><style>body{font:14px system-ui;margin:2em}</style>${body}`);
}

function showWindow(): void {
  if (window) { window.show(); window.focus(); return; }
  window = new BrowserWindow({ width: 1100, height: 750, webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false } });
  window.on('closed', () => { window = undefined; });
  void window.loadURL(statusPage());
}

function refreshTray(): void {
  tray?.setToolTip(`PACS workstation: ${status}`);
  tray?.setContextMenu(Menu.buildFromTemplate([
    { label: status, enabled: false },
    { label: 'Open', click: showWindow },
    { label: 'Quit', click: () => app.quit() },
  ]));
}

async function start(): Promise<void> {
  const dataDir = path.join(app.getPath('userData'), 'data');
  server = new ArchiveServer({ dataDir, configDir: path.join(dataDir, 'config') });
  try {
    await server.start();
    status = `${server.config.settings.aeTitle} listening on port ${server.port}`;
  } catch (err) {
    status = `not running: ${(err as Error).message}`;
  }
  tray = new Tray(nativeImage.createEmpty());
  refreshTray();
  showWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.whenReady().then(start, (err) => { status = String(err); });
  // The archive keeps serving with the window closed; Quit in the tray stops it.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => { void server?.stop(); });
}
