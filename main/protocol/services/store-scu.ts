import type { Association, PresentationContext } from '../association.ts';
import { CommandField, Priority } from '../command.ts';
import type { ProposedContext } from '../pdu.ts';
import { Status, formatStatus } from '../../dicom/status.ts';
import { UNCOMPRESSED_SYNTAXES } from '../../../common/uids.ts';
import { JPEG_SYNTAXES, LOSSY_SYNTAXES, type CompressionPlan } from '../../../common/compression-code.ts';
import { wholeBytes } from '../../util/whole-bytes.ts';

/** How an object is encoded into a lossy syntax: the quality an admin chose (1-100, Conquest's NN). */
export interface EncodeOptions {
  quality?: number;
}

/**
 * The protocol's way to the codecs (main/codec/ implements it; the server hands it in): whether a stored syntax
 * converts to another, and the conversion, so that an object can go in a syntax the peer accepted.
 */
export interface TranscodePort {
  canTranscode(from: string, to: string, options?: EncodeOptions): boolean;
  transcode(dataSet: Buffer, from: string, to: string, options?: EncodeOptions): Promise<Buffer>;
}

/**
 * Storage SCU (PS3.4 B.2): sending objects over an established association, for C-MOVE and C-GET sub-operations and
 * for sends the job queue starts. What is proposed and which accepted syntax an object goes in follow the destination
 * node's compression code (acrnema.map's fourth column, as Conquest reads it):
 * - as/is (and C-GET, where the requester proposes): the stored syntax when the peer accepted it, else an accepted
 *   uncompressed one it converts to, else a lossless compressed one it can be encoded in;
 * - un: uncompressed only (uj: JPEG as stored);
 * - a compressing code (js, jk, j1-j4, j7, jl): that syntax when accepted (encoded in the codec workers, lossy ones at
 *   the code's quality), else uncompressed. An object that cannot be encoded goes uncompressed instead.
 */

const KEEP: CompressionPlan = { kind: 'keep' };

export interface OutgoingObject {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /**
   * The data set bytes, in `transferSyntaxUid` — or in the syntax the read itself names, which wins: a stored file
   * recompressed in the background since the index was read says so in its own header.
   */
  read(): Promise<ReadObject>;
  /** Not here yet: fetched for this retrieve from another node (a virtual server's upstream); resolves once stored. */
  arrival?: () => Promise<void>;
}

export interface ReadObject {
  bytes: Buffer | AsyncIterable<Uint8Array>;
  length: number;
  transferSyntaxUid?: string;
  /** The copy's own SOP Instance UID, when the read changed it (a forward's script said `newuids`). */
  sopInstanceUid?: string;
  /** Not to be sent, and why (a forward's script said `destroy`): counted as done, nothing goes to the peer. */
  skipped?: string;
}

export type SendOutcome = 'completed' | 'warning' | 'failed';

export interface SendResult {
  outcome: SendOutcome;
  status?: number;
  reason: string;
  /** Data set bytes sent. */
  size?: number;
  /** The SOP Instance UID it went as, when not its own (a forward's script gave it new UIDs). */
  sentAs?: string;
  /** Not sent: a forward's script or imagetype left it out (the outcome is 'completed'). */
  skipped?: boolean;
}

/** Contexts are numbered 1, 3, … 255: at most 128 in one association (PS3.8 9.3.2.2). */
const MAX_CONTEXTS = 128;

/**
 * The presentation contexts to propose for these objects: per SOP class, one context for each stored transfer syntax
 * (so an object can go exactly as stored), and one offering every uncompressed syntax when some object of the class
 * can become uncompressed (so it can still go, converted or decoded, to a node that takes only one of them). Contexts
 * are split into groups of at most 128, each group being one association with the objects it can carry.
 */
export function planAssociations<T extends OutgoingObject>(
  objects: T[],
  codecs: TranscodePort,
  plan: CompressionPlan = KEEP,
): { contexts: ProposedContext[]; objects: T[] }[] {
  const byClass = new Map<string, Map<string, T[]>>();
  for (const o of objects) {
    let bySyntax = byClass.get(o.sopClassUid);
    if (!bySyntax) {
      bySyntax = new Map();
      byClass.set(o.sopClassUid, bySyntax);
    }
    const list = bySyntax.get(o.transferSyntaxUid);
    if (list) list.push(o);
    else bySyntax.set(o.transferSyntaxUid, [o]);
  }
  const groups: { contexts: ProposedContext[]; objects: T[] }[] = [];
  let current: { contexts: ProposedContext[]; objects: T[] } | undefined;
  for (const [sopClass, bySyntax] of byClass) {
    const wanted = proposals([...bySyntax.keys()], plan, codecs);
    if (!current || current.contexts.length + wanted.length > MAX_CONTEXTS) {
      current = { contexts: [], objects: [] };
      groups.push(current);
    }
    for (const transferSyntaxes of wanted)
      current.contexts.push({ id: current.contexts.length * 2 + 1, abstractSyntax: sopClass, transferSyntaxes });
    for (const list of bySyntax.values()) current.objects.push(...list);
  }
  return groups;
}

