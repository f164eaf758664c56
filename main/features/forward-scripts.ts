import type { ArchiveCore } from '../core/archive-core.ts';
import type { ForwardScriptRunner } from '../archive/job-runners.ts';
import type { LuaHost } from '../automation/lua-host.ts';
import { DataSetScanner } from '../dicom/dataset-scanner.ts';
import { encodeDataSet, parseDataSet, textOf } from '../dicom/dataset.ts';
import { Tag } from '../dicom/tags.ts';
import { encodingOf } from '../../common/uids.ts';
import { wholeBytes } from '../util/whole-bytes.ts';
import { scriptRuns } from './script-runs.ts';

/**
 * Conquest's `forward ... script "..."`: the converter commands of the clause run on each copy as it is read to be sent
 * (the stored object never changes): its attributes before Pixel Data are parsed, changed, and encoded again in its
 * syntax, the rest is sent as it is. `newuids` gives the copy new UIDs (kept, so `olduids` can undo them) and the
 * C-STORE carries its new SOP Instance UID; `destroy` or `reject` leaves that object out (the job counts it done).
 * A script that fails fails that object's send, with its error; the job retries it as it retries any refusal.
 */
export function forwardScriptRunner(core: ArchiveCore, lua: LuaHost): ForwardScriptRunner {
  const run = scriptRuns(core, lua);
  return async (script, read, copy) => {
    const bytes = await wholeBytes(read.bytes);
    const syntax = read.transferSyntaxUid ?? copy.transferSyntaxUid;
    const encoding = encodingOf(syntax);
    if (encoding.deflated) throw new Error('a forward script cannot change a deflated object');
    const scanner = new DataSetScanner(encoding, new Set());
    scanner.push(bytes);
    const headLength = scanner.pixelDataOffset ?? bytes.length;
    const dataSet = parseDataSet(bytes.subarray(0, headLength), encoding);
    const name = `the script of a forward to ${copy.destination}`;
    const result = await run(script, dataSet, {
      name,
      sopInstanceUid: copy.sopInstanceUid,
      callingAe: copy.callingAe,
      calledAe: copy.destination,
    });
    if (result.outcome !== 'store')
      return { bytes: Buffer.alloc(0), length: 0, skipped: `${name} said ${result.outcome}` };
    if (!result.changed) return { bytes, length: bytes.length, transferSyntaxUid: syntax };
    const changed = Buffer.concat([encodeDataSet(result.dataSet, encoding), bytes.subarray(headLength)]);
    const sop = textOf(result.dataSet.get(Tag.SOPInstanceUID));
    return {
      bytes: changed,
      length: changed.length,
      transferSyntaxUid: syntax,
      ...(sop && sop !== copy.sopInstanceUid ? { sopInstanceUid: sop } : {}),
    };
  };
}
