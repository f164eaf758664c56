import { appendFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Feature } from '../core/feature.ts';
import type { SourceLogger } from '../util/log.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { ArrivalDecision, ArrivingObject } from '../archive/ingest.ts';
import { filterMatches } from '../config/import-converters.ts';
import { runConverters } from '../automation/converter-run.ts';
import { headerOfDataSet } from '../automation/converted-header.ts';
import { readObjectHead, writeObjectWith } from '../edit/object-rewrite.ts';
import { Tag } from '../dicom/tags.ts';
import { textOf } from '../dicom/dataset.ts';
import { transfers } from './transfers.ts';
import { msg } from '../../common/message.ts';
import { compressionPlan } from '../../common/compression-code.ts';

/**
 * Conquest's ImportConverters (dicom.ini `ImportConverter0..99` and their filters): run in order on each object received
 * in full, before it is stored and before its sender hears the outcome. They may change its attributes (the temporary
 * file is written again), drop it (`destroy`: the sender hears success) or refuse it (`reject`), and forward it once it
 * is stored. dicom.ini's converters apply from the next object on when the settings are saved.
 */
export const importConverters: Feature<undefined> = {
  name: 'import-converters',
  needs: [transfers],
  start(core) {
    core.ingest.beforeStore((object) => convertArriving(core, object));
    return { provides: undefined };
  },
};

/** What the converters decide for one object received in full (the ingest's check). */
export async function convertArriving(core: ArchiveCore, object: ArrivingObject): Promise<ArrivalDecision> {
  const { header } = object;
  if (!core.config.importConverters.length) return { outcome: 'store', header };
  const log = core.child('converters');
  try {
    return await runOn(core, object, log);
  } catch (err) {
    // Converters that fail (an object they cannot read or write again) leave it as received: stored, never lost or
    // half-changed (the temporary file is replaced only by a complete, flushed copy).
    log.error(`${header.sopInstanceUid}: the import converters failed, stored as received: ${(err as Error).message}`);
    core.activity.problem(
      msg('import converters failed on {uid}, stored as received: {reason}', {
        uid: header.sopInstanceUid,
        reason: (err as Error).message,
      }),
    );
    return { outcome: 'store', header };
  }
}

async function runOn(core: ArchiveCore, object: ArrivingObject, log: SourceLogger): Promise<ArrivalDecision> {
  const { header } = object;
  const head = await readObjectHead(object.file);
  const { dataSet } = head;
  const stationName = textOf(dataSet.get(Tag.StationName));
  const applying = core.config.importConverters.filter(
    (c) =>
      filterMatches(c.modality, header.modality) &&
      filterMatches(c.stationName, stationName) &&
      filterMatches(c.calledAe, object.calledAe) &&
      filterMatches(c.callingAe, object.callingAe),
  );
  if (!applying.length) return { outcome: 'store', header };
  const result = runConverters(
    applying.map((c) => c.statements),
    dataSet,
    { callingAe: object.callingAe, calledAe: object.calledAe },
  );
  for (const note of result.notes) log.info(`${header.sopInstanceUid}: ${note}`);
  await writeFiles(core.dataDir, result.files, log);
  if (result.outcome === 'destroy') {
    if (!result.quiet) log.info(`${header.sopInstanceUid} from ${object.callingAe} destroyed by an import converter`);
    return { outcome: 'destroy' };
  }
  if (result.outcome === 'reject') {
    log.info(`${header.sopInstanceUid} from ${object.callingAe} rejected by an import converter`);
    return { outcome: 'reject', comment: 'rejected by an import converter of this archive' };
  }
  let stored = header;
  if (result.changed) {
    const rewritten = `${object.file}.cv`;
    const size = await writeObjectWith(object.file, head, result.dataSet, rewritten);
    await object.replaceWith(rewritten, size);
    stored = headerOfDataSet(result.dataSet);
  }
  const forwards = result.forwards;
  const afterStore = forwards.length
    ? () => {
        for (const f of forwards) {
          core.queue
            .forward(f.destination, stored.studyInstanceUid, stored.sopInstanceUid, f.compression)
            .catch((err: Error) =>
              log.error(`cannot queue the forward of ${stored.sopInstanceUid} to ${f.destination}: ${err.message}`),
            );
        }
      }
    : undefined;
  const compression = result.compression === undefined ? undefined : compressionPlan(result.compression);
  return { outcome: 'store', header: stored, afterStore, compression };
}

/**
 * `write` and `append` of converters: a relative name is in the data folder, and no file outside it is written (its
 * folder is resolved, links included). A file that cannot be written is logged; the object is stored all the same.
 */
async function writeFiles(
  dataDir: string,
  files: { append: boolean; text: string; file: string }[],
  log: SourceLogger,
): Promise<void> {
  const root = await realpath(dataDir);
  for (const f of files) {
    const target = path.resolve(root, f.file);
    try {
      const folder = await realpath(path.dirname(target));
      const inside = path.relative(root, folder);
      if (inside.startsWith('..') || path.isAbsolute(inside))
        throw new Error('converters write only inside the data folder');
      const file = path.join(folder, path.basename(target));
      await (f.append ? appendFile(file, f.text) : writeFile(file, f.text));
    } catch (err) {
      log.error(
        `an import converter could not ${f.append ? 'append to' : 'write'} ${f.file}: ${(err as Error).message}`,
      );
    }
  }
}
