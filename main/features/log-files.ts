import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Feature } from '../core/feature.ts';
import { ENDPOINTS } from '../api/endpoints.ts';
import { HttpError, Streamed, route } from '../api/router.ts';
import { msg } from '../../common/message.ts';
import { RotatingLog, logFiles } from '../runtime/log-files.ts';

/**
 * The log in files (DATA/logs/pacs.log, rotated at LogFileMB, LogFileCount kept) besides the console, listed and
 * downloadable from the Monitor by who may configure the archive (the log names patients and peers).
 */
export const logFilesFeature: Feature<{ flushed(): Promise<void>; dir: string }> = {
  name: 'log-files',
  settings: ['LogFileMB', 'LogFileCount'],
  start(core) {
    const dir = path.join(core.dataDir, 'logs');
    const log = new RotatingLog(
      dir,
      () => core.settings.logFileMB << 20,
      () => core.settings.logFileCount,
    );
    const removeSink = core.logger.addSink(log.sink);
    return {
      provides: { flushed: () => log.flushed(), dir },
      routes: [
        route(ENDPOINTS.logFiles, async () => logFiles(dir)),
        route(ENDPOINTS.logFile, async ({ url }) => {
          const name = url.searchParams.get('name') ?? '';
          const found = (await logFiles(dir)).find((f) => f.name === name);
          if (!found) throw new HttpError(404, msg('no log file {name}', { name }));
          await log.flushed();
          return new Streamed(async (res) => {
            res.writeHead(200, {
              'content-type': 'text/plain; charset=utf-8',
              'content-disposition': `attachment; filename="${name}"`,
              'cache-control': 'no-store',
            });
            await pipeline(createReadStream(path.join(dir, name)), res);
          });
        }),
      ],
      stop: async () => {
        removeSink();
        await log.close();
      },
    };
  },
};
