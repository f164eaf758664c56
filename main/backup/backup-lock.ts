import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from '../util/process-alive.ts';

/**
 * One backup at a time into a folder (the scheduled one and `cli.ts backup` may meet): DIR/backup.lock holds the
 * process that runs it; a lock whose process is gone (killed) is taken over.
 */
export async function lockBackup(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, 'backup.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.write(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && processAlive(pid))
        throw new Error(`another backup into ${dir} runs (process ${pid}); try again when it has ended`);
      if (pid === process.pid) throw new Error(`a backup into ${dir} already runs in this process`);
      await rm(file, { force: true });
    }
  }
  throw new Error(`cannot take ${file}`);
}
