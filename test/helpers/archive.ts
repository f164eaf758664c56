import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { ArchiveServer } from '../../main/server.ts';
import type { Feature } from '../../main/core/feature.ts';
import { seedConfig } from '../../main/config/load.ts';
import { IniDocument } from '../../common/ini-document.ts';
import { saveSettings } from '../../main/api/settings-routes.ts';
import { Logger, type LogRecord } from '../../main/util/log.ts';

export interface TestArchive {
  server: ArchiveServer;
  port: number;
  /** Stop the server and start a new one on the same data folder (a new port). */
  /** Stop and start again on the same data folder; `between` runs while it is stopped (what a crash left, made by hand). */
  restart(between?: () => Promise<void>): Promise<void>;
  aeTitle: string;
  dataDir: string;
  logs: LogRecord[];
  logText(): string;
  /** Change one dicom.ini key in the file and apply it as a saved settings screen would (live keys only). */
  setIni(key: string, value: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Our server on a free loopback port, in a fresh data folder, with dicom.ini keys overridden as given; with only the
 * features given (and what they need) when `options.features` names some.
 */
export async function startArchive(
  settings: Record<string, string> = {},
  acrnemaLines: string[] = [],
  aeTitle = 'TESTPACS',
  options: { features?: readonly Feature<unknown>[]; configFiles?: Record<string, string> } = {},
): Promise<TestArchive> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pacs-test-'));
  const configDir = path.join(dataDir, 'config');
  await seedConfig(configDir);
  const iniFile = path.join(configDir, 'dicom.ini');
  const ini = new IniDocument(iniFile, await readFile(iniFile, 'utf8'));
  ini.set('sscscp', 'MyACRNema', aeTitle);
  ini.set('sscscp', 'ListenAddress', '127.0.0.1');
  // The daily runs (a backup, the verification) at an hour far from now: one due at start would run in a test's
  // middle when the suite runs at that hour. A test that wants them says so.
  const away = String((new Date().getHours() + 12) % 24);
  ini.set('sscscp', 'BackupHour', away);
  ini.set('sscscp', 'VerifyStorageHour', away);
  for (const [k, v] of Object.entries(settings)) ini.set('sscscp', k, v);
  await writeFile(iniFile, ini.toString());
  for (const [name, text] of Object.entries(options.configFiles ?? {}))
    await writeFile(path.join(configDir, name), text);
  if (acrnemaLines.length) {
    const map = path.join(configDir, 'acrnema.map');
    await writeFile(map, (await readFile(map, 'utf8')) + acrnemaLines.join('\n') + '\n');
  }
  const logger = new Logger('debug');
  const logs: LogRecord[] = [];
  logger.addSink((r) => logs.push(r));
  if (process.env.TEST_LOG) logger.addSink((r) => process.stderr.write(`${r.level} [${r.source}] ${r.message}\n`));
  const server = new ArchiveServer({ dataDir, configDir, port: 0, apiPort: 0, logger, features: options.features });
  await server.start();
  const archive: TestArchive = {
    server,
    port: server.port,
    restart: async (between) => {
      await archive.server.stop();
      await between?.();
      archive.server = new ArchiveServer({
        dataDir,
        configDir,
        port: 0,
        apiPort: 0,
        logger,
        features: options.features,
      });
      await archive.server.start();
      archive.port = archive.server.port;
    },
    aeTitle,
    dataDir,
    logs,
    logText: () => logs.map((r) => `${r.level} ${r.message}`).join('\n'),
    // As the Settings screen saves: checked (a line with a problem is refused, with its line and reason, and not
    // written), written, applied.
    setIni: async (key, value) => {
      const doc = new IniDocument(iniFile, await readFile(iniFile, 'utf8'));
      doc.set('sscscp', key, value);
      const core = archive.server.core;
      await saveSettings(
        { config: () => core.config, applySettings: () => core.applySettings(), restartListener: async () => 0 },
        doc.toString(),
      );
    },
    stop: async () => {
      await archive.server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return archive;
}

/** A request to the archive's API with its secret, a body sent as JSON (the server of the moment: after a restart too). */
export function apiFetch(
  archive: TestArchive,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  route: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${archive.server.apiUrl}${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${archive.server.apiSecret}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