/** The transfer syntax lists to propose for one SOP class whose objects are stored in `stored`. */
function proposals(stored: string[], plan: CompressionPlan, codecs: TranscodePort): string[][] {
  const native = UNCOMPRESSED_SYNTAXES[0]!;
  const uncompressed = [...UNCOMPRESSED_SYNTAXES];
  const decodable = stored.some((ts) => codecs.canTranscode(ts, native));
  switch (plan.kind) {
    case 'keep':
      return decodable ? [...stored.map((ts) => [ts]), uncompressed] : stored.map((ts) => [ts]);
    case 'uncompressed': {
      const kept = stored.filter(
        (ts) =>
          UNCOMPRESSED_SYNTAXES.includes(ts) ||
          (plan.keepJpeg && JPEG_SYNTAXES.has(ts)) ||
          !codecs.canTranscode(ts, native),
      );
      return [...kept.map((ts) => [ts]), ...(decodable ? [uncompressed] : [])];
    }
    case 'compress': {
      // What cannot be decoded can only go as it is.
      const stuck = stored.filter((ts) => !codecs.canTranscode(ts, native) && ts !== plan.transferSyntax);
      return [[plan.transferSyntax], uncompressed, ...stuck.map((ts) => [ts])];
    }
  }
}

/** The encoding options for sending into `transferSyntax` under `plan` (a lossy code's quality for its own syntax). */
function encodeOptions(plan: CompressionPlan, transferSyntax: string): EncodeOptions | undefined {
  return plan.kind === 'compress' && plan.transferSyntax === transferSyntax && plan.quality !== undefined
    ? { quality: plan.quality }
    : undefined;
}

/**
 * The accepted contexts an object may go on, best first (see the plans above); each must be reachable from the stored
 * syntax. Lossy-compressed objects are never compressed lossy again (the losses would add up).
 */
export function contextsFor(
  assoc: Association,
  obj: OutgoingObject,
  codecs: TranscodePort,
  usable: (ctx: PresentationContext) => boolean = () => true,
  plan: CompressionPlan = KEEP,
): PresentationContext[] {
  const rank = (ts: string): number => {
    const uncompressed = UNCOMPRESSED_SYNTAXES.includes(ts);
    if (plan.kind === 'compress') {
      if (ts === plan.transferSyntax)
        return plan.quality !== undefined && LOSSY_SYNTAXES.has(obj.transferSyntaxUid) && ts !== obj.transferSyntaxUid
          ? -1
          : 0;
      return uncompressed ? 1 : ts === obj.transferSyntaxUid ? 2 : -1;
    }
    if (plan.kind === 'uncompressed') {
      const keepsStored =
        ts === obj.transferSyntaxUid &&
        (uncompressed ||
          (plan.keepJpeg && JPEG_SYNTAXES.has(ts)) ||
          !codecs.canTranscode(ts, UNCOMPRESSED_SYNTAXES[0]!));
      return keepsStored ? 0 : uncompressed ? 1 : -1;
    }
    return ts === obj.transferSyntaxUid ? 0 : uncompressed ? 1 : 2;
  };
  const found: [number, PresentationContext][] = [];
  for (const ctx of assoc.contexts.values()) {
    if (ctx.abstractSyntax !== obj.sopClassUid || !usable(ctx)) continue;
    const r = rank(ctx.transferSyntax);
    if (
      r < 0 ||
      !codecs.canTranscode(obj.transferSyntaxUid, ctx.transferSyntax, encodeOptions(plan, ctx.transferSyntax))
    )
      continue;
    found.push([r, ctx]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, ctx]) => ctx);
}

export function outcomeOf(status: number): SendOutcome {
  if (status === Status.Success) return 'completed';
  if ((status & 0xf000) === 0xb000 || status === 0x0001) return 'warning';
  return 'failed';
}

/** An object ready to go on an association: the context it goes on and its bytes in that context's syntax. */
export type PreparedObject =
  | { ctx: PresentationContext; data: Buffer | AsyncIterable<Uint8Array>; size: number; sopInstanceUid?: string }
  | { failed: string }
  | { skipped: string };

/**
 * Choose the object's context, read it, and convert, decode or encode it to the context's syntax when it must be; when
 * that fails, the next accepted context (an image no encoder takes goes uncompressed). Never throws.
 */
