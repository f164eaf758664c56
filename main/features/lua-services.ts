import { DICOM_SQL_LEVELS } from '../config/dicom-sql.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { byTag, encodeDataSet, isSequence, parseDataSet, textElement, textOf, type DataSet } from '../dicom/dataset.ts';
import { keywordOf, keywordTag, vrOf } from '../dicom/dictionary.ts';
import { Tag } from '../dicom/tags.ts';
import { IMPLEMENTATION_VERSION_NAME, QrSopClass, TransferSyntax, encodingOf } from '../../common/uids.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { confinedPath } from '../automation/converter-steps.ts';
import { archiveFolders } from './converter-effects.ts';
import { readDataSetBytes } from '../store/object-reader.ts';
import { readObjectHead } from '../edit/object-rewrite.ts';
import { encodeFileMeta } from '../store/part10.ts';
import { QR_BY_TAG } from '../query/attributes.ts';
import type { Condition } from '../query/condition.ts';
import { findLocal } from '../archive/local-find.ts';
import { LEVEL_NAMES, UNIQUE_KEYS } from '../query/attributes.ts';
import { newUidFor } from '../automation/uid-remap.ts';
import { archiveUidKey } from '../automation/converter-steps.ts';
import type { LuaServices } from '../automation/lua-services.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { Transfers } from '../archive/transfers.ts';
import type { StudyEditor } from '../edit/study-editor.ts';
import { checkForwardScript } from '../automation/converter-run.ts';
import { scriptSourceOf } from '../config/import-converters.ts';
import type { OutgoingObject } from '../protocol/services/store-scu.ts';
import { formatStatus } from '../dicom/status.ts';
import { MAX_GET_BYTES, MAX_GET_OBJECTS, gotObjects, refusedOrFailed } from './lua-get.ts';
import { programOutput } from './lua-popen.ts';

/**
 * What Conquest's Lua functions reach, done by the archive for its scripts (lua-services.ts): the nodes of acrnema.map
 * through the archive's own DICOM client (echo, C-FIND, C-MOVE, C-STORE; a query to our own AE title reads the index),
 * a read-only look at the index, acrnema.map's entries, dicom.ini's values (secrets withheld), and changeuid's pairs.
 */
