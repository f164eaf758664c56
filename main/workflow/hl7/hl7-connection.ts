import type net from 'node:net';
import { MllpReader, frame, type MllpEvent } from './mllp.ts';

/** Frames read ahead of the one being handled; past this the socket is paused (TCP holds the sender). */
const MAX_QUEUED = 16;
/** ACK bytes the sender has not read; past this no further message is handled until it reads them. */
const MAX_UNREAD_ACK_BYTES = 64 * 1024;
/** Messages handled per second on one connection, and the burst allowed above it (a RIS sends a few a minute). */
const RATE_PER_SECOND = 100;
const BURST = 100;

/**
 * One MLLP connection, paced so that no sender can keep the event loop from the archive's other work: each message is
 * handled in a turn of its own (after I/O waiting beside it), at most RATE_PER_SECOND of them; frames read ahead and
 * ACKs the sender does not read are bounded, past which reading stops and TCP holds the sender back.
 */
export class Hl7Connection {
  private readonly socket: net.Socket;
  private readonly reader: MllpReader;
  private readonly handle: (event: MllpEvent) => Promise<Buffer>;
  private readonly queue: MllpEvent[] = [];
  private running = false;
  private tokens = BURST;
  private refilled = Date.now();

  constructor(socket: net.Socket, maxMessageBytes: number, handle: (event: MllpEvent) => Promise<Buffer>) {
    this.socket = socket;
    this.reader = new MllpReader(maxMessageBytes);
    this.handle = handle;
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  private read(chunk: Buffer): void {
    for (const event of this.reader.push(chunk)) this.queue.push(event);
    if (this.queue.length > MAX_QUEUED) this.socket.pause();
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length && !this.socket.destroyed) {
        await this.turn();
        const event = this.queue.shift()!;
        const ack = await this.handle(event);
        if (this.socket.destroyed) return;
        this.socket.write(frame(ack));
        if (this.socket.writableLength > MAX_UNREAD_ACK_BYTES) await this.drained();
      }
    } finally {
      this.running = false;
    }
    if (!this.socket.destroyed && this.socket.isPaused()) this.socket.resume();
  }

  /** The next turn of the event loop, and a token of the connection's rate (waiting for one when spent). */
  private async turn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilled) * RATE_PER_SECOND) / 1000);
    this.refilled = now;
    if (this.tokens < 1) {
      await new Promise<void>((resolve) =>
        setTimeout(resolve, Math.ceil(((1 - this.tokens) * 1000) / RATE_PER_SECOND)),
      );
      this.tokens = 1;
      this.refilled = Date.now();
    }
    this.tokens -= 1;
  }

  /** Until the sender has read our ACKs (or the connection ends: the idle timeout ends one that never reads). */
  private drained(): Promise<void> {
    this.socket.pause();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }
}
