import type { Association } from './dicom/association.ts';
import type { ArchiveEvents } from './events.ts';

/** Report an association's opening (once established) and closing on the event stream. */
export function watchAssociation(assoc: Association, events: ArchiveEvents): void {
  const describe = () => ({
    id: assoc.id, role: assoc.role, peer: assoc.remote, callingAe: assoc.callingAe, calledAe: assoc.calledAe,
    contexts: [...assoc.contexts.values()].map((c) => ({ abstractSyntax: c.abstractSyntax, transferSyntax: c.transferSyntax })),
  });
  let opened = false;
  assoc.once('established', () => {
    opened = true;
    events.emit('association', { type: 'opened', ...describe() });
  });
  assoc.once('closed', (reason: string) => {
    if (opened) events.emit('association', { type: 'closed', ...describe(), reason });
  });
}
