import net from 'node:net';
import { APPLICATION_CONTEXT, TransferSyntax } from '../../common/uids.ts';

/**
 * DIMSE messages written byte by byte from the standard, without the product's encoders: command sets in Implicit VR
 * Little Endian with their group length (PS3.7 E.1), data sets in Explicit VR Little Endian with defined-length
 * sequences (PS3.5 7.1.2, 7.5), P-DATA-TF PDUs (PS3.8 9.3.5) and a bare association on a socket (PS3.8 9.3.2).
 * Tests of N-services that Debian has no peer for speak through this.
 */

const LONG = new Set(['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR']);

function pad(value: Buffer, vr: string): Buffer {
  return value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : value;
}

/** One Explicit VR Little Endian element; `value` text (latin1 unless a Buffer), a number for US, items for SQ. */
export function el(tag: number, vr: string, value: string | number | Buffer | Buffer[][]): Buffer {
  let body: Buffer;
  if (vr === 'SQ') {
    body = Buffer.concat(
      (value as Buffer[][]).map((item) => {
        const content = Buffer.concat(item);
        const head = Buffer.alloc(8);
        head.writeUInt16LE(0xfffe, 0);
        head.writeUInt16LE(0xe000, 2);
        head.writeUInt32LE(content.length, 4);
        return Buffer.concat([head, content]);
      }),
    );
  } else if (vr === 'US') {
    body = Buffer.alloc(2);
    body.writeUInt16LE(value as number, 0);
  } else {
    body = pad(Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'latin1'), vr);
  }
  const head = Buffer.alloc(LONG.has(vr) ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.write(vr, 4, 'latin1');
  if (LONG.has(vr)) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return Buffer.concat([head, body]);
}

/** A command set (group 0000, Implicit VR LE) from (element, value) pairs; numbers are US, strings UI/AE text. */
export function commandSet(fields: [number, string | number][]): Buffer {
  const parts = fields
    .sort((a, b) => a[0] - b[0])
    .map(([element, value]) => {
      const body =
        typeof value === 'number' ? Buffer.from([value & 0xff, value >> 8]) : pad(Buffer.from(value, 'latin1'), 'UI');
      const head = Buffer.alloc(8);
      head.writeUInt16LE(0x0000, 0);
      head.writeUInt16LE(element, 2);
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body]);
    });
  const body = Buffer.concat(parts);
  const length = Buffer.alloc(12);
  length.writeUInt32LE(4, 4);
  length.writeUInt32LE(body.length, 8);
  return Buffer.concat([length, body]);
}

/** The (0000,eeee) values of a command set, US as numbers and the rest as text. */
export function readCommandSet(bytes: Buffer): Map<number, number | string> {
  const out = new Map<number, number | string>();
  for (let at = 0; at + 8 <= bytes.length; ) {
    const element = bytes.readUInt16LE(at + 2);
    const len = bytes.readUInt32LE(at + 4);
    const value = bytes.subarray(at + 8, at + 8 + len);
    out.set(
      element,
      len === 2 && ![0x0002, 0x0003, 0x1000, 0x1001, 0x0902].includes(element)
        ? value.readUInt16LE(0)
        : value.toString('latin1').replace(/[\0 ]+$/, ''),
    );
    at += 8 + len;
  }
  return out;
}

/** A P-DATA-TF PDU of one PDV on presentation context 1; `header` its control byte (PS3.8 E.2). */
function pdv(data: Buffer, header: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt32BE(data.length + 2, 0);
  b[4] = 1;
  b[5] = header;
  return pdu(0x04, Buffer.concat([b, data]));
}

