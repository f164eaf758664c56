import type { ArchiveCore } from '../core/archive-core.ts';
import type { ArrivalDecision, ArrivingObject } from '../archive/ingest.ts';
import type { LuaHost } from '../automation/lua-host.ts';
import { objectHeadOf, readObjectHead } from '../edit/object-rewrite.ts';
import { scriptedPath } from '../store/layout.ts';
import { msg } from '../../common/message.ts';

/**
 * Conquest's `FileNameSyntax = lua:expression` (`lua:Data.SOPInstanceUID..'.dcm'`, `lua:dofile('name.lua')`): each
 * arriving object's path under its storage folder is what the expression gives, run with `Data` the object as the
 * import converters left it. The path is made safe as a template's (folders by `/` or `\`, no reserved names, no `..`)
 * and must hold the object's SOP Instance UID, so that no two objects share a file; an expression that fails, gives
 * nothing or a path without the UID is said on the Monitor and the object goes where the default layout puts it.
 */
export async function scriptedFileName(
  core: ArchiveCore,
  object: ArrivingObject,
  lua: LuaHost,
): Promise<ArrivalDecision> {
  const { header } = object;
  const script = core.store.layoutScript;
  if (script === undefined) return { outcome: 'store', header };
  const held = object.held();
  const head = held ? await objectHeadOf(held, object.file) : await readObjectHead(object.file);
  const ran = await lua.run(
    {
      chunk: `return ${script}`,
      name: 'FileNameSyntax',
      dataSet: head.dataSet,
      association: {
        calling: object.callingAe,
        called: object.calledAe,
        connectedIp: object.peerAddress,
        thread: object.association,
      },
      timeoutMs: core.settings.luaTimeoutSeconds * 1000,
    },
    core.settings.luaMemoryMB << 20,
  );
  const relativePath = ran.value === undefined ? undefined : scriptedPath(ran.value);
  const problem =
    ran.error ??
    (relativePath === undefined
      ? 'it gave no file name'
      : // Looked for in what the script gave: a long path's segments are shortened to a hash (the same UID, the same
        // hash), so the UID may not be readable in the path itself.
        ran.value!.includes(header.sopInstanceUid)
        ? undefined
        : `${relativePath} does not hold the SOP Instance UID, so two objects could share it`);
  if (problem === undefined) return { outcome: 'store', header, relativePath };
  core.child('storage').error(`FileNameSyntax for ${header.sopInstanceUid}: ${problem}; stored by the default layout`);
  core.activity.problem(
    msg('FileNameSyntax could not name {uid}: {reason}; stored by the default layout', {
      uid: header.sopInstanceUid,
      reason: problem,
    }),
  );
  return { outcome: 'store', header };
}
