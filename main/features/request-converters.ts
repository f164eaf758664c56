import type { Feature } from '../core/feature.ts';
import { converterLookups } from './converter-lookups.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { IdentifierRequest } from '../protocol/services/identifier-checks.ts';
import { textOf, type DataSet } from '../dicom/dataset.ts';
import { Tag } from '../dicom/tags.ts';
import { encodeFileMeta } from '../store/part10.ts';
import { objectBytesWith, objectHeadOf } from '../edit/object-rewrite.ts';
import type { OutgoingObject } from '../protocol/services/store-scu.ts';
import { runConverters } from '../automation/converter-run.ts';
import { archiveUidKey, luaStep, oldUidsStep, writeConverterFiles } from '../automation/converter-steps.ts';
import type { LuaHost } from '../automation/lua-host.ts';
import { importConverters } from './import-converters.ts';
import { archiveFolders, runSystemCommands } from './converter-effects.ts';
import { queryRetrieve } from './query-retrieve.ts';
import { msg } from '../../common/message.ts';

/**
 * Conquest's converters on requests: QueryConverter0 on each C-FIND's identifier, WorkListQueryConverter0 on each
 * worklist C-FIND's, RetrieveConverter0 on each C-MOVE's and C-GET's (`%s` its move destination), before the request
 * is answered. They may change the identifier's keys, or drop the request (`destroy`, `destroy2`, `reject`: a query
 * then matches nothing, a retrieve is refused); a converter that fails leaves the request as it came, logged and shown
 * on the Monitor.
 */
export const requestConverters: Feature<undefined> = {
  name: 'request-converters',
  needs: [queryRetrieve, importConverters],
  start(core, { the }) {
    const { requestChecks } = the(queryRetrieve);
    const { scripts } = the(importConverters);
    requestChecks.add((request) => convertRequest(core, scripts, request));
    const resultKind = (kind: 'query' | 'worklist') => (kind === 'query' ? 'queryResult' : 'worklistResult');
    requestChecks.addAnswerCheck({
      active: (kind) => !!core.config.requestConverters[resultKind(kind)],
      check: (request, answer) =>
        convertRequest(core, scripts, request, answer, resultKind(request.kind as 'query' | 'worklist')),
    });
    requestChecks.addObjectCheck({
      active: () => !!core.config.requestConverters.retrieveResult,
      check: (request, object) => convertedOnRead(core, scripts, request, object),
    });
    return { provides: undefined };
  },
};

/**
 * RetrieveResultConverter0 (Conquest's, "experimental" there): the converters on each object a C-MOVE or C-GET sends,
 * when it is read to be sent; what they change goes out (the stored file stays as it is), a `destroy` or `reject`
 * leaves the object unsent (a failed sub-operation, with the reason). A changed SOP Instance UID (newuids) is the one
 * the C-STORE names.
 */
function convertedOnRead(
  core: ArchiveCore,
  lua: LuaHost,
  request: IdentifierRequest,
  object: OutgoingObject,
): OutgoingObject {
  const converted: OutgoingObject = {
    ...object,
    read: async () => {
      const original = await object.read();
      const transferSyntaxUid = original.transferSyntaxUid ?? object.transferSyntaxUid;
      const bytes = Buffer.isBuffer(original.bytes) ? original.bytes : await gathered(original.bytes);
      const meta = (ds?: DataSet) =>
        encodeFileMeta({
          sopClassUid: textOf(ds?.get(Tag.SOPClassUID)) || object.sopClassUid,
          sopInstanceUid: textOf(ds?.get(Tag.SOPInstanceUID)) || object.sopInstanceUid,
          transferSyntaxUid,
        });
      const chunks = [meta(), bytes];
      const head = await objectHeadOf(chunks, object.sopInstanceUid);
      const dataSet = await convertRequest(core, lua, request, head.dataSet, 'retrieveResult');
      if (!dataSet) throw new Error('not sent: dropped by RetrieveResultConverter0');
      if (dataSet === head.dataSet) return { bytes, length: bytes.length, transferSyntaxUid };
      const out = Buffer.concat(objectBytesWith(chunks, head, dataSet));
      const data = out.subarray(meta(dataSet).length);
      converted.sopInstanceUid = textOf(dataSet.get(Tag.SOPInstanceUID)) || object.sopInstanceUid;
      return { bytes: data, length: data.length, transferSyntaxUid };
    },
  };
  return converted;
}

async function gathered(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** A request converter on the request's identifier, or (a result converter: `data` and `kind` given) on one answer. */
async function convertRequest(
  core: ArchiveCore,
  lua: LuaHost,
  request: IdentifierRequest,
  data = request.identifier,
  kind: keyof ArchiveCore['config']['requestConverters'] = request.kind,
): Promise<DataSet | undefined> {
  const converter = core.config.requestConverters[kind];
  if (!converter) return data;
  const log = core.child('converters');
  try {
    const result = await runConverters(
      [converter.statements],
      data,
      {
        callingAe: request.callingAe,
        calledAe: request.calledAe,
        stationName: request.kind === 'retrieve' ? request.moveDestination : undefined,
        uidKey: await archiveUidKey(core.config.configDir),
        lookup: converterLookups(core),
      },
      luaStep(lua, core.settings, log, {
        name: () => converter.key,
        sopInstanceUid: `${request.kind} from ${request.callingAe}`,
        association: { calling: request.callingAe, called: request.calledAe, connectedIp: '', thread: 0 },
        command: {
          CommandField: request.commandField,
          MoveDestination: request.moveDestination,
          AffectedSOPClassUID: request.sopClassUid,
        },
      }),
      oldUidsStep(core.index.uidMapStore()),
    );
    for (const note of result.notes) log.info(`${converter.key} (${request.kind} from ${request.callingAe}): ${note}`);
    await writeConverterFiles(core.dataDir, result.files, log, archiveFolders(core));
    runSystemCommands(core, result.commands, converter.key);
    if (result.outcome !== 'store') {
      if (!result.quiet)
        log.info(
          `${converter.key} dropped ${kind.endsWith('Result') ? 'an answer to a' : 'a'} ${request.kind} from ${request.callingAe}`,
        );
      return undefined;
    }
    return result.dataSet;
  } catch (err) {
    const reason = (err as Error).message;
    log.error(`${converter.key} failed on a ${request.kind} from ${request.callingAe}, answered as asked: ${reason}`);
    core.activity.problem(
      msg('{converter} failed on a request from {ae}: {reason}', {
        converter: converter.key,
        ae: request.callingAe,
        reason,
      }),
    );
    return data;
  }
}
