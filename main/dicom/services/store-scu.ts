import type { Association, PresentationContext } from '../association.ts';
import { CommandField, Priority } from '../command.ts';
import type { ProposedContext } from '../pdu.ts';
import { Status, formatStatus } from '../status.ts';
import { transcoder } from '../../codec/transcoder.ts';
import { UNCOMPRESSED_SYNTAXES } from '../../../common/uids.ts';

/**
 * Storage SCU (PS3.4 B.2): sending objects over an established association, for C-MOVE and C-GET sub-operations and
 * for sends the job queue starts. Each object goes in its stored transfer syntax when the peer accepted it, or in an
 * accepted uncompressed one it can be converted to (decoded in the codec workers when it is compressed).
 */

export interface OutgoingObject {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** The data set bytes in `transferSyntaxUid`. */
  read(): Promise<{ bytes: Buffer | AsyncIterable<Uint8Array>; length: number }>;
}

export type SendOutcome = 'completed' | 'warning' | 'failed';

export interface SendResult {
  outcome: SendOutcome;
  status?: number;
  reason: string;
  /** Data set bytes sent. */
  size?: number;
}

/** Contexts are numbered 1, 3, … 255: at most 128 in one association (PS3.8 9.3.2.2). */
const MAX_CONTEXTS = 128;

/**
 * The presentation contexts to propose for these objects: per SOP class, one context for each stored transfer syntax
 * (so an object can go exactly as stored), and one offering every uncompressed syntax when some object of the class
 * can become uncompressed (so it can still go, converted or decoded, to a node that takes only one of them). Contexts
 * are split into groups of at most 128, each group being one association with the objects it can carry.
 */
export function planAssociations<T extends OutgoingObject>(objects: T[]): { contexts: ProposedContext[]; objects: T[] }[] {
  const byClass = new Map<string, Map<string, T[]>>();
  for (const o of objects) {
    let bySyntax = byClass.get(o.sopClassUid);
    if (!bySyntax) { bySyntax = new Map(); byClass.set(o.sopClassUid, bySyntax); }
    const list = bySyntax.get(o.transferSyntaxUid);
    if (list) list.push(o); else bySyntax.set(o.transferSyntaxUid, [o]);
  }
  const groups: { contexts: ProposedContext[]; objects: T[] }[] = [];
  let current: { contexts: ProposedContext[]; objects: T[] } | undefined;
  for (const [sopClass, bySyntax] of byClass) {
    const syntaxes = [...bySyntax.keys()];
    const wanted = syntaxes.map((ts) => [ts]);
    const native = UNCOMPRESSED_SYNTAXES[0]!;
    if (syntaxes.some((ts) => transcoder.canTranscode(ts, native))) wanted.push([...UNCOMPRESSED_SYNTAXES]);
    if (!current || current.contexts.length + wanted.length > MAX_CONTEXTS) { current = { contexts: [], objects: [] }; groups.push(current); }
    for (const transferSyntaxes of wanted) current.contexts.push({ id: current.contexts.length * 2 + 1, abstractSyntax: sopClass, transferSyntaxes });
    for (const list of bySyntax.values()) current.objects.push(...list);
  }
  return groups;
}

/**
 * The accepted context to send an object on: its own transfer syntax when accepted, else an uncompressed one it converts
 * or decodes to, else a compressed one it can be encoded in.
 */
export function contextFor(assoc: Association, obj: OutgoingObject, usable: (ctx: PresentationContext) => boolean = () => true): PresentationContext | undefined {
  let uncompressed: PresentationContext | undefined;
  let encoded: PresentationContext | undefined;
  for (const ctx of assoc.contexts.values()) {
    if (ctx.abstractSyntax !== obj.sopClassUid || !usable(ctx)) continue;
    if (ctx.transferSyntax === obj.transferSyntaxUid) return ctx;
    if (!transcoder.canTranscode(obj.transferSyntaxUid, ctx.transferSyntax)) continue;
    if (UNCOMPRESSED_SYNTAXES.includes(ctx.transferSyntax)) uncompressed ??= ctx; else encoded ??= ctx;
  }
  return uncompressed ?? encoded;
}

