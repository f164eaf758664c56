import type { Feature } from '../core/feature.ts';
import type { JobRunner } from '../jobs/job-queue.ts';
import { readObjectHeader } from '../store/object-header.ts';
import { readObjectHead } from '../edit/object-rewrite.ts';
import { headerOfDataSet } from '../automation/converted-header.ts';
import type { InstanceHeader } from '../dicom/instance-header.ts';

/**
 * An object's indexed attributes from its file: the elements before Pixel Data only (a large object is not read
 * whole); a file without Part-10 meta information (Conquest's .v2) is read as regen reads it.
 */
async function headerOf(file: string): Promise<InstanceHeader> {
  try {
    return headerOfDataSet((await readObjectHead(file)).dataSet);
  } catch {
    return (await readObjectHeader(file)).header;
  }
}

/** Rows read and written in one transaction. */
const BATCH = 200;

/**
 * dicom.sql's added columns (index/index-schema.ts) filled for the objects stored before they were added: one
 * 'index-fill' job on the Monitor, reading the newest stored object of each row (its file's header) in batches, so a
 * stop or a crash resumes where the last batch ended. Until a column is filled its key says so in C-FIND's final
 * status comment; objects stored meanwhile fill it as they arrive.
 */
export const indexColumns: Feature = {
  name: 'index-columns',
  start(core) {
    const log = core.child('index-columns');
    const runner: JobRunner = async ({ signal, progress }) => {
      const columns = core.index.indexColumns();
      const schema = core.index.schema;
      const fills = await columns.pending(schema);
      // Row ids still to pass: the total is an upper bound (rows deleted since leave gaps).
      const total = fills.reduce((n, f) => n + f.below - f.from, 0);
      let done = 0;
      let unreadable = 0;
      await progress({ total, done: 0, failed: 0 }, true);
      for (const fill of fills) {
        const names = fill.columns.map((c) => c.conquestName).join(', ');
        while (fill.from < fill.below) {
          signal.throwIfAborted();
          const targets = await columns.targets(fill, BATCH);
          const rows: Parameters<typeof columns.write>[1] = [];
          for (const target of targets) {
            try {
              const header = await headerOf(core.objectFile(target.location));
              rows.push({ target, values: fill.columns.map((c) => header.more?.get(c.tag) ?? '') });
            } catch (err) {
              // Gone or damaged since (deleted meanwhile, or for VerifyStorage to find): its row keeps empty values.
              unreadable++;
              log.warn(`${names}: ${target.location.relativePath} not read: ${(err as Error).message}`);
            }
          }
          const upTo = targets.length < BATCH ? fill.below : targets[targets.length - 1]!.id + 1;
          done += upTo - fill.from;
          await columns.write(fill, rows, upTo);
          await progress({ done, failed: unreadable });
        }
        for (const a of schema.attributes) if (fill.columns.includes(a.added)) a.filling = false;
        log.info(`${fill.table}: ${names} filled from the objects stored before`);
      }
      await progress({ total: done, done, failed: unreadable }, true);
    };
    core.queue.addRunner('index-fill', runner);
    return {
      provides: undefined,
      serve: async () => {
        if (core.index.schema.attributes.some((a) => a.filling))
          await core.queue.studyJob('index-fill', '', core.index.schema.file, 0);
      },
    };
  },
};
