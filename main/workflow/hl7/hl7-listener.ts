import net from 'node:net';
import tls from 'node:tls';
import type { ArchiveEvents } from '../../runtime/events.ts';
import type { SourceLogger } from '../../util/log.ts';
import type { TlsSettings } from '../../protocol/network.ts';
import type { Hl7Inbox } from './hl7-inbox.ts';
import { acknowledgment } from './ack.ts';
import { Hl7Connection } from './hl7-connection.ts';
import { RefusalSummary } from './refusal-summary.ts';
import { english, msg, verbatim, type Message } from '../../../common/message.ts';

/** Largest message taken (an order or ADT is a few kB; this leaves room for long notes). */
const MAX_MESSAGE_BYTES = 1 << 20;
/** A sender silent this long is disconnected (it connects again for its next message). */
const IDLE_MS = 120_000;
/** Connections open at once, from all senders and from one address. */
const MAX_CONNECTIONS = 32;
const MAX_PER_ADDRESS = 4;

/** HL7AllowedSenders: empty is this computer only (loopback), `*` any address, otherwise the addresses listed. */
export function senderAllowed(address: string, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  if (!allowed.length) return address === '::1' || address.startsWith('127.');
  return allowed.includes(address);
}

/** A refusal: for the log (`line`) and the Monitor (the reason, in English and as a message). */
interface Refused {
  peer: string;
  type: string;
  controlId: string;
  code: string;
  reason: string;
  said?: Message;
  line: string;
}

/**
 * The HL7 v2 listener (MLLP over TCP, or over TLS with our DICOM TLS certificate): messages are handled one at a time
 * per connection, in the order they came, each answered with its ACK before the next (hl7-connection.ts paces them).
 * Senders not allowed, and connections past the caps, are disconnected at once; refusals are logged and shown on the
 * Monitor the first few times, then counted (refusal-summary.ts).
 */
export class Hl7Listener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly perAddress = new Map<string, number>();
  port = 0;

  /** Connections open now (admitted, not yet closed). */
  get connections(): number {
    return this.sockets.size;
  }

  private readonly inbox: Hl7Inbox;
  private readonly allowed: () => string[];
  private readonly events: ArchiveEvents;
  private readonly log: SourceLogger;
  private readonly secure?: TlsSettings;
  /** Connections refused (not allowed, too many): one summary for the listener, whoever tries. */
  private readonly refusedConnections: RefusalSummary<Refused>;

  constructor(
    inbox: Hl7Inbox,
    allowed: () => string[],
    events: ArchiveEvents,
    log: SourceLogger,
    secure?: TlsSettings,
  ) {
    this.inbox = inbox;
    this.allowed = allowed;
    this.events = events;
    this.log = log;
    this.secure = secure;
    this.refusedConnections = this.summary();
  }

  async listen(port: number, host: string): Promise<number> {
    const secure = this.secure;
    const server = secure
      ? tls.createServer({
          key: secure.key,
          cert: secure.cert,
          ca: secure.ca,
          minVersion: 'TLSv1.2',
          requestCert: true,
          rejectUnauthorized: secure.requireClientCertificate ?? true,
        })
      : net.createServer();
    server.on('connection', (socket: net.Socket) => {
      if (this.admit(socket) && !secure) this.serve(socket);
    });
    if (secure) {
      server.on('secureConnection', (socket: tls.TLSSocket) => this.serve(socket));
      server.on('tlsClientError', (err, socket) =>
        this.log.warn(`HL7 TLS connection from ${socket.remoteAddress}:${socket.remotePort} refused: ${err.message}`),
      );
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.log.info(`HL7 (MLLP${this.secure ? ' over TLS' : ''}) listening on ${host}:${this.port}`);
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.refusedConnections.flush();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** Every TCP connection, before any TLS handshake: the sender allowed, and within the caps, or disconnected. */
  private admit(socket: net.Socket): boolean {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const refuse = (said: Message) => {
      const reason = english(said);
      this.refusedConnections.refused({
        peer,
        type: '',
        controlId: '',
        code: 'AR',
        reason,
        said,
        line: `HL7 connection from ${peer} refused: ${reason}`,
      });
      socket.destroy();
      return false;
    };
    if (!senderAllowed(address, this.allowed())) return refuse(msg('not in HL7AllowedSenders'));
    const open = this.perAddress.get(address) ?? 0;
    if (open >= MAX_PER_ADDRESS)
      return refuse(msg('{n} connections already open from {address}', { n: MAX_PER_ADDRESS, address }));
    if (this.sockets.size >= MAX_CONNECTIONS)
      return refuse(msg('{n} connections already open', { n: MAX_CONNECTIONS }));
    this.sockets.add(socket);
    this.perAddress.set(address, open + 1);
    socket.on('close', () => {
      this.sockets.delete(socket);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('error', (err) => this.log.debug(`HL7 ${peer}: ${err.message}`));
    return true;
  }

  /** A connection admitted (and its TLS handshake done): its messages, paced, each answered. */
  private serve(socket: net.Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    if (this.secure) socket.on('error', (err) => this.log.debug(`HL7 ${peer}: ${err.message}`));
    const refusals = this.summary();
    socket.on('close', () => refusals.flush());
    new Hl7Connection(socket, MAX_MESSAGE_BYTES, async (event) => {
      if (event.kind === 'oversized') {
        const text = `message of ${event.size} bytes is larger than ${MAX_MESSAGE_BYTES}`;
        refusals.refused({
          peer,
          type: '?',
          controlId: '',
          code: 'AR',
          reason: text,
          line: `HL7 ? from ${peer}: AR ${text}`,
        });
        return acknowledgment(undefined, 'AR', text, 100);
      }
      const outcome = await this.inbox.receive(event.bytes, peer);
      const line = `HL7 ${outcome.type} ${outcome.controlId} from ${peer}: ${outcome.code} ${outcome.text}`;
      if (outcome.code === 'AA') {
        this.log.info(line);
        this.events.emit('hl7', {
          at: Date.now(),
          peer,
          type: outcome.type,
          controlId: outcome.controlId,
          code: outcome.code,
          text: outcome.text,
          message: outcome.said,
        });
      } else {
        refusals.refused({
          peer,
          type: outcome.type,
          controlId: outcome.controlId,
          code: outcome.code,
          reason: outcome.text,
          said: outcome.said,
          line,
        });
      }
      return outcome.ack;
    });
  }

  /** Refusals to the log (warnings) and the Monitor: the first few in full, then a count. */
  private summary(): RefusalSummary<Refused> {
    return new RefusalSummary<Refused>(
      (r) => {
        this.log.warn(r.line);
        this.events.emit('hl7', {
          at: Date.now(),
          peer: r.peer,
          type: r.type,
          controlId: r.controlId,
          code: r.code,
          text: r.reason,
          message: r.said,
        });
      },
      (count, last) => {
        const said = msg('{n, plural, one {# more refusal} other {# more refusals}} like the last: {last}', {
          n: count,
          last: last.said ?? verbatim(last.reason),
        });
        this.log.warn(`${count} more HL7 refusals like the last: ${last.line}`);
        this.events.emit('hl7', {
          at: Date.now(),
          peer: last.peer,
          type: last.type,
          controlId: '',
          code: last.code,
          text: english(said),
          message: said,
        });
      },
    );
  }
}