export function luaServices(core: ArchiveCore, transfers: Transfers, editor?: StudyEditor): LuaServices {
  const node = (ae: string) => {
    const found = transfers.node(ae);
    if (!found) throw new Error(`${ae} is not in acrnema.map`);
    return found;
  };
  const own = (ae: string) => ae.toUpperCase() === core.settings.aeTitle.toUpperCase() && !transfers.node(ae);
  return {
    async echo(ae) {
      await transfers.client.echo(node(ae));
    },
    async query(ae, level, identifier) {
      const name = levelOf(level);
      const ask = new Map(identifier);
      ask.set(Tag.QueryRetrieveLevel, textElement(Tag.QueryRetrieveLevel, 'CS', name));
      if (own(ae)) return localAnswers(core, name, ask);
      const sopClass = name === 'PATIENT' ? QrSopClass.PatientRootFind : QrSopClass.StudyRootFind;
      return transfers.client.find(node(ae), sopClass, byTag(ask));
    },
    async move(ae, destination, identifier, patientRoot) {
      if (!destination) throw new Error('dicommove needs a destination AE title');
      const ask = new Map(identifier);
      if (!ask.has(Tag.QueryRetrieveLevel))
        ask.set(Tag.QueryRetrieveLevel, textElement(Tag.QueryRetrieveLevel, 'CS', 'STUDY'));
      const sopClass = patientRoot ? QrSopClass.PatientRootMove : QrSopClass.StudyRootMove;
      const outcome = await transfers.client.move(node(ae), sopClass, byTag(ask), destination);
      if (outcome.failed > 0)
        throw new Error(`${outcome.failed} of ${outcome.failed + outcome.completed + outcome.warning} objects failed`);
    },
    async get(ae, level, identifier) {
      const name = levelOf(level);
      const at = node(ae);
      const ask = new Map(identifier);
      ask.set(Tag.QueryRetrieveLevel, textElement(Tag.QueryRetrieveLevel, 'CS', name));
      const patientRoot = name === 'PATIENT';
      // A C-GET names what it wants by unique keys; a query without them is asked first (as Conquest queries first),
      // and each answer got by its own keys.
      const keys = UNIQUE_KEYS.slice(patientRoot ? 0 : 1, LEVEL_NAMES.indexOf(name) + 1);
      const named = keys.every((k) => /^[^*?]+$/.test(textOf(ask.get(k))));
      const asks = named
        ? [ask]
        : (
            await transfers.client.find(
              at,
              patientRoot ? QrSopClass.PatientRootFind : QrSopClass.StudyRootFind,
              byTag(new Map([...ask, ...keys.map((k) => [k, textElement(k, vrOf(k), '')] as const)])),
            )
          ).map((answer) => {
            const one = new Map(ask);
            for (const k of keys) one.set(k, answer.get(k) ?? textElement(k, vrOf(k), ''));
            return one;
          });
      const got = gotObjects();
      const sopClass = patientRoot ? QrSopClass.PatientRootGet : QrSopClass.StudyRootGet;
      for (const one of asks) {
        const outcome = await transfers.client.get(at, sopClass, byTag(one), got.storage);
        if (got.refused)
          throw new Error(`dicomget keeps at most ${MAX_GET_OBJECTS} objects and ${MAX_GET_BYTES >> 20} MB`);
        if (outcome.failed > 0 || refusedOrFailed(outcome.status))
          throw new Error(
            `${ae} answered ${formatStatus(outcome.status)}${outcome.comment ? `: ${outcome.comment}` : ''} (${outcome.failed} object(s) failed)`,
          );
      }
      return got.objects;
    },
    async store(ae, objects) {
      const failures: string[] = [];
      await transfers.client.store(node(ae), objects.map(outgoing), (obj, result) => {
        if (result.outcome === 'failed') failures.push(`${obj.sopInstanceUid}: ${result.reason}`);
      });
      if (failures.length) throw new Error(failures.join('; '));
    },
    sql: (statement) => core.index.scriptRows(statement),
    popen: (command) => programOutput(core, command),
    async amap(entry) {
      const n = core.config.nodes.nodes[entry];
      return n ? [n.ae, n.host, String(n.port), n.compression ?? ''] : undefined;
    },
    async sqlDef(table, entry) {
      const level = DICOM_SQL_LEVELS[table];
      const line = core.config.indexSchema.entries.filter((e) => e.level === level)[entry];
      return line
        ? [line.tag >>> 16, line.tag & 0xffff, line.column, line.length, line.sqlType, line.dicomType]
        : undefined;
    },
    async gpps(section, key) {
      if (SECRET.test(key)) return undefined;
      return core.config.ini.get(section || 'sscscp', key)?.value;
    },
    async changeUid(oldUid, proposed, stage) {
      const oneWay = stage.startsWith('#');
      const name = oneWay ? stage.slice(1) : stage;
      if (oneWay) return newUidFor(oldUid, name, undefined);
      const newUid = proposed || newUidFor(oldUid, name, await archiveUidKey(core.config.configDir));
      await core.index.uidMapStore().remember([{ stage: name, newUid, oldUid }]);
      return newUid;
    },
    async changeUidBack(newUid, stage) {
      return (await core.index.uidMapStore().oldUids(stage, [newUid])).get(newUid);
    },
    async global(name) {
      const known: Record<string, string> = {
        basedir: core.dataDir.endsWith(path.sep) ? core.dataDir : core.dataDir + path.sep,
        configfile: core.config.ini.file,
        dgateversion: IMPLEMENTATION_VERSION_NAME,
        statusstring: '',
      };
      const fixed = known[name.toLowerCase()];
      if (fixed !== undefined) return fixed;
      if (SECRET.test(name)) return undefined;
      return core.config.ini.get('sscscp', name)?.value;
    },
    async readObject(file) {
      const target = await confinedPath(core.dataDir, file, archiveFolders(core));
      const object = await readDataSetBytes(target).catch((err: Error) => {
        throw new Error(`${file}: ${err.message}`);
      });
      return parseDataSet(object.bytes, encodingOf(object.transferSyntaxUid));
    },
    async writeObject(file, dataSet) {
      const target = await confinedPath(core.dataDir, file, archiveFolders(core));
      await mkdir(path.dirname(target), { recursive: true });
      const object = outgoing(dataSet);
      const { bytes } = await object.read();
      const meta = encodeFileMeta({
        sopClassUid: object.sopClassUid,
        sopInstanceUid: object.sopInstanceUid,
        transferSyntaxUid: object.transferSyntaxUid,
      });
      await writeFile(target, Buffer.concat([meta, bytes as Buffer]));
    },
    async read(identifier) {
      const found = await core.index.instancesMatching(conditionsOf(identifier));
      const out: DataSet[] = [];
      for (const i of found.slice(0, MAX_READ)) {
        const head = await readObjectHead(core.store.absolutePath(i.location)).catch(() => undefined);
        if (head) out.push(head.dataSet);
      }
      return out;
    },
    async delete(identifier) {
      const conditions = conditionsOf(identifier);
      if (!conditions.some((c) => c.attr.tag === Tag.PatientID || c.attr.tag === Tag.StudyInstanceUID))
        throw new Error('dicomdelete names a PatientID or a StudyInstanceUID');
      const studies = new Set((await core.index.instancesMatching(conditions)).map((i) => i.studyInstanceUid ?? ''));
      studies.delete('');
      let deleted = 0;
      for (const study of studies) {
        const done = await core.removal.remove(study, 'deleted by a Lua script (dicomdelete)');
        if (done && done !== 'protected') {
          deleted++;
          core.audit.record({
            action: 'delete',
            user: 'lua',
            source: 'converters',
            studyUid: study,
            detail: `${done.objects} objects, by dicomdelete`,
          });
        }
      }
      return deleted;
    },
    oldestPatients: (max, device) => core.index.oldestPatients(device, max),
    async modify(identifier, script) {
      const conditions = conditionsOf(identifier);
      if (!conditions.some((c) => UNIQUE_KEYS.includes(c.attr.tag as (typeof UNIQUE_KEYS)[number])))
        throw new Error('newdicommodify names a PatientID, StudyInstanceUID, SeriesInstanceUID or SOPInstanceUID');
      // Checked now (what would queue other work is refused, as in a forward's script), run on each object later.
      checkForwardScript(script, scriptSourceOf(core.config.ini));
      if (!editor) throw new Error('newdicommodify does not run here');
      const job = await editor.modifyByScript(conditions, script, 'modified by a Lua script (newdicommodify)');
      return job.total;
    },
    async serverCommand(command) {
      const [verb, ...rest] = command.split(':');
      const argument = rest.join(':');
      if (verb === 'display_status') {
        const c = await core.index.counts();
        const queued = (await core.queue.list(['queued', 'running'])).length;
        return `${core.settings.aeTitle}: ${c.patients} patients, ${c.studies} studies, ${c.series} series, ${c.instances} objects; ${queued} jobs queued or running`;
      }
      if (verb === 'get_param') return (await this.gpps('sscscp', argument.trim())) ?? '';
      throw new Error(`"${verb}:" is not a server command this version runs (display_status:, get_param:)`);
    },
  };
}

