import net from 'node:net';
import tls from 'node:tls';
import { PduReader } from '../../main/protocol/pdu-reader.ts';
import { decodePdu, encodePData, encodePdu, PduType, type Pdu } from '../../main/protocol/pdu.ts';
import { encodeCommand, CommandField, decodeCommand, type CommandSet } from '../../main/protocol/command.ts';
import { APPLICATION_CONTEXT } from '../../common/uids.ts';

/**
 * A misbehaving peer: a bare socket that sends exactly the bytes a test chooses and records every PDU it gets back.
 * It uses the PDU codec only to build well-formed parts around the malformed one under test.
 */
export class RawPeer {
  readonly socket: net.Socket;
  readonly received: Pdu[] = [];
  readonly closed: Promise<void>;
  private readonly reader = new PduReader(64 << 20);
  private waiters: (() => void)[] = [];
  private pdvParts: Buffer[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      for (const ev of this.reader.push(chunk)) {
        if (ev.kind === 'pdu') {
          this.received.push(decodePdu(ev.type, ev.body));
          continue;
        }
        this.pdvParts.push(ev.data);
        if (ev.pdvEnd) {
          const data = Buffer.concat(this.pdvParts.splice(0));
          this.received.push({
            type: PduType.PData,
            pdvs: [{ contextId: ev.contextId, isCommand: ev.isCommand, isLast: ev.isLast, data }],
          });
        }
      }
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        resolve();
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  /** Over TLS, with the certificates the test gives. */
  static connectTls(port: number, options: tls.ConnectionOptions): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ...options }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  /** A socket the test accepted itself: the peer plays the acceptor. */
  static over(socket: net.Socket): RawPeer {
    return new RawPeer(socket);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Wait for the next PDU of a type (or the close); returns it, or undefined if the socket closed first. */
  async next<T extends Pdu['type']>(type: T): Promise<Extract<Pdu, { type: T }> | undefined> {
    for (;;) {
      const found = this.received.find((p) => p.type === type);
      if (found) {
        this.received.splice(this.received.indexOf(found), 1);
        return found as Extract<Pdu, { type: T }>;
      }
      if (this.socket.destroyed || this.socket.readableEnded) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** A well-formed association for one SOP class and transfer syntax, as context 1. */
  async associate(calledAe: string, sopClass: string, transferSyntax: string, callingAe = 'RAWPEER'): Promise<void> {
    this.send(
      encodePdu({
        type: PduType.AssociateRQ,
        calledAe,
        callingAe,
        applicationContext: APPLICATION_CONTEXT,
        contexts: [{ id: 1, abstractSyntax: sopClass, transferSyntaxes: [transferSyntax] }],
        userInfo: { maxPduLength: 16384, implementationClassUid: '2.25.42', roles: [], other: [] },
      }),
    );
    const ac = await this.next(PduType.AssociateAC);
    if (!ac) throw new Error('association not accepted');
  }

  /** Send a C-STORE-RQ command and the given data set bytes, cut into PDVs; `last` false leaves the data set open. */
  sendStore(sopClass: string, sopInstance: string, dataSet: Buffer, last = true, messageId = 1): void {
    const command = encodeCommand({
      commandField: CommandField.CStoreRQ,
      messageId,
      affectedSopClassUid: sopClass,
      affectedSopInstanceUid: sopInstance,
      priority: 0,
      hasDataSet: true,
    });
    this.send(encodePData([{ contextId: 1, isCommand: true, isLast: true, data: command }]));
    const step = 8000;
    for (let at = 0; at < dataSet.length; at += step) {
      const end = Math.min(at + step, dataSet.length);
      this.send(
        encodePData([
          { contextId: 1, isCommand: false, isLast: last && end === dataSet.length, data: dataSet.subarray(at, end) },
        ]),
      );
    }
  }

  /** The next DIMSE response's command set. */
  async response(): Promise<CommandSet> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const p = await this.next(PduType.PData);
      if (!p) throw new Error('closed before a response');
      for (const pdv of p.pdvs) {
        parts.push(pdv.data);
        if (pdv.isCommand && pdv.isLast) return decodeCommand(Buffer.concat(parts));
      }
    }
  }

  async release(): Promise<void> {
    this.send(encodePdu({ type: PduType.ReleaseRQ }));
    await this.next(PduType.ReleaseRP);
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Close after what was written is delivered (a FIN behind the data), as the system closes a crashed program's socket. */
  hangUp(): void {
    this.socket.end();
  }
}
