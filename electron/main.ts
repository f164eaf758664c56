/**
 * The desktop shell: the core runs in this process; one window shows the UI the core's API serves; one instance; a
 * tray icon with the server's state. The window gets the API's address and secret, and a native folder dialog for
 * imports, through the preload (preload.cjs) and nothing else: no Node in the page, sandboxed, context-isolated.
 * Runs on Electron's own Node with its TypeScript type stripping (no build step for the shell).
 */
import { api as apiFeature } from '../main/features/api.ts';
import { app, BrowserWindow, dialog, ipcMain, Menu, Tray, nativeImage, session, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArchiveServer } from '../main/server.ts';
import { importPath } from '../main/archive/importer.ts';
import { BRIDGE_CHANNEL, IMPORT_CHANNEL, type BridgeValues } from '../common/desktop-bridge.ts';
import { access, constants } from 'node:fs/promises';
import { chooseDesktopCore, machineDataDir } from '../main/runtime/data-location.ts';
import { findRunningCore, signInLinkOfRunningCore } from '../main/runtime/running-core.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
let server: ArchiveServer | undefined;
/** The core this window attached to instead of running one (the archive service on the per-machine folder). */
let attached: { apiUrl: string; secret: string; dataDir: string } | undefined;
let window: BrowserWindow | undefined;
let tray: Tray | undefined;
let status = 'starting';

function apiBase(): string {
  return attached?.apiUrl ?? server!.apiUrl;
}

function apiSecret(): string {
  return attached?.secret ?? server!.apiSecret;
}

const running = () => !!attached || !!server?.api;

function showWindow(): void {
  if (window) {
    window.show();
    window.focus();
    return;
  }
  window = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'PACS Workstation',
    icon: path.join(here, 'tray.png'),
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.on('closed', () => {
    window = undefined;
  });
  const origin = new URL(apiBase()).origin;
  // The window shows the API's UI and nothing else: other pages open in the user's browser.
  window.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== origin) event.preventDefault();
  });
  if (running()) void window.loadURL(`${apiBase()}/`);
  else
    void window.loadURL(
      `data:text/plain;charset=utf-8,${encodeURIComponent(`PACS Workstation is not running: ${status}`)}`,
    );
}

function refreshTray(): void {
  if (!tray) return;
  const line = attached
    ? `attached to the archive service (${attached.apiUrl})`
    : server?.api
      ? `${server.config.settings.aeTitle} on port ${server.port} · ${server.openAssociations} association(s)`
      : status;
  tray.setToolTip(`PACS Workstation: ${line}`);
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: line, enabled: false },
      { label: 'Open', click: showWindow },
      { label: 'Open in a browser', enabled: running(), click: () => void openInBrowser() },
      { type: 'separator' },
      {
        label: attached ? 'Quit (the archive service keeps running)' : 'Quit (stops the archive)',
        click: () => app.quit(),
      },
    ]),
  );
}

/** The UI in the default browser, signed in by a one-time sign-in link (the secret never goes in a URL or history). */
async function openInBrowser(): Promise<void> {
  const link = attached
    ? await signInLinkOfRunningCore(attached.dataDir).catch(() => undefined)
    : server?.api
      ? `${server.apiUrl}/?signin=${server.feature(apiFeature).signIns.issue(true).token}`
      : undefined;
  if (link) await shell.openExternal(link);
}

async function importFolder(): Promise<string | undefined> {
  if (!server) return 'The archive runs as a service here: import files with the Upload button instead.';
  const picked = await dialog.showOpenDialog(window!, {
    title: 'Import a folder, CD or DICOMDIR',
    properties: ['openDirectory'],
  });
  if (picked.canceled || !picked.filePaths[0]) return undefined;
  const result = await importPath(picked.filePaths[0], server!.core.importTarget(), 'copy');
  return (
    `${result.imported} object(s) imported, ${result.duplicates} already here, ${result.skipped.length} file(s) skipped of ${result.files}` +
    (result.other.length ? `; ${result.other.length} other file(s), not DICOM, left aside` : '')
  );
}

async function start(): Promise<void> {
  // No page may ask for the camera, notifications, geolocation …
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  // The archive service's core when one runs on the per-machine folder; else the core in this process (data-location.ts).
  const core = await chooseDesktopCore({
    machineDir: machineDataDir(),
    userDir: path.join(app.getPath('userData'), 'data'),
    running: (dir) => findRunningCore(dir),
    writable: (dir) =>
      access(dir, constants.W_OK).then(
        () => true,
        () => false,
      ),
  });
  if (core.kind === 'attach') {
    attached = { apiUrl: core.apiUrl, secret: core.secret, dataDir: core.dataDir };
    status = 'attached';
  } else {
    server = new ArchiveServer({ dataDir: core.dataDir, configDir: path.join(core.dataDir, 'config') });
    try {
      await server.start();
      status = 'running';
    } catch (err) {
      status = `not running: ${(err as Error).message}`;
      server = undefined;
    }
  }
  // The API's own HTTPS certificate (self-signed when the admin gave none) is trusted for its origin only, by fingerprint.
  app.on('certificate-error', (event, _wc, url, _error, certificate, callback) => {
    const ours = server?.feature(apiFeature).certificate();
    const mine =
      !!ours &&
      new URL(url).origin === new URL(apiBase()).origin &&
      certificate.fingerprint === `sha256/${Buffer.from(ours.fingerprint.replace(/:/g, ''), 'hex').toString('base64')}`;
    if (mine) event.preventDefault();
    callback(mine);
  });
  ipcMain.on(BRIDGE_CHANNEL, (event) => {
    event.returnValue = (
      running() ? { apiBase: apiBase(), token: apiSecret() } : { apiBase: '', token: '' }
    ) satisfies BridgeValues;
  });
  ipcMain.handle(IMPORT_CHANNEL, () => importFolder());
  tray = new Tray(nativeImage.createFromPath(path.join(here, 'tray.png')));
  refreshTray();
  setInterval(refreshTray, 5000);
  showWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.whenReady().then(start, (err) => {
    status = String(err);
  });
  // The archive keeps serving with the window closed; Quit in the tray stops it.
  app.on('window-all-closed', () => undefined);
  // Quit waits for the core to stop (associations aborted, jobs saved for the next start, the index closed); the core
  // bounds that to a few seconds.
  let stopping = false;
  app.on('before-quit', (event) => {
    if (!server || stopping) return;
    event.preventDefault();
    stopping = true;
    const running = server;
    server = undefined;
    running
      .stop()
      .catch((err: unknown) => console.error(`stopping the archive: ${String(err)}`))
      .finally(() => app.quit());
  });
}
