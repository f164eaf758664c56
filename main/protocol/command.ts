/**
 * DIMSE command sets (PS3.7 9.3, 10.3): always implicit VR little endian, group 0000 with its group length first.
 */

export const CommandField = {
  CStoreRQ: 0x0001,
  CStoreRSP: 0x8001,
  CGetRQ: 0x0010,
  CGetRSP: 0x8010,
  CFindRQ: 0x0020,
  CFindRSP: 0x8020,
  CMoveRQ: 0x0021,
  CMoveRSP: 0x8021,
  CEchoRQ: 0x0030,
  CEchoRSP: 0x8030,
  NEventReportRQ: 0x0100,
  NEventReportRSP: 0x8100,
  NGetRQ: 0x0110,
  NGetRSP: 0x8110,
  NSetRQ: 0x0120,
  NSetRSP: 0x8120,
  NActionRQ: 0x0130,
  NActionRSP: 0x8130,
  NCreateRQ: 0x0140,
  NCreateRSP: 0x8140,
  NDeleteRQ: 0x0150,
  NDeleteRSP: 0x8150,
  CCancelRQ: 0x0fff,
} as const;

/** N-commands (PS3.7 10) name their SOP class in Requested SOP Class UID on requests, Affected on responses. */
export function isNormalized(commandField: number): boolean {
  return (commandField & 0x7fff) >= 0x0100 && (commandField & 0x7fff) <= 0x0150;
}

export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

/** CommandDataSetType 0x0101 means no data set follows; any other value means one does (PS3.7 E.1). */
export const NO_DATA_SET = 0x0101;
const DATA_SET_PRESENT = 0x0000;

export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface CommandSet {
  commandField: number;
  hasDataSet: boolean;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  affectedSopClassUid?: string;
  requestedSopClassUid?: string;
  affectedSopInstanceUid?: string;
  requestedSopInstanceUid?: string;
  priority?: number;
  status?: number;
  errorComment?: string;
  offendingElement?: number[];
  moveDestination?: string;
  moveOriginatorAe?: string;
  moveOriginatorMessageId?: number;
  /** N-EVENT-REPORT (PS3.7 10.1.1) */
  eventTypeId?: number;
  /** N-GET: the attributes asked for (PS3.7 10.1.2) */
  attributeIdentifierList?: number[];
  /** N-ACTION (PS3.7 10.1.4) */
  actionTypeId?: number;
  remaining?: number;
  completed?: number;
  failed?: number;
  warning?: number;
}

type FieldKind = 'UI' | 'US' | 'AE' | 'LO' | 'AT';
type Key = Exclude<keyof CommandSet, 'commandField' | 'hasDataSet'>;

const FIELDS: { element: number; key: Key | 'commandField' | 'hasDataSet'; kind: FieldKind }[] = [
  { element: 0x0002, key: 'affectedSopClassUid', kind: 'UI' },
  { element: 0x0003, key: 'requestedSopClassUid', kind: 'UI' },
  { element: 0x0100, key: 'commandField', kind: 'US' },
  { element: 0x0110, key: 'messageId', kind: 'US' },
  { element: 0x0120, key: 'messageIdBeingRespondedTo', kind: 'US' },
  { element: 0x0600, key: 'moveDestination', kind: 'AE' },
  { element: 0x0700, key: 'priority', kind: 'US' },
  { element: 0x0800, key: 'hasDataSet', kind: 'US' },
  { element: 0x0900, key: 'status', kind: 'US' },
  { element: 0x0901, key: 'offendingElement', kind: 'AT' },
  { element: 0x0902, key: 'errorComment', kind: 'LO' },
  { element: 0x1000, key: 'affectedSopInstanceUid', kind: 'UI' },
  { element: 0x1001, key: 'requestedSopInstanceUid', kind: 'UI' },
  { element: 0x1002, key: 'eventTypeId', kind: 'US' },
  { element: 0x1005, key: 'attributeIdentifierList', kind: 'AT' },
  { element: 0x1008, key: 'actionTypeId', kind: 'US' },
  { element: 0x1020, key: 'remaining', kind: 'US' },
  { element: 0x1021, key: 'completed', kind: 'US' },
  { element: 0x1022, key: 'failed', kind: 'US' },
  { element: 0x1023, key: 'warning', kind: 'US' },
  { element: 0x1030, key: 'moveOriginatorAe', kind: 'AE' },
  { element: 0x1031, key: 'moveOriginatorMessageId', kind: 'US' },
];
const BY_ELEMENT = new Map(FIELDS.map((f) => [f.element, f]));

