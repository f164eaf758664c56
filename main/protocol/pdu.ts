/**
 * Encode and decode the seven upper-layer PDUs (PS3.8 9.3). Pure functions over bytes; no sockets, no state.
 * Decoders throw PduError carrying the A-ABORT reason the state machine should send.
 */

export const PduType = {
  AssociateRQ: 0x01,
  AssociateAC: 0x02,
  AssociateRJ: 0x03,
  PData: 0x04,
  ReleaseRQ: 0x05,
  ReleaseRP: 0x06,
  Abort: 0x07,
} as const;

/** A-ABORT reasons when the source is the service provider (PS3.8 Table 9-26). */
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;

/** A-ASSOCIATE-RJ result, source and reason (PS3.8 Table 9-21). */
export const RejectResult = { Permanent: 1, Transient: 2 } as const;
export const RejectSource = { ServiceUser: 1, ServiceProviderAcse: 2, ServiceProviderPresentation: 3 } as const;
export const RejectReason = {
  NoReasonGiven: 1,
  ApplicationContextNotSupported: 2,
  CallingAeNotRecognized: 3,
  CalledAeNotRecognized: 7,
  /** source 3: temporary congestion */
  TemporaryCongestion: 1,
  LocalLimitExceeded: 2,
} as const;

/** An A-ASSOCIATE-RJ in words an admin can act on, with the codes beside (PS3.8 Table 9-21). */
export function describeRejection(result: number, source: number, reason: number): string {
  const words =
    source === RejectSource.ServiceUser
      ? (
          {
            [RejectReason.ApplicationContextNotSupported]: 'it does not support the DICOM application context',
            [RejectReason.CallingAeNotRecognized]: 'it does not know our (calling) AE title',
            [RejectReason.CalledAeNotRecognized]: "it does not accept the called AE title: check the node's AE title",
          } as Record<number, string>
        )[reason]
      : source === RejectSource.ServiceProviderAcse
        ? reason === 2
          ? 'it does not support the protocol version'
          : undefined
        : source === RejectSource.ServiceProviderPresentation
          ? reason === RejectReason.TemporaryCongestion
            ? 'it is busy (temporary congestion)'
            : reason === RejectReason.LocalLimitExceeded
              ? 'it has too many associations open (local limit exceeded)'
              : undefined
          : undefined;
  const kind = result === RejectResult.Transient ? 'for now' : 'permanently';
  return `${words ?? 'no reason given'} (rejected ${kind}: result ${result}, source ${source}, reason ${reason})`;
}

/** Presentation context results in the A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export const ContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

export class PduError extends Error {
  readonly abortReason: number;
  constructor(message: string, abortReason: number = AbortReason.InvalidPduParameterValue) {
    super(message);
    this.name = 'PduError';
    this.abortReason = abortReason;
  }
}

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface AcceptedContext {
  id: number;
  result: number;
  transferSyntax: string;
}

export interface RoleSelection {
  sopClass: string;
  scuRole: boolean;
  scpRole: boolean;
}

export interface UserInformation {
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName?: string;
  asyncOpsWindow?: { invoked: number; performed: number };
  roles: RoleSelection[];
  /** Sub-items we carry through without interpreting (extended negotiation, user identity), by item type. */
  other: { type: number; data: Uint8Array }[];
}

export interface AssociateRQ {
  type: typeof PduType.AssociateRQ;
  calledAe: string;
  callingAe: string;
  applicationContext: string;
  contexts: ProposedContext[];
  userInfo: UserInformation;
}

export interface AssociateAC {
  type: typeof PduType.AssociateAC;
  calledAe: string;
  callingAe: string;
  applicationContext: string;
  contexts: AcceptedContext[];
  userInfo: UserInformation;
}

export interface AssociateRJ {
  type: typeof PduType.AssociateRJ;
  result: number;
  source: number;
  reason: number;
}

export interface PresentationDataValue {
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Uint8Array;
}

export interface PDataTF {
  type: typeof PduType.PData;
  pdvs: PresentationDataValue[];
}

export interface ReleaseRQ {
  type: typeof PduType.ReleaseRQ;
}
export interface ReleaseRP {
  type: typeof PduType.ReleaseRP;
}
export interface Abort {
  type: typeof PduType.Abort;
  source: number;
  reason: number;
}

export type Pdu = AssociateRQ | AssociateAC | AssociateRJ | PDataTF | ReleaseRQ | ReleaseRP | Abort;

const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRQ: 0x20,
  PresentationContextAC: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  AsyncOpsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
} as const;

export const PDU_HEADER_LENGTH = 6;

