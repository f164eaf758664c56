import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { SUMMARY, backupArchive, type BackupSummary } from '../backup/backup.ts';
import { msg } from '../../common/message.ts';
import { ENDPOINTS } from '../api/endpoints.ts';
import { HttpError, route } from '../api/router.ts';
import type { BackupStateDto } from '../api/contract.ts';
import { DailyRun } from '../runtime/daily-run.ts';

export interface Backups {
  /** The last backup into BackupFolder, the one running, and whether the Monitor should warn. */
  state(): BackupStateDto;
  /** Back up now (the Monitor's button); resolves when it ended; a second call while one runs waits for that one. */
  runNow(): Promise<BackupStateDto>;
}

/**
 * Scheduled backups (BackupFolder, BackupHour, BackupWarnDays): once a day at BackupHour (local time) the archive
 * backs itself up into BackupFolder as `cli.ts backup` does (backup/backup.ts; incremental, the index snapshot in a
 * thread of its own). The last success is read back from the folder's backup.json at start; a failure is on the
 * Monitor and in the log; past BackupWarnDays without a success the Monitor warns.
 */
export const backups: Feature<Backups> = {
  name: 'backups',
  settings: ['BackupFolder', 'BackupHour', 'BackupKeep', 'BackupWarnDays'],
  start(core) {
    const log = core.child('backup');
    let lastFinishedAt: string | undefined;
    let lastError: string | undefined;
    let running: Promise<BackupStateDto> | undefined;
    const state = (): BackupStateDto => {
      const folder = core.settings.backupFolder;
      const days = core.settings.backupWarnDays;
      const age = lastFinishedAt ? Date.now() - Date.parse(lastFinishedAt) : Number.POSITIVE_INFINITY;
      return {
        folder,
        hour: core.settings.backupHour,
        lastFinishedAt,
        lastError,
        running: running !== undefined,
        overdue: folder !== '' && days > 0 && age > days * 86_400_000,
      };
    };
    const runNow = (): Promise<BackupStateDto> => {
      running ??= run(core, log.info.bind(log))
        .then(
          (summary) => {
            lastFinishedAt = summary.finishedAt;
            lastError = undefined;
          },
          (err: Error) => {
            lastError = err.message;
            log.error(`the backup into ${core.settings.backupFolder} failed: ${err.message}`);
            core.activity.problem(
              msg('the backup into {folder} failed: {reason}', {
                folder: core.settings.backupFolder,
                reason: err.message,
              }),
            );
          },
        )
        .then(() => {
          running = undefined;
          return state();
        });
      return running;
    };
    const daily = new DailyRun(
      () => (core.settings.backupFolder ? core.settings.backupHour : undefined),
      () => void runNow(),
    );
    return {
      provides: { state, runNow },
      routes: [
        route(ENDPOINTS.backup, async () => state()),
        route(ENDPOINTS.backupNow, async ({ audit }) => {
          if (!core.settings.backupFolder) throw new HttpError(409, msg('set BackupFolder first'));
          audit({ action: 'export', detail: `backup into ${core.settings.backupFolder}` });
          return runNow();
        }),
      ],
      serve: async () => {
        lastFinishedAt = (await lastSummary(core.settings.backupFolder))?.finishedAt;
        daily.start();
      },
      stop: async () => {
        daily.stop();
        await running;
      },
    };
  },
};

function run(core: ArchiveCore, log: (line: string) => void): Promise<BackupSummary> {
  const to = core.settings.backupFolder;
  if (!to) return Promise.reject(new Error('BackupFolder is not set'));
  log(`backup into ${to} begins`);
  return backupArchive({ dataDir: core.dataDir, configDir: core.config.configDir, to, log }).then((s) => {
    log(`backup into ${to}: ${s.objects} object(s); ${s.copied} copied and ${s.deleted} deleted by this run`);
    return s;
  });
}

/** What the folder's last complete backup says, if it holds one. */
async function lastSummary(folder: string): Promise<BackupSummary | undefined> {
  if (!folder) return undefined;
  const text = await readFile(path.join(folder, SUMMARY), 'utf8').catch(() => undefined);
  try {
    return text ? (JSON.parse(text) as BackupSummary) : undefined;
  } catch {
    return undefined;
  }
}
