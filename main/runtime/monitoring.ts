import type { Association } from '../protocol/association.ts';
import type { RetrieveDependencies } from '../protocol/services/retrieve-scp.ts';
import { Status } from '../dicom/status.ts';
import { commandName } from '../protocol/command.ts';
import type { ArchiveEvents } from './events.ts';

/** While objects go over an association, its time per object is reported at most this often. */
const TIMING_INTERVAL_MS = 1000;

/** Report an association's opening (once established), its time per object while objects go, and its closing. */
export function watchAssociation(assoc: Association, events: ArchiveEvents): void {
  const describe = () => ({
    id: assoc.id,
    role: assoc.role,
    peer: assoc.remote,
    callingAe: assoc.callingAe,
    calledAe: assoc.calledAe,
    contexts: [...assoc.contexts.values()].map((c) => ({
      abstractSyntax: c.abstractSyntax,
      transferSyntax: c.transferSyntax,
    })),
  });
  const timing = () =>
    assoc.storeTimes.count ? { objectsTimed: assoc.storeTimes.count, msPerObject: assoc.storeTimes.median() } : {};
  let opened = false;
  let reported = 0;
  let later: NodeJS.Timeout | undefined;
  const report = () => {
    later = undefined;
    reported = performance.now();
    events.emit('association', { type: 'timing', ...describe(), ...timing() });
  };
  const timed = (role: 'scp' | 'scu') => (command: number, ms: number, status: number) =>
    events.emit('dimse', {
      role,
      command: commandName(command).replace(/-RQ$/, ''),
      peerAe: assoc.role === 'acceptor' ? assoc.callingAe : assoc.calledAe,
      ms,
      status,
    });
  assoc.on('answered', timed('scp'));
  assoc.on('requested', timed('scu'));
  assoc.once('established', () => {
    opened = true;
    events.emit('association', { type: 'opened', ...describe() });
  });
  assoc.on('stored', () => {
    if (!opened || later) return;
    const wait = reported + TIMING_INTERVAL_MS - performance.now();
    if (wait <= 0) report();
    else later = setTimeout(report, wait);
  });
  assoc.once('closed', (reason: string) => {
    clearTimeout(later);
    if (opened) events.emit('association', { type: 'closed', ...describe(), reason, ...timing() });
  });
}

/** C-MOVE's sub-associations and the objects C-MOVE and C-GET send, on the event stream like any other. */
export function retrieveObserver(events: ArchiveEvents): NonNullable<RetrieveDependencies['observer']> {
  return {
    association: (sub) => watchAssociation(sub, events),
    sent: (via, obj, r) =>
      events.emit('object', {
        direction: 'sent',
        // A C-GET's objects go back on its own association; a C-MOVE's on one we open to its destination.
        service: via.role === 'acceptor' ? 'C-GET' : 'C-MOVE',
        associationId: via.id,
        peerAe: via.role === 'acceptor' ? via.callingAe : via.calledAe,
        sopInstanceUid: obj.sopInstanceUid,
        sopClassUid: obj.sopClassUid,
        transferSyntaxUid: obj.transferSyntaxUid,
        size: r.size ?? 0,
        status: r.status ?? (r.outcome === 'failed' ? Status.ProcessingFailure : Status.Success),
      }),
  };
}
