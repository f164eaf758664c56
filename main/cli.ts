import { api as apiFeature } from './features/api.ts';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ArchiveServer } from './server.ts';
import { ConfigError, ConfigErrors } from './config/config-error.ts';
import { migrateConquest } from './config/conquest-migration.ts';
import { regenerate, type RegenProgress } from './index/regen.ts';
import { importPath } from './archive/importer.ts';
import { createWriteStream } from 'node:fs';
import {
  removeCoreRecord,
  rotateSecret,
  signInLinkOfRunningCore,
  stopRunningCore,
  writeCoreRecord,
} from './runtime/running-core.ts';
import { SECRET_FILE } from './accounts/install-secret.ts';
import { upkeep } from './runtime/upkeep-commands.ts';
import { conformanceStatement } from './conformance/statement.ts';
import { conformanceFacts } from './conformance/facts.ts';

const USAGE = `usage: node main/cli.ts COMMAND [options]

commands:
  serve                    run the archive headless
  stop                     stop the archive serving this data folder (as a service manager does; signals need not work)
  sign-in-link             a link that signs this computer's browser in to the running archive as the local
                           administrator (once, within 10 minutes)
  rotate-secret            replace the install's secret (DATA/api-secret); what signed in with the old one signs in again
  regen                    rebuild the index from the files in the storage folders
  import PATH [--link]     import a folder or a DICOMDIR (CD, USB disk): copy the objects in, or link them in place
  migrate-conquest --from CONQUEST_DIR
                           take over a Conquest installation: its dicom.ini and acrnema.map become this data
                           folder's configuration, its files are indexed where they are
  export (--patient ID | --study UID | --series UID) --to PATH [--zip | --iso] [--anonymize]
                           a DICOM media set with its DICOMDIR: into the folder PATH (a USB stick), or as a
                           ZIP or an ISO 9660 image (to burn) written to the file PATH; --anonymize de-identifies
                           it (PS3.15 Annex E Basic profile; a new patient name and ID are made)
  backup --to DIR [--keep N]
                           back the archive up into DIR while it runs: a consistent copy of the index, the objects
                           new since the last backup into DIR (each with its SHA-256 in DIR/manifest.jsonl),
                           deletions recorded; run again after a kill, it goes on; an index on MySQL/MariaDB is
                           dumped (mariadb-dump --single-transaction); the last N index copies are kept
                           (BackupKeep, 7) with the objects they name
  restore --from DIR --data NEW [--at DATE] [--database NAME]
                           a backup into a new, empty data folder, every object checked against the manifest; --at
                           takes the newest kept backup of that date (2026-12-07, 2026-12-07T02) instead of the last;
                           a MySQL/MariaDB index goes into the new database NAME (default: its name + _restored)
  conformance              the DICOM conformance statement of this installation (Markdown, to stdout): its SCP
                           services, SOP classes, transfer syntaxes and codecs as the code and dgatesop.lst have them
  check [thresholds]       the running archive's health as a Nagios/NRPE plugin: one line, exit 0 OK, 1 WARNING,
                           2 CRITICAL, 3 UNKNOWN. Thresholds (warning / critical): --free-warning MB (5120)
                           --free-critical MB (1024) of the fullest storage device; --queue-warning S (3600)
                           --queue-critical S (14400) the oldest queued job's wait; --failed-warning N (1)
                           --failed-critical N (10) jobs failed in the last hour; --idle-warning MIN
                           --idle-critical MIN (0: off) since the last object arrived, only in --hours 7-19 on
                           --days 1-5 (0 Sunday); --backup-warning DAYS (2) --backup-critical DAYS (7) since
                           the last scheduled backup succeeded (when BackupFolder is set); --damaged-warning N
                           --damaged-critical N (1, 1) stored objects the verification found damaged

options:
  --data DIR          data folder: storage and index paths in dicom.ini are relative to it (default: ./data)
  --config DIR        folder of dicom.ini, acrnema.map, dgatesop.lst (default: DATA/config, seeded from config/)
  --port N            DICOM port for this run, overriding TCPPort (0 picks a free port)
  --listen ADDRESS    address to listen on, overriding ListenAddress
  --api-port N        API port for this run, overriding APIPort (0 picks a free port)
  --help              this text`;

function report(line: string): void {
  process.stdout.write(line + '\n');
}

