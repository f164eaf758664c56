import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { LuaHook, LuaHookName } from '../config/lua-hooks.ts';
import type { LuaCall } from '../automation/lua-engine.ts';
import { LuaHost } from '../automation/lua-host.ts';
import { luaStep, writeConverterFiles } from '../automation/converter-steps.ts';
import { emptyResult, type ConverterResult } from '../automation/converter-run.ts';
import { dicomListener } from './dicom-listener.ts';
import { transfers } from './transfers.ts';
import { edit } from './edit.ts';
import { luaServices } from './lua-services.ts';
import { archiveFolders, luaScope, runSystemCommands } from './converter-effects.ts';
import { msg } from '../../common/message.ts';
import type { AssociationEvent } from '../runtime/events.ts';

/**
 * dicom.ini's `[lua]` hooks (config/lua-hooks.ts) run as Conquest runs them: `startup` once the archive serves,
 * `association` before a peer's association is accepted (its `reject()` refuses it; an error in it refuses nothing),
 * `command` for each request (`Command` holds its command fields), `endassociation` when one ends and `clienterror`
 * when one ends otherwise than by a release, `nightly` at 03:00 local time, `background` about once a second (never two
 * at once). Each runs in the scripts' own Lua states with the converters' environment and budget; what it prints goes
 * to the log under its name, an error to the log and the Monitor. A hook changed in dicom.ini runs from its next event.
 */
export const luaHooks: Feature<{ scripts: LuaHost }> = {
  name: 'lua-hooks',
  needs: [dicomListener, transfers, edit],
  start(core, { the }) {
    const scripts = new LuaHost(luaServices(core, the(transfers), the(edit)), luaScope(core, false, false));
    const hooks = () => core.config.luaHooks;
    const run = (hook: LuaHook, about: Partial<Pick<LuaCall, 'association' | 'command'>> = {}) =>
      runHook(core, scripts, hook, about);
    const ports = the(dicomListener);
    ports.admit(async (assoc) => {
      const hook = hooks().association;
      if (!hook) return undefined;
      const result = await run(hook, { association: associationOf(assoc) });
      return result?.outcome === 'reject' || result?.outcome === 'destroy'
        ? 'the [lua] association script rejected it'
        : undefined;
    });
    ports.observeRequests((assoc, request) => {
      const hook = hooks().command;
      if (!hook) return;
      const c = request.command;
      void run(hook, {
        association: associationOf(assoc),
        command: {
          CommandField: c.commandField,
          MessageID: c.messageId ?? 0,
          AffectedSOPClassUID: c.affectedSopClassUid ?? c.requestedSopClassUid ?? '',
          AffectedSOPInstanceUID: c.affectedSopInstanceUid ?? c.requestedSopInstanceUid ?? '',
          MoveDestination: c.moveDestination ?? '',
          Priority: c.priority ?? 0,
        },
      });
    });
    const onAssociation = (e: AssociationEvent) => {
      if (e.type !== 'closed' || e.role !== 'acceptor') return;
      const association = {
        calling: e.callingAe,
        called: e.calledAe,
        connectedIp: e.peer.replace(/:\d+$/, ''),
        thread: e.id,
      };
      const end = hooks().endassociation;
      if (end) void run(end, { association });
      const error = hooks().clienterror;
      if (error && e.reason !== 'released') void run(error, { association });
    };
    core.events.on('association', onAssociation);

    let background: NodeJS.Timeout | undefined;
    let backgroundRunning = false;
    let nightlyDone = '';
    const tick = () => {
      const now = new Date();
      const day = `${now.getFullYear()}-${now.getMonth()}-${now.getDate()}`;
      const nightly = hooks().nightly;
      if (nightly && now.getHours() === 3 && nightlyDone !== day) {
        nightlyDone = day;
        void run(nightly, { association: globalAssociation(core, 'nightly') });
      }
      const hook = hooks().background;
      if (hook && !backgroundRunning) {
        backgroundRunning = true;
        void run(hook, { association: globalAssociation(core, 'background') }).finally(() => {
          backgroundRunning = false;
        });
      }
    };
    return {
      provides: { scripts },
      serve: async () => {
        const startup = hooks().startup;
        if (startup) {
          const result = await run(startup, { association: globalAssociation(core, 'global') });
          if (result?.outcome === 'reject')
            core.child('lua').error('[lua] startup rejected the start; the archive serves all the same');
        }
        background = setInterval(tick, 1000);
        background.unref();
      },
      stop: async () => {
        clearInterval(background);
        core.events.off('association', onAssociation);
        await scripts.close();
      },
    };
  },
};

/** One hook's run: its effects (files, programs) done as a converter's would be; undefined when it failed. */
async function runHook(
  core: ArchiveCore,
  scripts: LuaHost,
  hook: LuaHook,
  about: Partial<Pick<LuaCall, 'association' | 'command'>>,
): Promise<ConverterResult | undefined> {
  const name = `[lua] ${hook.name}`;
  const log = core.child('lua');
  const association = about.association ?? globalAssociation(core, 'global');
  const result = emptyResult(new Map());
  try {
    await luaStep(scripts, core.settings, log, {
      name: () => name,
      sopInstanceUid: association.calling || association.connectedIp,
      association,
      command: about.command,
    })(hook.chunk, result, hook.line);
    for (const note of result.notes) log.info(`${name}: ${note}`);
    await writeConverterFiles(core.dataDir, result.files, log, archiveFolders(core));
    runSystemCommands(core, result.commands, name);
    return result;
  } catch (err) {
    const reason = (err as Error).message;
    log.error(`${name} failed: ${reason}`);
    core.activity.problem(
      msg('{converter} failed on a request from {ae}: {reason}', {
        converter: name,
        ae: association.calling || association.connectedIp,
        reason,
      }),
    );
    return undefined;
  }
}

function associationOf(assoc: { callingAe: string; calledAe: string; remoteAddress: string; id: number }) {
  return { calling: assoc.callingAe, called: assoc.calledAe, connectedIp: assoc.remoteAddress, thread: assoc.id };
}

/** What Conquest's hooks outside an association see: their own name where the peer's address would be. */
function globalAssociation(core: ArchiveCore, what: LuaHookName | 'global') {
  return { calling: '', called: core.settings.aeTitle, connectedIp: what, thread: 0 };
}