/** The most objects one dicomread gives back. */
const MAX_READ = 1000;

const SECRET = /password|secret|privatekey|token/i;

/** A query object's keys with values (single values: UIDs, IDs, names) as the index's conditions. */
function conditionsOf(identifier: DataSet): Condition[] {
  const out: Condition[] = [];
  for (const [tag, e] of identifier) {
    const attr = QR_BY_TAG.get(tag);
    if (!attr || isSequence(e)) continue;
    const value = textOf(e);
    if (value && !/[*?\\]/.test(value)) out.push({ attr, match: { kind: 'single', value } });
  }
  return out;
}

/**
 * The services for the Automation screen's try, which decides without doing: what only reads (echo, query, the index,
 * acrnema.map, dicom.ini, changeuidback) is answered, changeuid gives its UID without keeping the pair; what would
 * change something elsewhere (move, store) fails with what it would have done, which the try shows.
 */
export function trialServices(real: LuaServices, core: ArchiveCore): LuaServices {
  const wouldNot = (what: string) => Promise.reject(new Error(`a try does not run this: ${what}`));
  return {
    ...real,
    move: (ae, destination) => wouldNot(`move from ${ae} to ${destination}`),
    store: (ae, objects) => wouldNot(`store ${objects.length} object(s) to ${ae}`),
    get: (ae) => wouldNot(`get objects from ${ae}`),
    popen: (command) => wouldNot(`run ${command}`),
    writeObject: (file) => wouldNot(`write ${file}`),
    delete: () => wouldNot('delete studies (dicomdelete)'),
    modify: (_identifier, script) => wouldNot(`modify stored objects (newdicommodify: ${script})`),
    // The same UID as for real, not kept in the index.
    changeUid: async (oldUid, proposed, stage) =>
      stage.startsWith('#')
        ? real.changeUid(oldUid, proposed, stage)
        : proposed || newUidFor(oldUid, stage, await archiveUidKey(core.config.configDir)),
  };
}