function regenLine(p: RegenProgress): string {
  return `regen: ${p.files} file(s)${p.fromMirror ? ` (${p.fromMirror} copied back from the mirror)` : ''}, ${p.indexed} indexed, ${p.skipped.length} skipped, ${p.seconds.toFixed(1)} s (${(p.indexed / Math.max(p.seconds, 0.001)).toFixed(0)} objects/s)`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      config: { type: 'string' },
      port: { type: 'string' },
      listen: { type: 'string' },
      'api-port': { type: 'string' },
      from: { type: 'string' },
      link: { type: 'boolean' },
      help: { type: 'boolean' },
      patient: { type: 'string' },
      study: { type: 'string' },
      series: { type: 'string' },
      to: { type: 'string' },
      zip: { type: 'boolean' },
      iso: { type: 'boolean' },
      anonymize: { type: 'boolean' },
      'free-warning': { type: 'string' },
      'free-critical': { type: 'string' },
      'queue-warning': { type: 'string' },
      'queue-critical': { type: 'string' },
      'failed-warning': { type: 'string' },
      'failed-critical': { type: 'string' },
      'idle-warning': { type: 'string' },
      'idle-critical': { type: 'string' },
      'backup-warning': { type: 'string' },
      keep: { type: 'string' },
      at: { type: 'string' },
      database: { type: 'string' },
      'backup-critical': { type: 'string' },
      'damaged-warning': { type: 'string' },
      'damaged-critical': { type: 'string' },
      hours: { type: 'string' },
      days: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (
    values.help ||
    ![
      'serve',
      'stop',
      'sign-in-link',
      'rotate-secret',
      'regen',
      'import',
      'migrate-conquest',
      'export',
      'check',
      'backup',
      'restore',
      'conformance',
    ].includes(command ?? '')
  ) {
    report(USAGE);
    return values.help ? 0 : 2;
  }
  const dataDir = path.resolve(values.data ?? 'data');
  const configDir = path.resolve(values.config ?? path.join(dataDir, 'config'));
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port ${values.port}: not a port number from 0 to 65535\n`);
    return 2;
  }
  if (command === 'migrate-conquest') {
    if (!values.from) {
      process.stderr.write('migrate-conquest needs --from CONQUEST_DIR\n');
      return 2;
    }
    for (const note of await migrateConquest(path.resolve(values.from), configDir)) report(`migrate: ${note}`);
  }
  if (command === 'import' && !positionals[1]) {
    process.stderr.write('import needs a PATH (a folder or a DICOMDIR)\n');
    return 2;
  }
  const exported = values.patient
    ? (['PATIENT', values.patient] as const)
    : values.study
      ? (['STUDY', values.study] as const)
      : values.series
        ? (['SERIES', values.series] as const)
        : undefined;
  if (command === 'export' && (!exported || !values.to)) {
    process.stderr.write('export needs --patient, --study or --series, and --to PATH\n');
    return 2;
  }

  if (command === 'backup' || command === 'restore' || command === 'check')
    return upkeep(command, values, { dataDir, configDir }, report);
  if (command === 'stop') {
    const outcome = await stopRunningCore(dataDir);
    report(
      `stop: ${outcome === 'stopped' ? 'the archive has stopped' : outcome === 'not running' ? `no archive runs on ${dataDir}` : 'the archive did not stop within 30 s'}`,
    );
    return outcome === 'still running' ? 1 : 0;
  }
  if (command === 'sign-in-link') {
    const link = await signInLinkOfRunningCore(dataDir);
    if (!link) {
      process.stderr.write(`sign-in-link: no archive runs on ${dataDir}\n`);
      return 1;
    }
    report(`SIGN-IN ${link} (this computer's browser, once, within 10 minutes)`);
    return 0;
  }
  if (command === 'rotate-secret') {
    const where = await rotateSecret(dataDir);
    report(
      `rotate-secret: ${path.join(dataDir, SECRET_FILE)} holds a new secret${where === 'running core' ? ', in force at once in the running archive' : ''}; ` +
        'windows and browsers signed in with the old one sign in again',
    );
    return 0;
  }

  const apiPort = values['api-port'] === undefined ? undefined : Number(values['api-port']);
  let stop: (why: string) => Promise<void> = async () => undefined;
  const server = new ArchiveServer({
    dataDir,
    configDir,
    port,
    listenAddress: values.listen,
    apiPort,
    onShutdownRequest: () => stop('stop asked through the API'),
  });
  try {
    await server.start({ listen: command === 'serve' });
  } catch (err) {
    if (err instanceof ConfigErrors || err instanceof ConfigError) {
      process.stderr.write(`configuration refused:\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (command === 'serve') {
    // The core's record first, so that whoever reads the lines below finds it (the desktop window, `stop`).
    await writeCoreRecord(dataDir, {
      pid: process.pid,
      aeTitle: server.config.settings.aeTitle,
      dicomPort: server.port,
      apiUrl: server.apiUrl,
      startedAt: new Date().toISOString(),
    });
    // Machine-readable line for scripts and tests that start us on a free port.
    report(`LISTENING ${server.config.settings.aeTitle} ${server.port}`);
    // Never the secret itself (a service's output ends in a journal others read): where it is, and a one-time link.
    report(`API ${server.apiUrl}/ (the local administrator's secret is in ${path.join(dataDir, SECRET_FILE)})`);
    report(
      `SIGN-IN ${server.apiUrl}/?signin=${server.feature(apiFeature).signIns.issue(true).token} (this computer's browser, once, within 10 minutes; another: cli.ts sign-in-link)`,
    );
    let stopping = false;
    stop = async (why: string) => {
      if (stopping) {
        server.logger.write('info', 'server', `${why}: already stopping`);
        return;
      }
      stopping = true;
      server.logger.write('info', 'server', `${why}: stopping`);
      // Stopping is bounded: a stuck peer or disk does not keep a service manager (or Windows' shutdown) waiting.
      const limit = setTimeout(() => {
        server.logger.write('error', 'server', 'not stopped within 20 s: exiting');
        process.exit(1);
      }, 20_000);
      limit.unref();
      await server.stop();
      await removeCoreRecord(dataDir);
      process.exit(0);
    };
    // SIGINT: Ctrl+C; SIGTERM: kill, systemd; SIGHUP: the terminal or (Windows) the console window closed, or a logoff;
    // SIGBREAK: Ctrl+Break on Windows. A Windows service is stopped with `stop` (no signal reaches it there).
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const)
      process.on(signal, () => void stop(signal));
    return -1;
  }
  try {
    if (command === 'export') {
      const [level, uid] = exported!;
      const to = path.resolve(values.to!);
      const summary =
        values.zip || values.iso
          ? await server
              .exporter()
              .toArchive(
                level,
                [uid],
                values.iso ? 'iso' : 'zip',
                createWriteStream(to),
                undefined,
                values.anonymize ? {} : undefined,
              )
          : await server.exporter().toFolder(level, [uid], to, values.anonymize ? {} : undefined);
      report(
        `export: ${summary.patients} patient(s), ${summary.studies} stud${summary.studies === 1 ? 'y' : 'ies'}, ${summary.series} series, ${summary.objects} object(s) to ${to}` +
          (summary.notConverted ? `; ${summary.notConverted} kept compressed (no codec to convert them)` : ''),
      );
      for (const w of summary.warnings ?? []) report(`export: warning: ${w}`);
    } else if (command === 'conformance') {
      process.stdout.write(conformanceStatement(conformanceFacts(server)));
    } else if (command === 'regen' || command === 'migrate-conquest') {
      let last = 0;
      const result = await regenerate(server.store.devices, server.index, {
        clear: true,
        mirrors: {
          roots: server.store.roots.mirrors,
          copyBack: (device, relativePath) => server.store.restoreFromMirror({ device, relativePath }),
        },
        onProgress: (p) => {
          if (p.seconds - last >= 2) {
            last = p.seconds;
            report(regenLine(p));
          }
        },
      });
      for (const s of result.skipped) report(`skipped ${s.file}: ${s.reason}`);
      report(regenLine(result));
    } else {
      const result = await importPath(
        path.resolve(positionals[1]!),
        server.core.importTarget(),
        values.link ? 'link' : 'copy',
      );
      for (const x of result.skipped) report(`skipped ${x.file}: ${x.reason}`);
      for (const x of result.other) report(`left aside (not DICOM): ${x}`);
      report(
        `import: ${result.files} file(s), ${result.imported} imported, ${result.duplicates} duplicate(s), ${result.skipped.length} skipped` +
          (result.other.length ? `, ${result.other.length} not DICOM (left aside)` : ''),
      );
      if (result.notLinked) {
        report(
          `import: this account may not make symbolic links (on Windows: administrators, or Developer Mode): ${result.notLinked.hardlinked} object(s) hard-linked, ${result.notLinked.copied} copied instead`,
        );
      }
      // DroppedFileCompression re-encodes after storing: the command ends when that is done too.
      await server.core.ingest.recodingIdle();
    }
  } finally {
    await server.stop();
  }
  return 0;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
