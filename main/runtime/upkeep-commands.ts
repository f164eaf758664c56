import path from 'node:path';
import { backupArchive } from '../backup/backup.ts';
import { restoreArchive } from '../backup/restore.ts';
import { judge, parseMetrics, thresholdsFrom } from './health-check.ts';
import { metricsOfRunningCore } from './running-core.ts';

/**
 * The CLI's upkeep commands, which act on a data folder beside (or without) its running archive and never start one:
 * `backup`, `restore`, and `check` (the NRPE plugin). Each resolves with the process's exit code.
 */
export async function upkeep(
  command: 'backup' | 'restore' | 'check',
  values: Record<string, string | boolean | undefined>,
  folders: { dataDir: string; configDir: string },
  report: (line: string) => void,
): Promise<number> {
  const { dataDir, configDir } = folders;
  const to = typeof values.to === 'string' ? values.to : undefined;
  const from = typeof values.from === 'string' ? values.from : undefined;
  if (command === 'backup') {
    if (!to) {
      process.stderr.write('backup needs --to DIR\n');
      return 2;
    }
    const started = performance.now();
    const keep = typeof values.keep === 'string' ? Number(values.keep) : undefined;
    if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1)) {
      process.stderr.write(`--keep ${values.keep}: a whole number of backups, 1 or more\n`);
      return 2;
    }
    const s = await backupArchive({ dataDir, configDir, to: path.resolve(to), log: report, keep }).catch(
      (err: Error) => {
        process.stderr.write(`backup: ${err.message}\n`);
        return undefined;
      },
    );
    if (!s) return 1;
    report(
      `backup: ${s.objects} object(s), ${(s.bytes / 1048576).toFixed(1)} MB in ${to}; ${s.copied} copied and ${s.deleted} deleted by this run, in ${((performance.now() - started) / 1000).toFixed(1)} s` +
        (s.missing.length ? `; ${s.missing.length} the index named were gone (deleted meanwhile)` : ''),
    );
    return 0;
  }
  if (command === 'restore') {
    if (!from || !values.data) {
      process.stderr.write('restore needs --from DIR (a backup) and --data NEW (an empty data folder)\n');
      return 2;
    }
    const at = typeof values.at === 'string' ? values.at : undefined;
    const database = typeof values.database === 'string' ? values.database : undefined;
    const r = await restoreArchive({ from: path.resolve(from), dataDir, log: report, at, database }).catch(
      (err: Error) => {
        process.stderr.write(`restore: ${err.message}\n`);
        return undefined;
      },
    );
    if (!r) return 1;
    report(
      `restore: ${r.objects} object(s), ${(r.bytes / 1048576).toFixed(1)} MB checked and put in ${dataDir}` +
        (r.damaged.length ? `; ${r.damaged.length} missing or damaged (listed above)` : ''),
    );
    return r.damaged.length ? 1 : 0;
  }
  if (command === 'check') {
    const thresholds = thresholdsFrom(values);
    if ('error' in thresholds) {
      report(`PACS UNKNOWN - ${thresholds.error}`);
      return 3;
    }
    let text: string | undefined;
    try {
      text = await metricsOfRunningCore(dataDir);
    } catch (err) {
      report(`PACS UNKNOWN - ${(err as Error).message}`);
      return 3;
    }
    if (text === undefined) {
      report(`PACS CRITICAL - no archive runs on ${dataDir}`);
      return 2;
    }
    const { code, line } = judge(parseMetrics(text), thresholds);
    report(line);
    return code;
  }
  return 2;
}