export function outcomeOf(status: number): SendOutcome {
  if (status === Status.Success) return 'completed';
  if ((status & 0xf000) === 0xb000 || status === 0x0001) return 'warning';
  return 'failed';
}

async function collect(bytes: Buffer | AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (Buffer.isBuffer(bytes)) return bytes;
  const parts: Uint8Array[] = [];
  for await (const part of bytes) parts.push(part);
  return Buffer.concat(parts);
}

/** An object ready to go on an association: the context it goes on and its bytes in that context's syntax. */
export type PreparedObject = { ctx: PresentationContext; data: Buffer | AsyncIterable<Uint8Array>; size: number } | { failed: string };

/** Choose the object's context, read it, and convert or decode it to the context's syntax when it must be (never throws). */
export async function prepareObject(assoc: Association, obj: OutgoingObject, usable: (ctx: PresentationContext) => boolean = () => true): Promise<PreparedObject> {
  const ctx = contextFor(assoc, obj, usable);
  if (!ctx) return { failed: `no presentation context was accepted for ${obj.sopClassUid} in ${obj.transferSyntaxUid} or a syntax it converts to` };
  try {
    const read = await obj.read();
    if (ctx.transferSyntax === obj.transferSyntaxUid) return { ctx, data: read.bytes, size: read.length };
    const data = await transcoder.transcode(await collect(read.bytes), obj.transferSyntaxUid, ctx.transferSyntax);
    return { ctx, data, size: data.length };
  } catch (err) {
    return { failed: `cannot read or convert ${obj.sopInstanceUid}: ${(err as Error).message}` };
  }
}

/** Send one object with C-STORE and wait for the response; never throws for what the peer answers. */
export async function sendObject(assoc: Association, obj: OutgoingObject, options: {
  usable?: (ctx: PresentationContext) => boolean;
  moveOriginator?: { ae: string; messageId: number };
  /** The object already being prepared (see prepareAhead). */
  prepared?: Promise<PreparedObject>;
} = {}): Promise<SendResult> {
  const prepared = await (options.prepared ?? prepareObject(assoc, obj, options.usable));
  if ('failed' in prepared) return { outcome: 'failed', reason: prepared.failed };
  const rsp = await assoc.request(prepared.ctx.id, {
    commandField: CommandField.CStoreRQ,
    messageId: assoc.nextMessageId(),
    affectedSopClassUid: obj.sopClassUid,
    affectedSopInstanceUid: obj.sopInstanceUid,
    priority: Priority.Medium,
    moveOriginatorAe: options.moveOriginator?.ae,
    moveOriginatorMessageId: options.moveOriginator?.messageId,
    hasDataSet: true,
  }, prepared.data);
  const status = rsp.command.status ?? Status.ProcessingFailure;
  const outcome = outcomeOf(status);
  const comment = rsp.command.errorComment ? `: ${rsp.command.errorComment}` : '';
  return { outcome, status, reason: `${formatStatus(status)}${comment}`, size: prepared.size };
}

/** How many objects ahead preparation starts; their bytes are held until sent. */
const READ_AHEAD = 3;

/**
 * Each object with its preparation (read, and decoding in the codec workers when the peer needs it) started a few
 * ahead: reading and decoding the next ones overlap sending the current, on every core.
 */
export function* prepareAhead(assoc: Association, objects: OutgoingObject[], usable?: (ctx: PresentationContext) => boolean):
  Generator<{ obj: OutgoingObject; prepared: Promise<PreparedObject> }> {
  const started: Promise<PreparedObject>[] = [];
  for (let i = 0; i < objects.length; i++) {
    while (started.length < READ_AHEAD && i + started.length < objects.length) started.push(prepareObject(assoc, objects[i + started.length]!, usable));
    yield { obj: objects[i]!, prepared: started.shift()! };
  }
}
