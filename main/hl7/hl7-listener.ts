import net from 'node:net';
import type { ArchiveEvents } from '../events.ts';
import type { SourceLogger } from '../util/log.ts';
import type { Hl7Inbox } from './hl7-inbox.ts';
import { acknowledgment } from './ack.ts';
import { MllpReader, frame } from './mllp.ts';
import { english, msg } from '../../common/message.ts';

/** Largest message taken (an order or ADT is a few kB; this leaves room for long notes). */
const MAX_MESSAGE_BYTES = 1 << 20;
/** A sender silent this long is disconnected. */
const IDLE_MS = 300_000;

/**
 * The HL7 v2 listener (MLLP over TCP): messages are handled one at a time per connection, in the order they came, each
 * answered with its ACK before the next is read. Senders not in HL7AllowedSenders are disconnected at once.
 */
export class Hl7Listener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  private readonly inbox: Hl7Inbox;
  private readonly allowed: () => string[];
  private readonly events: ArchiveEvents;
  private readonly log: SourceLogger;

  constructor(inbox: Hl7Inbox, allowed: () => string[], events: ArchiveEvents, log: SourceLogger) {
    this.inbox = inbox;
    this.allowed = allowed;
    this.events = events;
    this.log = log;
  }

  async listen(port: number, host: string): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.log.info(`HL7 (MLLP) listening on ${host}:${this.port}`);
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private accept(socket: net.Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const allowed = this.allowed();
    if (allowed.length && !allowed.includes(address)) {
      this.log.warn(`HL7 connection from ${peer} refused: not in HL7AllowedSenders`);
      const said = msg('sender not allowed (HL7AllowedSenders)');
      this.events.emit('hl7', { at: Date.now(), peer, type: '', controlId: '', code: 'AR', text: english(said), message: said });
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.log.debug(`HL7 ${peer}: ${err.message}`));
    const reader = new MllpReader(MAX_MESSAGE_BYTES);
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const ev of reader.push(chunk)) {
        chain = chain.then(async () => {
          if (ev.kind === 'oversized') {
            const text = `message of ${ev.size} bytes is larger than ${MAX_MESSAGE_BYTES}`;
            this.events.emit('hl7', { at: Date.now(), peer, type: '?', controlId: '', code: 'AR', text });
            if (!socket.destroyed) socket.write(frame(acknowledgment(undefined, 'AR', text, 100)));
            return;
          }
          const outcome = await this.inbox.receive(ev.bytes, peer);
          const line = `HL7 ${outcome.type} ${outcome.controlId} from ${peer}: ${outcome.code} ${outcome.text}`;
          if (outcome.code === 'AA') this.log.info(line); else this.log.warn(line);
          this.events.emit('hl7', { at: Date.now(), peer, type: outcome.type, controlId: outcome.controlId, code: outcome.code, text: outcome.text, message: outcome.said });
          if (!socket.destroyed) socket.write(frame(outcome.ack));
        });
      }
    });
  }
}