// ---------------------------------------------------------------- encoding

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** UIDs in items are not padded (PS3.8 9.3.2.2 note); AE titles are space-padded to 16 bytes. */
function aeField(ae: string): Buffer {
  const out = Buffer.alloc(16, 0x20);
  out.write(ae.slice(0, 16), 'latin1');
  return out;
}

function item(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function pduFrame(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(PDU_HEADER_LENGTH);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function encodeUserInfo(info: UserInformation): Buffer {
  const parts: Buffer[] = [];
  const max = Buffer.alloc(4);
  max.writeUInt32BE(info.maxPduLength >>> 0, 0);
  parts.push(item(ItemType.MaxLength, max));
  parts.push(item(ItemType.ImplementationClassUid, ascii(info.implementationClassUid)));
  if (info.asyncOpsWindow) {
    const w = Buffer.alloc(4);
    w.writeUInt16BE(info.asyncOpsWindow.invoked, 0);
    w.writeUInt16BE(info.asyncOpsWindow.performed, 2);
    parts.push(item(ItemType.AsyncOpsWindow, w));
  }
  for (const role of info.roles) {
    const uid = ascii(role.sopClass);
    const body = Buffer.alloc(2 + uid.length + 2);
    body.writeUInt16BE(uid.length, 0);
    uid.copy(body, 2);
    body[2 + uid.length] = role.scuRole ? 1 : 0;
    body[3 + uid.length] = role.scpRole ? 1 : 0;
    parts.push(item(ItemType.RoleSelection, body));
  }
  if (info.implementationVersionName) {
    parts.push(item(ItemType.ImplementationVersionName, ascii(info.implementationVersionName)));
  }
  for (const other of info.other) parts.push(item(other.type, Buffer.from(other.data)));
  return item(ItemType.UserInformation, Buffer.concat(parts));
}

function associateHeader(calledAe: string, callingAe: string): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(0x0001, 0); // protocol version (PS3.8 9.3.2)
  aeField(calledAe).copy(fixed, 4);
  aeField(callingAe).copy(fixed, 20);
  return fixed;
}

export function encodePdu(pdu: Pdu): Buffer {
  switch (pdu.type) {
    case PduType.AssociateRQ: {
      const contexts = pdu.contexts.map((pc) => {
        const head = Buffer.from([pc.id, 0, 0, 0]);
        const subs = [item(ItemType.AbstractSyntax, ascii(pc.abstractSyntax))];
        for (const ts of pc.transferSyntaxes) subs.push(item(ItemType.TransferSyntax, ascii(ts)));
        return item(ItemType.PresentationContextRQ, Buffer.concat([head, ...subs]));
      });
      return pduFrame(
        pdu.type,
        Buffer.concat([
          associateHeader(pdu.calledAe, pdu.callingAe),
          item(ItemType.ApplicationContext, ascii(pdu.applicationContext)),
          ...contexts,
          encodeUserInfo(pdu.userInfo),
        ]),
      );
    }
    case PduType.AssociateAC: {
      const contexts = pdu.contexts.map((pc) => {
        const head = Buffer.from([pc.id, 0, pc.result, 0]);
        return item(
          ItemType.PresentationContextAC,
          Buffer.concat([head, item(ItemType.TransferSyntax, ascii(pc.transferSyntax))]),
        );
      });
      return pduFrame(
        pdu.type,
        Buffer.concat([
          associateHeader(pdu.calledAe, pdu.callingAe),
          item(ItemType.ApplicationContext, ascii(pdu.applicationContext)),
          ...contexts,
          encodeUserInfo(pdu.userInfo),
        ]),
      );
    }
    case PduType.AssociateRJ:
      return pduFrame(pdu.type, Buffer.from([0, pdu.result, pdu.source, pdu.reason]));
    case PduType.PData:
      return encodePData(pdu.pdvs);
    case PduType.ReleaseRQ:
    case PduType.ReleaseRP:
      return pduFrame(pdu.type, Buffer.alloc(4));
    case PduType.Abort:
      return pduFrame(pdu.type, Buffer.from([0, 0, pdu.source, pdu.reason]));
  }
}

/** One P-DATA-TF holding the given PDVs (PS3.8 9.3.5). */
export function encodePData(pdvs: PresentationDataValue[]): Buffer {
  const out = Buffer.allocUnsafe(pDataLength(pdvs));
  writePData(out, 0, pdvs);
  return out;
}

/** The bytes of a P-DATA-TF holding these PDVs, its header included. */
export function pDataLength(pdvs: PresentationDataValue[]): number {
  let total = PDU_HEADER_LENGTH;
  for (const pdv of pdvs) total += 6 + pdv.data.length;
  return total;
}

/** A P-DATA-TF holding these PDVs written into `out` at `at` (several PDUs built in one buffer); where the next begins. */
export function writePData(out: Buffer, at: number, pdvs: PresentationDataValue[]): number {
  out[at] = PduType.PData;
  out[at + 1] = 0;
  out.writeUInt32BE(pDataLength(pdvs) - PDU_HEADER_LENGTH, at + 2);
  at += PDU_HEADER_LENGTH;
  for (const pdv of pdvs) {
    out.writeUInt32BE(pdv.data.length + 2, at);
    out[at + 4] = pdv.contextId;
    out[at + 5] = (pdv.isCommand ? 0x01 : 0) | (pdv.isLast ? 0x02 : 0);
    out.set(pdv.data, at + 6);
    at += 6 + pdv.data.length;
  }
  return at;
}

/** The 12 bytes before a lone PDV's data: the P-DATA-TF header and the PDV item header (PS3.8 9.3.5.1, E.2). */
export function encodePDataHeader(contextId: number, isCommand: boolean, isLast: boolean, dataLength: number): Buffer {
  const out = Buffer.allocUnsafe(PDU_HEADER_LENGTH + 6);
  out[0] = PduType.PData;
  out[1] = 0;
  out.writeUInt32BE(dataLength + 6, 2);
  out.writeUInt32BE(dataLength + 2, 6);
  out[10] = contextId;
  out[11] = (isCommand ? 0x01 : 0) | (isLast ? 0x02 : 0);
  return out;
}

// ---------------------------------------------------------------- decoding

function trimAe(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1').trim();
}

/** UIDs may carry a trailing NUL pad from some peers; it is not part of the UID. */
function uidText(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('latin1')
    .replace(/[\0 ]+$/, '');
}

interface RawItem {
  type: number;
  body: Buffer;
}

function readItems(buf: Buffer, what: string): RawItem[] {
  const items: RawItem[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + 4 > buf.length) throw new PduError(`truncated item header in ${what}`);
    const type = buf[at]!;
    const len = buf.readUInt16BE(at + 2);
    if (at + 4 + len > buf.length)
      throw new PduError(
        `item 0x${type.toString(16)} in ${what} claims ${len} bytes, only ${buf.length - at - 4} left`,
      );
    items.push({ type, body: buf.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return items;
}

function decodeUserInfo(body: Buffer): UserInformation {
  const info: UserInformation = { maxPduLength: 0, implementationClassUid: '', roles: [], other: [] };
  for (const sub of readItems(body, 'user information')) {
    switch (sub.type) {
      case ItemType.MaxLength:
        if (sub.body.length !== 4) throw new PduError('maximum length sub-item is not 4 bytes');
        info.maxPduLength = sub.body.readUInt32BE(0);
        break;
      case ItemType.ImplementationClassUid:
        info.implementationClassUid = uidText(sub.body);
        break;
      case ItemType.ImplementationVersionName:
        info.implementationVersionName = trimAe(sub.body);
        break;
      case ItemType.AsyncOpsWindow:
        if (sub.body.length !== 4) throw new PduError('asynchronous operations window sub-item is not 4 bytes');
        info.asyncOpsWindow = { invoked: sub.body.readUInt16BE(0), performed: sub.body.readUInt16BE(2) };
        break;
      case ItemType.RoleSelection: {
        if (sub.body.length < 4) throw new PduError('role selection sub-item too short');
        const uidLen = sub.body.readUInt16BE(0);
        if (2 + uidLen + 2 !== sub.body.length) throw new PduError('role selection sub-item length mismatch');
        info.roles.push({
          sopClass: uidText(sub.body.subarray(2, 2 + uidLen)),
          scuRole: sub.body[2 + uidLen] === 1,
          scpRole: sub.body[3 + uidLen] === 1,
        });
        break;
      }
      default:
        info.other.push({ type: sub.type, data: Buffer.from(sub.body) });
    }
  }
  return info;
}

function decodeAssociate(type: 1 | 2, body: Buffer): AssociateRQ | AssociateAC {
  if (body.length < 68)
    throw new PduError(`A-ASSOCIATE PDU body of ${body.length} bytes is shorter than its fixed part`);
  const version = body.readUInt16BE(0);
  if ((version & 0x0001) === 0) throw new PduError(`protocol version 0x${version.toString(16)} not supported`);
  const calledAe = trimAe(body.subarray(4, 20));
  const callingAe = trimAe(body.subarray(20, 36));
  let applicationContext = '';
  let userInfo: UserInformation | undefined;
  const proposed: ProposedContext[] = [];
  const accepted: AcceptedContext[] = [];
  for (const it of readItems(body.subarray(68), 'A-ASSOCIATE')) {
    if (it.type === ItemType.ApplicationContext) {
      applicationContext = uidText(it.body);
    } else if (it.type === ItemType.PresentationContextRQ && type === PduType.AssociateRQ) {
      if (it.body.length < 4) throw new PduError('presentation context item too short');
      const pc: ProposedContext = { id: it.body[0]!, abstractSyntax: '', transferSyntaxes: [] };
      for (const sub of readItems(it.body.subarray(4), 'presentation context')) {
        if (sub.type === ItemType.AbstractSyntax) pc.abstractSyntax = uidText(sub.body);
        else if (sub.type === ItemType.TransferSyntax) pc.transferSyntaxes.push(uidText(sub.body));
        else
          throw new PduError(
            `unexpected sub-item 0x${sub.type.toString(16)} in presentation context`,
            AbortReason.UnexpectedPduParameter,
          );
      }
      if (pc.id % 2 === 0) throw new PduError(`presentation context ID ${pc.id} is even`);
      proposed.push(pc);
    } else if (it.type === ItemType.PresentationContextAC && type === PduType.AssociateAC) {
      if (it.body.length < 4) throw new PduError('presentation context item too short');
      const pc: AcceptedContext = { id: it.body[0]!, result: it.body[2]!, transferSyntax: '' };
      for (const sub of readItems(it.body.subarray(4), 'presentation context')) {
        if (sub.type === ItemType.TransferSyntax) pc.transferSyntax = uidText(sub.body);
      }
      accepted.push(pc);
    } else if (it.type === ItemType.UserInformation) {
      userInfo = decodeUserInfo(it.body);
    } else {
      throw new PduError(
        `unexpected item 0x${it.type.toString(16)} in A-ASSOCIATE`,
        AbortReason.UnexpectedPduParameter,
      );
    }
  }
  if (!applicationContext) throw new PduError('A-ASSOCIATE has no application context item');
  if (!userInfo) throw new PduError('A-ASSOCIATE has no user information item');
  if (type === PduType.AssociateRQ) {
    return { type: PduType.AssociateRQ, calledAe, callingAe, applicationContext, contexts: proposed, userInfo };
  }
  return { type: PduType.AssociateAC, calledAe, callingAe, applicationContext, contexts: accepted, userInfo };
}

function decodePData(body: Buffer): PDataTF {
  const pdvs: PresentationDataValue[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + 6 > body.length) throw new PduError('truncated presentation data value header');
    const len = body.readUInt32BE(at);
    if (len < 2 || at + 4 + len > body.length)
      throw new PduError(`presentation data value length ${len} does not fit the PDU`);
    const header = body[at + 5]!;
    pdvs.push({
      contextId: body[at + 4]!,
      isCommand: (header & 0x01) !== 0,
      isLast: (header & 0x02) !== 0,
      data: body.subarray(at + 6, at + 4 + len),
    });
    at += 4 + len;
  }
  if (pdvs.length === 0) throw new PduError('P-DATA-TF holds no presentation data value');
  return { type: PduType.PData, pdvs };
}

function expectLength(body: Buffer, n: number, what: string): void {
  if (body.length !== n) throw new PduError(`${what} PDU body is ${body.length} bytes, expected ${n}`);
}

/** Decode one whole PDU: `type` is its first byte and `body` what follows the 6-byte header. */
export function decodePdu(type: number, body: Buffer): Pdu {
  switch (type) {
    case PduType.AssociateRQ:
    case PduType.AssociateAC:
      return decodeAssociate(type, body);
    case PduType.AssociateRJ:
      expectLength(body, 4, 'A-ASSOCIATE-RJ');
      return { type, result: body[1]!, source: body[2]!, reason: body[3]! };
    case PduType.PData:
      return decodePData(body);
    case PduType.ReleaseRQ:
      expectLength(body, 4, 'A-RELEASE-RQ');
      return { type };
    case PduType.ReleaseRP:
      expectLength(body, 4, 'A-RELEASE-RP');
      return { type };
    case PduType.Abort:
      expectLength(body, 4, 'A-ABORT');
      return { type, source: body[2]!, reason: body[3]! };
    default:
      throw new PduError(`unrecognized PDU type 0x${type.toString(16)}`, AbortReason.UnrecognizedPdu);
  }
}