function encodeValue(kind: FieldKind, value: unknown): Buffer {
  switch (kind) {
    case 'US': {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(Number(value) & 0xffff, 0);
      return b;
    }
    case 'AT': {
      const tags = value as number[];
      const b = Buffer.alloc(tags.length * 4);
      tags.forEach((t, i) => {
        b.writeUInt16LE(t >>> 16, i * 4);
        b.writeUInt16LE(t & 0xffff, i * 4 + 2);
      });
      return b;
    }
    default: {
      let text = String(value);
      if (text.length % 2 === 1) text += kind === 'UI' ? '\0' : ' ';
      return Buffer.from(text, 'latin1');
    }
  }
}

export function encodeCommand(cmd: CommandSet): Buffer {
  const elements: Buffer[] = [];
  for (const field of FIELDS) {
    let value: unknown;
    if (field.key === 'hasDataSet') value = cmd.hasDataSet ? DATA_SET_PRESENT : NO_DATA_SET;
    else value = cmd[field.key];
    if (value === undefined) continue;
    const v = encodeValue(field.kind, value);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0x0000, 0);
    head.writeUInt16LE(field.element, 2);
    head.writeUInt32LE(v.length, 4);
    elements.push(head, v);
  }
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(body.length, 8);
  return Buffer.concat([groupLength, body]);
}

export function decodeCommand(bytes: Buffer): CommandSet {
  const out: Partial<Record<string, unknown>> = {};
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) throw new CommandError(`command set truncated at byte ${at}`);
    const group = bytes.readUInt16LE(at);
    const element = bytes.readUInt16LE(at + 2);
    const len = bytes.readUInt32LE(at + 4);
    if (group !== 0x0000)
      throw new CommandError(`command set holds element (${hex(group)},${hex(element)}) outside group 0000`);
    if (at + 8 + len > bytes.length)
      throw new CommandError(`command element (0000,${hex(element)}) length ${len} overruns the command set`);
    const value = bytes.subarray(at + 8, at + 8 + len);
    const field = BY_ELEMENT.get(element);
    if (field) out[field.key] = decodeValue(field.kind, value, element);
    at += 8 + len;
  }
  if (typeof out.commandField !== 'number') throw new CommandError('command set has no Command Field (0000,0100)');
  if (typeof out.hasDataSet !== 'number')
    throw new CommandError('command set has no Command Data Set Type (0000,0800)');
  return { ...(out as object), hasDataSet: out.hasDataSet !== NO_DATA_SET } as CommandSet;
}

function decodeValue(kind: FieldKind, value: Buffer, element: number): unknown {
  switch (kind) {
    case 'US':
      if (value.length !== 2)
        throw new CommandError(`command element (0000,${hex(element)}) is US but ${value.length} bytes long`);
      return value.readUInt16LE(0);
    case 'AT': {
      const tags: number[] = [];
      for (let i = 0; i + 4 <= value.length; i += 4)
        tags.push(((value.readUInt16LE(i) << 16) | value.readUInt16LE(i + 2)) >>> 0);
      return tags;
    }
    default:
      return value
        .toString('latin1')
        .replace(/[\0 ]+$/, '')
        .replace(/^ +/, '');
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(4, '0').toUpperCase();
}

export function isResponse(commandField: number): boolean {
  return (commandField & 0x8000) !== 0;
}

/** "C-ECHO-RSP", "C-FIND-RQ", ... for log lines and errors; unknown fields as hex. */
export function commandName(commandField: number): string {
  for (const [key, value] of Object.entries(CommandField)) {
    if (value === commandField)
      return key.replace(
        /^([CN])((?:[A-Z][a-z]+)+)(RQ|RSP)$/,
        (_m, c: string, op: string, kind: string) =>
          `${c}-${op.replace(/([a-z])([A-Z])/g, '$1-$2').toUpperCase()}-${kind}`,
      );
  }
  return `command 0x${commandField.toString(16).padStart(4, '0')}`;
}
