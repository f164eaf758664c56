import {
  ContextResult,
  RejectReason,
  RejectResult,
  RejectSource,
  type AcceptedContext,
  type AssociateRQ,
  type RoleSelection,
} from './pdu.ts';
import {
  APPLICATION_CONTEXT,
  STORAGE_COMMITMENT_SOP_CLASS,
  UNCOMPRESSED_SYNTAXES,
  VERIFICATION_SOP_CLASS,
} from '../../common/uids.ts';

/** What this archive accepts: its AE title, the peers it knows, and the SOP classes and transfer syntaxes it takes. */
export interface AcceptancePolicy {
  aeTitle: string;
  /** Accept an association whatever Called AE Title the peer used. */
  acceptAnyCalledAe: boolean;
  /** When set, the Calling AE Title must be one of these known nodes (wildcards allowed). */
  knownCallingAe?: (callingAe: string) => boolean;
  /** SOP classes accepted (Verification is always accepted). */
  sopClasses: ReadonlySet<string>;
  /** Transfer syntaxes accepted, for any SOP class. */
  transferSyntaxes: ReadonlySet<string>;
  /** Why this calling AE may not associate from this address (the archive's per-node rules); undefined when it may. */
  callerRefused?: (callingAe: string, address: string) => string | undefined;
  /** Whether the calling AE may use a SOP class (`receiving`: storage it receives as SCP, C-GET's sub-operations). */
  mayUse?: (callingAe: string, sopClass: string, receiving: boolean) => boolean;
}

export interface Rejection {
  result: number;
  source: number;
  reason: number;
  why: string;
}

export interface NegotiationResult {
  rejection?: Rejection;
  contexts: AcceptedContext[];
  roles: RoleSelection[];
}

/**
 * Decide the A-ASSOCIATE-AC or -RJ for a request (PS3.8 7.1.1, 9.3.3.2). Within a context the requestor's order of
 * transfer syntaxes is its preference, and we take the first we support, so objects are stored as the modality sent them.
 */
export function negotiate(rq: AssociateRQ, policy: AcceptancePolicy, peerAddress = ''): NegotiationResult {
  const reject = (reason: number, why: string, source: number = RejectSource.ServiceUser): NegotiationResult => ({
    rejection: { result: RejectResult.Permanent, source, reason, why },
    contexts: [],
    roles: [],
  });
  if (rq.applicationContext !== APPLICATION_CONTEXT) {
    return reject(
      RejectReason.ApplicationContextNotSupported,
      `application context ${rq.applicationContext} not supported`,
    );
  }
  if (!policy.acceptAnyCalledAe && rq.calledAe.toUpperCase() !== policy.aeTitle.toUpperCase()) {
    return reject(
      RejectReason.CalledAeNotRecognized,
      `called AE title "${rq.calledAe}" is not ours ("${policy.aeTitle}")`,
    );
  }
  if (policy.knownCallingAe && !policy.knownCallingAe(rq.callingAe)) {
    return reject(RejectReason.CallingAeNotRecognized, `calling AE title "${rq.callingAe}" is not a known node`);
  }
  const refused = policy.callerRefused?.(rq.callingAe, peerAddress);
  if (refused) return reject(RejectReason.CallingAeNotRecognized, refused);
  // Storage classes the requestor wants to receive (C-GET) get an uncompressed syntax when it offers one: every
  // uncompressed object can be converted to it, while a compressed syntax would carry only objects stored so.
  const receiving = new Set(
    rq.userInfo.roles.filter((r) => r.scpRole && isStorageClass(r.sopClass)).map((r) => r.sopClass),
  );
  const contexts = rq.contexts.map((pc): AcceptedContext => {
    const known = pc.abstractSyntax === VERIFICATION_SOP_CLASS || policy.sopClasses.has(pc.abstractSyntax);
    if (!known)
      return {
        id: pc.id,
        result: ContextResult.AbstractSyntaxNotSupported,
        transferSyntax: pc.transferSyntaxes[0] ?? '',
      };
    // PS3.8 9.3.3.2: a context the calling node has no right to is rejected by the user (us), not as unknown.
    if (
      pc.abstractSyntax !== VERIFICATION_SOP_CLASS &&
      policy.mayUse &&
      !policy.mayUse(rq.callingAe, pc.abstractSyntax, receiving.has(pc.abstractSyntax))
    ) {
      return { id: pc.id, result: ContextResult.UserRejection, transferSyntax: pc.transferSyntaxes[0] ?? '' };
    }
    const supported = pc.transferSyntaxes.filter((t) => policy.transferSyntaxes.has(t));
    const ts =
      (receiving.has(pc.abstractSyntax) ? supported.find((t) => UNCOMPRESSED_SYNTAXES.includes(t)) : undefined) ??
      supported[0];
    if (!ts)
      return {
        id: pc.id,
        result: ContextResult.TransferSyntaxesNotSupported,
        transferSyntax: pc.transferSyntaxes[0] ?? '',
      };
    return { id: pc.id, result: ContextResult.Acceptance, transferSyntax: ts };
  });
  if (!contexts.some((c) => c.result === ContextResult.Acceptance)) {
    const classes = [...new Set(rq.contexts.map((c) => c.abstractSyntax))].join(', ');
    // The per-context results stay with the rejection, so that the archive can say which were refused and why.
    return {
      ...reject(
        RejectReason.NoReasonGiven,
        `no acceptable presentation context among ${rq.contexts.length} proposed (${classes || 'none'})`,
      ),
      contexts,
    };
  }
  // A requestor may take the SCP role for storage classes, so that C-GET can send it objects on this association
  // (PS3.7 D.3.3.4, PS3.4 C.4.3), and for Storage Commitment, to report on a request of ours (PS3.4 J.3.3.1.3); for
  // the services we provide it stays SCU.
  const accepted = new Set(
    contexts
      .filter((c) => c.result === ContextResult.Acceptance)
      .map((c) => rq.contexts.find((p) => p.id === c.id)!.abstractSyntax),
  );
  const roles = rq.userInfo.roles
    .filter((r) => accepted.has(r.sopClass))
    .map((r) => ({
      sopClass: r.sopClass,
      scuRole: r.scuRole,
      scpRole: r.scpRole && (isStorageClass(r.sopClass) || r.sopClass === STORAGE_COMMITMENT_SOP_CLASS),
    }));
  return { contexts, roles };
}

/** Storage SOP classes live under 1.2.840.10008.5.1.4.1.1 (PS3.4 B.5); Query/Retrieve and worklist classes do not. */
export function isStorageClass(sopClass: string): boolean {
  return sopClass.startsWith('1.2.840.10008.5.1.4.1.1.');
}