function levelOf(level: string): (typeof LEVEL_NAMES)[number] {
  const name = level.toUpperCase();
  const found = LEVEL_NAMES.find((l) => l === name);
  if (!found) throw new Error(`"${level}" is not PATIENT, STUDY, SERIES or IMAGE`);
  return found;
}

/** A query to our own AE title: the index's answers, as a C-FIND to us would give them. */
async function localAnswers(core: ArchiveCore, level: string, identifier: DataSet): Promise<DataSet[]> {
  const charset = new CharacterSet(textOf(identifier.get(Tag.SpecificCharacterSet)) || undefined);
  const keys: Record<string, string> = {};
  for (const [tag, e] of identifier) {
    const keyword = keywordOf(tag);
    if (!keyword || isSequence(e) || tag === Tag.QueryRetrieveLevel || tag === Tag.SpecificCharacterSet) continue;
    keys[keyword] = textOf(e, (b) => charset.decode(b));
  }
  const rows = await findLocal(core.index, { level: level as 'STUDY', keys });
  return rows.map((row) => {
    const ds: DataSet = new Map([
      [Tag.SpecificCharacterSet, textElement(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 192')],
    ]);
    ds.set(Tag.QueryRetrieveLevel, textElement(Tag.QueryRetrieveLevel, 'CS', level));
    for (const [keyword, value] of Object.entries(row)) {
      const tag = keywordTag(keyword)?.tag;
      if (tag !== undefined) ds.set(tag, textElement(tag, vrOf(tag), Buffer.from(String(value ?? ''), 'utf8')));
    }
    return byTag(ds);
  });
}

/** An object a script holds, as a C-STORE sends it (explicit VR little endian). */
function outgoing(ds: DataSet): OutgoingObject {
  const sopClassUid = textOf(ds.get(Tag.SOPClassUID));
  const sopInstanceUid = textOf(ds.get(Tag.SOPInstanceUID));
  if (!sopClassUid || !sopInstanceUid)
    throw new Error('dicomstore sends objects with a SOPClassUID and a SOPInstanceUID');
  const bytes = encodeDataSet(ds, encodingOf(TransferSyntax.ExplicitLittleEndian));
  return {
    sopClassUid,
    sopInstanceUid,
    transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
    read: async () => ({ bytes, length: bytes.length }),
  };
}