function pdu(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function item(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** A peer on a socket: associates for one SOP class, sends whole messages, reads whole responses. */
export class BytePeer {
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private readonly messages: { command: Buffer; data?: Buffer }[] = [];
  private command: Buffer | undefined;
  private waiters: (() => void)[] = [];
  private readonly socket: net.Socket;
  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async associate(port: number, calledAe: string, callingAe: string, sopClass: string): Promise<BytePeer> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    const peer = new BytePeer(socket);
    const ae = (t: string) => Buffer.from(t.padEnd(16, ' '), 'latin1');
    const uidItem = (type: number, uid: string) => item(type, Buffer.from(uid, 'latin1'));
    const context = item(
      0x20,
      Buffer.concat([
        Buffer.from([1, 0, 0, 0]),
        uidItem(0x30, sopClass),
        uidItem(0x40, TransferSyntax.ExplicitLittleEndian),
      ]),
    );
    const maxLength = Buffer.alloc(4);
    maxLength.writeUInt32BE(65536, 0);
    const userInfo = item(0x50, Buffer.concat([item(0x51, maxLength), uidItem(0x52, '2.25.1234')]));
    const head = Buffer.alloc(68);
    head.writeUInt16BE(1, 0);
    ae(calledAe).copy(head, 4);
    ae(callingAe).copy(head, 20);
    socket.write(pdu(0x01, Buffer.concat([head, uidItem(0x10, APPLICATION_CONTEXT), context, userInfo])));
    const type = await peer.nextPduType();
    if (type !== 0x02) throw new Error(`association not accepted (PDU type ${type})`);
    peer.contextResult = presentationContextResult(peer.accept!);
    return peer;
  }

  private pduTypes: number[] = [];
  private accept: Buffer | undefined;
  /** The A-ASSOCIATE-AC's answer to the one presentation context proposed: 0 accepted, 3 abstract syntax not supported... */
  contextResult = -1;
  private nextPduType(): Promise<number> {
    return new Promise((resolve) => {
      const check = () => (this.pduTypes.length ? resolve(this.pduTypes.shift()!) : this.waiters.push(check));
      check();
    });
  }

  private parse(): void {
    while (this.buffer.length >= 6) {
      const len = this.buffer.readUInt32BE(2);
      if (this.buffer.length < 6 + len) return;
      const type = this.buffer[0]!;
      const body = this.buffer.subarray(6, 6 + len);
      this.buffer = this.buffer.subarray(6 + len);
      if (type === 0x02) this.accept = body;
      if (type !== 0x04) {
        this.pduTypes.push(type);
        continue;
      }
      for (let at = 0; at < body.length; ) {
        const itemLength = body.readUInt32BE(at);
        const header = body[at + 5]!;
        this.fragments.push(body.subarray(at + 6, at + 4 + itemLength));
        if (header & 0x02) {
          const whole = Buffer.concat(this.fragments.splice(0));
          if (header & 0x01) {
            this.command = whole;
            if (readCommandSet(whole).get(0x0800) === 0x0101) this.messages.push({ command: whole });
          } else {
            this.messages.push({ command: this.command!, data: whole });
          }
        }
        at += 4 + itemLength;
      }
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** Send a command set and its data set on presentation context 1; resolve with the response's command values. */
  async request(command: Buffer, dataSet?: Buffer): Promise<Map<number, number | string>> {
    this.send(command, dataSet);
    return this.next();
  }

  /** Send a command set (and its data set) without waiting for anything (a C-CANCEL has no response). */
  send(command: Buffer, dataSet?: Buffer): void {
    this.socket.write(pdv(command, 0x03));
    if (dataSet) this.socket.write(pdv(dataSet, 0x02));
  }

  /**
   * Send a command set and only the first `bytes` of its data set (a fragment not marked last), as a sender whose
   * transfer breaks off; `abort` then ends the association.
   */
  sendPartial(command: Buffer, dataSet: Buffer, bytes: number): void {
    this.socket.write(pdv(command, 0x03));
    this.socket.write(pdv(dataSet.subarray(0, bytes), 0x00));
  }

  /** A-ABORT (PS3.8 9.3.8), the socket closed. */
  abort(): void {
    this.socket.end(pdu(0x07, Buffer.alloc(4)));
  }

  /** Stop reading the socket (the sender's writes back up), and start again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The next message's command values, as it arrives. */
  async next(): Promise<Map<number, number | string>> {
    for (;;) {
      const message = this.messages.shift();
      if (message) return readCommandSet(message.command);
      if (this.socket.destroyed) throw new Error('association closed before the response');
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async release(): Promise<void> {
    this.socket.write(pdu(0x05, Buffer.alloc(4)));
    await this.nextPduType();
    this.socket.destroy();
  }
}

/** The result field of the first presentation context item (0x21) of an A-ASSOCIATE-AC body (PS3.8 9.3.3.2). */
function presentationContextResult(body: Buffer): number {
  for (let at = 68; at + 4 <= body.length; ) {
    const type = body[at]!;
    const length = body.readUInt16BE(at + 2);
    if (type === 0x21) return body[at + 6]!;
    at += 4 + length;
  }
  return -1;
}