export async function prepareObject(
  assoc: Association,
  obj: OutgoingObject,
  codecs: TranscodePort,
  usable: (ctx: PresentationContext) => boolean = () => true,
  plan: CompressionPlan = KEEP,
): Promise<PreparedObject> {
  let read: ReadObject;
  try {
    read = await obj.read();
  } catch (err) {
    return { failed: `cannot read ${obj.sopInstanceUid}: ${(err as Error).message}` };
  }
  if (read.skipped !== undefined) return { skipped: read.skipped };
  const own = read.sopInstanceUid === undefined ? {} : { sopInstanceUid: read.sopInstanceUid };
  const stored = read.transferSyntaxUid ?? obj.transferSyntaxUid;
  const candidates = contextsFor(
    assoc,
    stored === obj.transferSyntaxUid ? obj : { ...obj, transferSyntaxUid: stored },
    codecs,
    usable,
    plan,
  );
  if (!candidates.length)
    return {
      failed: `no presentation context was accepted for ${obj.sopClassUid} in ${stored} or a syntax it converts to`,
    };
  const reasons: string[] = [];
  let whole: Buffer | undefined;
  for (const ctx of candidates) {
    if (ctx.transferSyntax === stored) return { ctx, data: whole ?? read.bytes, size: read.length, ...own };
    try {
      whole ??= await wholeBytes(read.bytes);
      const data = await codecs.transcode(whole, stored, ctx.transferSyntax, encodeOptions(plan, ctx.transferSyntax));
      return { ctx, data, size: data.length, ...own };
    } catch (err) {
      reasons.push(`to ${ctx.transferSyntax}: ${(err as Error).message}`);
    }
  }
  return { failed: `cannot convert ${obj.sopInstanceUid}: ${reasons.join('; ')}` };
}

/** Send one object with C-STORE and wait for the response; never throws for what the peer answers. */
export async function sendObject(
  assoc: Association,
  obj: OutgoingObject,
  codecs: TranscodePort,
  options: {
    usable?: (ctx: PresentationContext) => boolean;
    moveOriginator?: { ae: string; messageId: number };
    plan?: CompressionPlan;
    /** The object already being prepared (see prepareAhead). */
    prepared?: Promise<PreparedObject>;
  } = {},
): Promise<SendResult> {
  const prepared = await (options.prepared ?? prepareObject(assoc, obj, codecs, options.usable, options.plan));
  if ('failed' in prepared) return { outcome: 'failed', reason: prepared.failed };
  if ('skipped' in prepared)
    return { outcome: 'completed', reason: `not sent: ${prepared.skipped}`, size: 0, skipped: true };
  const rsp = await assoc.request(
    prepared.ctx.id,
    {
      commandField: CommandField.CStoreRQ,
      messageId: assoc.nextMessageId(),
      affectedSopClassUid: obj.sopClassUid,
      affectedSopInstanceUid: prepared.sopInstanceUid ?? obj.sopInstanceUid,
      priority: Priority.Medium,
      moveOriginatorAe: options.moveOriginator?.ae,
      moveOriginatorMessageId: options.moveOriginator?.messageId,
      hasDataSet: true,
    },
    prepared.data,
  );
  const status = rsp.command.status ?? Status.ProcessingFailure;
  const outcome = outcomeOf(status);
  const comment = rsp.command.errorComment ? `: ${rsp.command.errorComment}` : '';
  const sentAs = prepared.sopInstanceUid !== undefined && prepared.sopInstanceUid !== obj.sopInstanceUid;
  return {
    outcome,
    status,
    reason: `${formatStatus(status)}${comment}`,
    size: prepared.size,
    ...(sentAs ? { sentAs: prepared.sopInstanceUid } : {}),
  };
}

/** How many objects ahead preparation starts; their bytes are held until sent. */
const READ_AHEAD = 3;

/**
 * Each object with its preparation (read, and decoding in the codec workers when the peer needs it) started a few
 * ahead: reading and decoding the next ones overlap sending the current, on every core.
 */
export function* prepareAhead(
  assoc: Association,
  objects: OutgoingObject[],
  codecs: TranscodePort,
  usable?: (ctx: PresentationContext) => boolean,
  plan?: CompressionPlan,
): Generator<{ obj: OutgoingObject; prepared: Promise<PreparedObject> }> {
  const started: Promise<PreparedObject>[] = [];
  for (let i = 0; i < objects.length; i++) {
    while (started.length < READ_AHEAD && i + started.length < objects.length)
      started.push(prepareObject(assoc, objects[i + started.length]!, codecs, usable, plan));
    yield { obj: objects[i]!, prepared: started.shift()! };
  }
}
