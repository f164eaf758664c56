import type { Socket } from 'node:net';
import { encodeCommand, type CommandSet } from './command.ts';
import { PDU_HEADER_LENGTH, encodePDataHeader, pDataLength, writePData, type PresentationDataValue } from './pdu.ts';

/** When the peer sets no maximum (0) we still cut our P-DATA into PDUs of this size. */
const DEFAULT_SEND_PDU = 1 << 20;
/** A batch of messages up to this size, each message in one PDU, goes out as one buffer. */
const COALESCED_BYTES = 256 * 1024;

/** What the sender asks of its association. */
export interface SenderPort {
  label(): string;
  peerMaxPduLength(): number;
  /** Throws when P-DATA may not go out in the association's state. */
  checkCanSend(): void;
  /** A data set stopped half-way: only an abort brings the association back to a known state. */
  broken(why: string): void;
}

/**
 * The sending side of an association: one queue, so messages never interleave on the wire (PS3.7 9.1); each message
 * cut into P-DATA-TF PDUs of one PDV (PS3.8 9.3.5, PS3.7 Annex E), written corked and without copying, waiting for the
 * socket to drain when it asks (backpressure both ways). A batch of small messages (a query's answers) is the exception:
 * each message one PDU with its command and data set as two PDVs, the batch copied into one buffer.
 */
export class PDataSender {
  private readonly socket: Socket;
  private readonly port: SenderPort;
  private sendChain: Promise<void> = Promise.resolve();

  constructor(socket: Socket, port: SenderPort) {
    this.socket = socket;
    this.port = port;
  }

  /** Queue one DIMSE message; messages never interleave on the wire (PS3.7 9.1). */
  sendMessage(contextId: number, command: CommandSet, dataSet?: Buffer | AsyncIterable<Uint8Array>): Promise<void> {
    return this.enqueue(async () => {
      await this.writeFragments(contextId, true, [encodeCommand(command)]);
      if (!dataSet) return;
      try {
        await this.writeFragments(contextId, false, Buffer.isBuffer(dataSet) ? [dataSet] : dataSet);
      } catch (err) {
        // Half a data set is on the wire: nothing but an abort puts the association back in a known state.
        this.port.broken(`could not send the rest of a data set: ${(err as Error).message}`);
        throw err;
      }
    });
  }

  /**
   * Queue several small messages to leave together, in one system call (C-FIND answers): each is cut into PDUs as
   * usual; the batch is written corked, and the queue waits for the socket to drain only after it.
   */
  sendMessageBatch(contextId: number, messages: { command: CommandSet; dataSet?: Buffer }[]): Promise<void> {
    return this.enqueue(async () => {
      this.port.checkCanSend();
      // A command set that repeats (the same object: a query's pending answers) is encoded once.
      const pdus: PresentationDataValue[][] = [];
      let last: CommandSet | undefined;
      let lastBytes: Uint8Array | undefined;
      for (const m of messages) {
        if (m.command !== last) {
          last = m.command;
          lastBytes = encodeCommand(m.command);
        }
        const pdvs: PresentationDataValue[] = [{ contextId, isCommand: true, isLast: true, data: lastBytes! }];
        if (m.dataSet) pdvs.push({ contextId, isCommand: false, isLast: true, data: m.dataSet });
        pdus.push(pdvs);
      }
      // Small messages (C-FIND answers) whose command and data set fit one PDU together: each message one P-DATA-TF
      // PDU with two PDVs (PS3.8 9.3.5: one or more), all of them copied into one buffer and written at once.
      const limit = this.sendLimit();
      let total = 0;
      let onePduEach = true;
      for (const pdvs of pdus) {
        const length = pDataLength(pdvs);
        total += length;
        if (length - PDU_HEADER_LENGTH > limit) onePduEach = false;
      }
      if (onePduEach && total <= COALESCED_BYTES) {
        const out = Buffer.allocUnsafe(total);
        let at = 0;
        for (const pdvs of pdus) at = writePData(out, at, pdvs);
        this.socket.write(out);
      } else {
        const push = (isCommand: boolean, data: Uint8Array) => {
          let at = 0;
          do at = this.writePdu(contextId, isCommand, data, at, true).next;
          while (at < data.length);
        };
        this.socket.cork();
        try {
          for (const pdvs of pdus) for (const pdv of pdvs) push(pdv.isCommand, pdv.data);
        } finally {
          this.socket.uncork();
        }
      }
      if (this.socket.writableNeedDrain) await this.drained();
    });
  }

  enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.sendChain.then(task);
    this.sendChain = run.catch(() => undefined);
    return run;
  }

  private sendLimit(): number {
    const max = this.port.peerMaxPduLength() > 0 ? this.port.peerMaxPduLength() : DEFAULT_SEND_PDU;
    return Math.max(max - 6, 64); // a PDV header is 6 bytes inside the PDU body
  }

  /**
   * Cut a message part into P-DATA-TF PDUs of one PDV each. The PDV headers and the data slices go to the socket as they
   * are, without copying, corked so that a burst of PDUs leaves in one system call.
   */
  /** One P-DATA-TF PDU with one PDV of `data` from `at`; `ok` false means the socket wants to drain. */
  private writePdu(
    contextId: number,
    isCommand: boolean,
    data: Uint8Array,
    at: number,
    isLast: boolean,
  ): { next: number; ok: boolean } {
    const n = Math.min(this.sendLimit(), data.length - at);
    let ok = this.socket.write(encodePDataHeader(contextId, isCommand, isLast && at + n >= data.length, n));
    if (n > 0) ok = this.socket.write(data.subarray(at, at + n));
    return { next: at + n, ok };
  }

  private async writeFragments(
    contextId: number,
    isCommand: boolean,
    parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<void> {
    let held: Uint8Array | undefined;
    const emit = async (data: Uint8Array, isLast: boolean) => {
      this.port.checkCanSend();
      let at = 0;
      this.socket.cork();
      try {
        do {
          let ok: boolean;
          ({ next: at, ok } = this.writePdu(contextId, isCommand, data, at, isLast));
          if (!ok && at < data.length) {
            this.socket.uncork();
            await this.drained();
            this.socket.cork();
          }
        } while (at < data.length);
      } finally {
        this.socket.uncork();
      }
      if (this.socket.writableNeedDrain) await this.drained();
    };
    if (Array.isArray(parts)) {
      for (let i = 0; i < parts.length; i++) await emit(parts[i]!, i === parts.length - 1);
      if (parts.length === 0) await emit(new Uint8Array(0), true);
      return;
    }
    for await (const part of parts) {
      if (held) await emit(held, false);
      held = part;
    }
    await emit(held ?? new Uint8Array(0), true);
  }

  private drained(): Promise<void> {
    if (this.socket.destroyed)
      return Promise.reject(new Error(`association ${this.port.label()} closed while sending`));
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off('drain', onDrain);
        reject(new Error(`association ${this.port.label()} closed while sending`));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  write(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed) return Promise.reject(new Error(`association ${this.port.label()} is closed`));
    return this.socket.write(bytes) ? Promise.resolve() : this.drained();
  }

  sendPdu(bytes: Buffer): void {
    void this.enqueue(() => this.write(bytes)).catch(() => undefined);
  }
}
