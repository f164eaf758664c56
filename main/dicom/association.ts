import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import {
  AbortReason, AbortSource, ContextResult, PduError, PduType, decodePdu, describeRejection, encodePDataHeader, encodePdu,
  type AcceptedContext, type AssociateAC, type AssociateRQ, type Pdu,
  type ProposedContext, type RoleSelection,
} from './pdu.ts';
import { PduReader, type PdvPiece } from './pdu-reader.ts';
import { CommandError, commandName, decodeCommand, encodeCommand, isResponse, type CommandSet } from './command.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, APPLICATION_CONTEXT } from './uids.ts';
import type { NegotiationResult } from './negotiation.ts';
import type { SourceLogger } from '../util/log.ts';

/** Where a message's data set goes as it arrives. `write` returning false pauses the socket until `drained()` resolves. */
export interface DataSink {
  write(chunk: Uint8Array): boolean;
  drained(): Promise<void>;
  end(): void;
  abort(error: Error): void;
}

export interface PresentationContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

/** A complete command set; a handler may set `dataSink` before returning to stream the data set instead of buffering it. */
export interface IncomingMessage {
  context: PresentationContext;
  command: CommandSet;
  dataSink?: DataSink;
}

export interface AssociationOptions {
  /** Largest P-DATA-TF body we accept (we advertise it); 0 means no limit. */
  maxPduLength: number;
  /** Seconds to wait for an expected PDU at setup and teardown (the ARTIM timer, PS3.8 9.1.5). */
  artimTimeout: number;
  /** Seconds without any PDU after which an established association is aborted. */
  idleTimeout: number;
  /** Largest data set buffered in memory for a message no handler streams. */
  maxBufferedDataSet: number;
  /** Seconds to wait for the response to a request we sent (reset by each pending response); 0 or absent: no limit. */
  dimseTimeout?: number;
  /** Requestor: seconds to wait for the TCP connection to be completed; 0 or absent: the system's limit. */
  connectTimeout?: number;
}

export interface AssociationHandler {
  /** Acceptor only: decide the A-ASSOCIATE-AC or -RJ. */
  negotiate?(rq: AssociateRQ): NegotiationResult;
  /** A request's command set is complete. */
  onCommand?(assoc: Association, msg: IncomingMessage): void;
  /** A message without a streamed data set is complete, with its data set bytes if any. */
  onMessage?(assoc: Association, msg: IncomingMessage, dataSet: Buffer | undefined): void;
}

type State = 'awaiting-rq' | 'awaiting-ac' | 'established' | 'awaiting-rp' | 'closing' | 'closed';

/** Hard cap on non-P-DATA PDUs (an A-ASSOCIATE-RQ with hundreds of contexts stays far below it). */
const MAX_CONTROL_PDU = 1 << 20;
/** A peer may ignore our maximum; we tolerate that up to this size before calling the length wrong. */
const MAX_ANY_PDU = 32 << 20;
/** When the peer sets no maximum (0) we still cut our P-DATA into PDUs of this size. */
const DEFAULT_SEND_PDU = 1 << 20;

let nextAssociationId = 1;

/**
 * One association over one socket, in either role: the upper-layer state machine (PS3.8 9.2), timers, and DIMSE
 * message assembly and fragmentation (PS3.7 Annex E / PS3.8 9.3.5). Services plug in through the handler.
 */
export class Association extends EventEmitter {
  readonly id = nextAssociationId++;
  readonly role: 'acceptor' | 'requestor';
  readonly remote: string;
  /** The peer's IP address. */
  readonly remoteAddress: string;
  callingAe = '';
  calledAe = '';
  peerImplementation = '';
  /** Accepted contexts by ID. */
  readonly contexts = new Map<number, PresentationContext>();
  roles: RoleSelection[] = [];
  peerMaxPduLength = 0;

  private state: State;
  private readonly socket: Socket;
  private readonly options: AssociationOptions;
  private readonly handler: AssociationHandler;
  private readonly log: SourceLogger;
  private readonly reader: PduReader;
  private artim: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private sendChain: Promise<void> = Promise.resolve();
  private commandParts: Uint8Array[] = [];
  private current: { msg: IncomingMessage; buffered?: Uint8Array[]; bufferedBytes: number } | undefined;
  private pendingResponses = new Map<number, { onResponse: (msg: IncomingMessage, data: Buffer | undefined) => void; fail: (e: Error) => void; timer?: NodeJS.Timeout }>();
  private requestorWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private releaseWaiter: (() => void) | undefined;
  private closedReason = '';

  constructor(socket: Socket, role: 'acceptor' | 'requestor', options: AssociationOptions, handler: AssociationHandler, log: SourceLogger) {
    super();
    this.socket = socket;
    this.role = role;
    this.options = options;
    this.handler = handler;
    this.log = log;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.state = role === 'acceptor' ? 'awaiting-rq' : 'awaiting-ac';
    this.reader = new PduReader(Math.min(MAX_ANY_PDU, options.maxPduLength ? Math.max(options.maxPduLength * 4, MAX_CONTROL_PDU) : MAX_ANY_PDU));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.onTransportClosed(`socket error: ${err.message}`));
    socket.on('close', () => this.onTransportClosed('connection closed by peer'));
    if (role === 'acceptor') this.startArtim('waiting for A-ASSOCIATE-RQ');
  }

  /** "CALLING -> CALLED @ address", the way every log line names the association. */
  get label(): string {
    return `#${this.id} ${this.callingAe || '?'} -> ${this.calledAe || '?'} (${this.remote})`;
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }

  // ------------------------------------------------------------ requestor side

  /** Send an A-ASSOCIATE-RQ and wait for the AC; rejects with the reason on RJ or abort. */
  requestAssociation(callingAe: string, calledAe: string, contexts: ProposedContext[], roles: RoleSelection[] = []): Promise<void> {
    this.callingAe = callingAe;
    this.calledAe = calledAe;
    this.proposed = contexts;
    this.startArtim('waiting for A-ASSOCIATE-AC');
    this.sendPdu(encodePdu({
      type: PduType.AssociateRQ, calledAe, callingAe, applicationContext: APPLICATION_CONTEXT, contexts,
      userInfo: this.ourUserInfo(roles),
    }));
    return new Promise((resolve, reject) => { this.requestorWaiter = { resolve, reject }; });
  }

  private proposed: ProposedContext[] = [];

  /**
   * Send a request and collect its responses until the final (non-pending) one. Without any response for
   * `dimseTimeout` seconds the association is aborted and the request fails with that reason.
   */
  request(contextId: number, command: CommandSet, dataSet?: Buffer | AsyncIterable<Uint8Array>,
    onPending?: (rsp: CommandSet, data: Buffer | undefined) => void): Promise<{ command: CommandSet; dataSet: Buffer | undefined }> {
    const id = command.messageId!;
    const seconds = this.options.dimseTimeout ?? 0;
    const done = new Promise<{ command: CommandSet; dataSet: Buffer | undefined }>((resolve, reject) => {
      const waiter: { onResponse: (msg: IncomingMessage, data: Buffer | undefined) => void; fail: (e: Error) => void; timer?: NodeJS.Timeout } = {
        onResponse: (msg, data) => {
          const status = msg.command.status ?? 0;
          if (status === 0xff00 || status === 0xff01) { waiter.timer?.refresh(); onPending?.(msg.command, data); return; }
          clearTimeout(waiter.timer);
          this.pendingResponses.delete(id);
          resolve({ command: msg.command, dataSet: data });
        },
        fail: (e) => { clearTimeout(waiter.timer); reject(e); },
      };
      if (seconds > 0) {
        waiter.timer = setTimeout(() => {
          const why = `no ${commandName(command.commandField | 0x8000)} from ${this.calledAe || this.remote} within ${seconds} s (DIMSE timeout)`;
          this.pendingResponses.delete(id);
          waiter.fail(new Error(why));
          this.abort(why);
        }, seconds * 1000);
        waiter.timer.unref();
      }
      this.pendingResponses.set(id, waiter);
    });
    this.sendMessage(contextId, command, dataSet).catch((err: Error) => {
      const waiter = this.pendingResponses.get(id);
      this.pendingResponses.delete(id);
      waiter?.fail(err);
    });
    return done;
  }

  private lastMessageId = 0;

  /** A message ID for our next request on this association (PS3.7 9.3.1.1: unique among those outstanding). */
  nextMessageId(): number {
    this.lastMessageId = (this.lastMessageId % 0xffff) + 1;
    return this.lastMessageId;
  }

  /** A-RELEASE-RQ, then wait for the RP and the close. */
  release(): Promise<void> {
    if (this.state !== 'established') return Promise.resolve();
    this.state = 'awaiting-rp';
    this.enqueue(async () => { await this.write(encodePdu({ type: PduType.ReleaseRQ })); });
    this.startArtim('waiting for A-RELEASE-RP');
    return new Promise((resolve) => { this.releaseWaiter = resolve; });
  }

  // ------------------------------------------------------------ sending

  /** Queue one DIMSE message; messages never interleave on the wire (PS3.7 9.1). */
  sendMessage(contextId: number, command: CommandSet, dataSet?: Buffer | AsyncIterable<Uint8Array>): Promise<void> {
    return this.enqueue(async () => {
      await this.writeFragments(contextId, true, [encodeCommand(command)]);
      if (!dataSet) return;
      try {
        await this.writeFragments(contextId, false, Buffer.isBuffer(dataSet) ? [dataSet] : dataSet);
      } catch (err) {
        // Half a data set is on the wire: nothing but an abort puts the association back in a known state.
        this.abort(`could not send the rest of a data set: ${(err as Error).message}`);
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
      if (this.state === 'closed' || this.socket.destroyed) throw new Error(`association ${this.label} is closed`);
      const push = (isCommand: boolean, data: Uint8Array) => {
        let at = 0;
        do at = this.writePdu(contextId, isCommand, data, at, true).next; while (at < data.length);
      };
      this.socket.cork();
      try {
        for (const m of messages) {
          push(true, encodeCommand(m.command));
          if (m.dataSet) push(false, m.dataSet);
        }
      } finally {
        this.socket.uncork();
      }
      if (this.socket.writableNeedDrain) await this.drained();
    });
  }

  /** A-ABORT from us (source: service user unless the protocol was broken), then close. */
  abort(why: string, source: number = AbortSource.ServiceUser, reason: number = AbortReason.NotSpecified): void {
    if (this.state === 'closed') return;
    this.log.warn(`${this.label}: aborting: ${why}`);
    if (!this.socket.destroyed) this.socket.end(encodePdu({ type: PduType.Abort, source, reason }));
    this.close(`aborted by us: ${why}`);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.sendChain.then(task);
    this.sendChain = run.catch(() => undefined);
    return run;
  }

  private sendLimit(): number {
    const max = this.peerMaxPduLength > 0 ? this.peerMaxPduLength : DEFAULT_SEND_PDU;
    return Math.max(max - 6, 64); // a PDV header is 6 bytes inside the PDU body
  }

  /**
   * Cut a message part into P-DATA-TF PDUs of one PDV each. The PDV headers and the data slices go to the socket as they
   * are, without copying, corked so that a burst of PDUs leaves in one system call.
   */
  /** One P-DATA-TF PDU with one PDV of `data` from `at`; `ok` false means the socket wants to drain. */
  private writePdu(contextId: number, isCommand: boolean, data: Uint8Array, at: number, isLast: boolean): { next: number; ok: boolean } {
    const n = Math.min(this.sendLimit(), data.length - at);
    let ok = this.socket.write(encodePDataHeader(contextId, isCommand, isLast && at + n >= data.length, n));
    if (n > 0) ok = this.socket.write(data.subarray(at, at + n));
    return { next: at + n, ok };
  }

  private async writeFragments(contextId: number, isCommand: boolean, parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
    let held: Uint8Array | undefined;
    const emit = async (data: Uint8Array, isLast: boolean) => {
      if (this.state === 'closed' || this.socket.destroyed) throw new Error(`association ${this.label} is closed`);
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
    if (this.state === 'closed' || this.socket.destroyed) return Promise.reject(new Error(`association ${this.label} closed while sending`));
    return new Promise((resolve, reject) => {
      const onDrain = () => { this.socket.off('close', onClose); resolve(); };
      const onClose = () => { this.socket.off('drain', onDrain); reject(new Error(`association ${this.label} closed while sending`)); };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  private write(bytes: Buffer): Promise<void> {
    if (this.state === 'closed' || this.socket.destroyed) return Promise.reject(new Error(`association ${this.label} is closed`));
    return this.socket.write(bytes) ? Promise.resolve() : this.drained();
  }

  private sendPdu(bytes: Buffer): void {
    void this.enqueue(() => this.write(bytes)).catch(() => undefined);
  }

  private ourUserInfo(roles: RoleSelection[]) {
    return {
      maxPduLength: this.options.maxPduLength,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      roles,
      other: [],
    };
  }

  // ------------------------------------------------------------ receiving

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.touchIdle();
    try {
      for (const event of this.reader.push(chunk)) {
        if (event.kind === 'pdv') {
          if (this.state !== 'established' && this.state !== 'awaiting-rp') {
            throw new PduError(`unexpected P-DATA-TF in state ${this.state}`, AbortReason.UnexpectedPdu);
          }
          this.onPdvPiece(event);
        } else {
          if (event.body.length > MAX_CONTROL_PDU) throw new PduError(`PDU type 0x${event.type.toString(16)} of ${event.body.length} bytes is too large`);
          this.onPdu(decodePdu(event.type, event.body));
        }
        if ((this.state as State) === 'closed') return;
      }
    } catch (err) {
      if (err instanceof PduError && this.state === 'awaiting-ac') {
        this.abort(`${this.calledAe} at ${this.remote} answered with bytes that are not DICOM (${describeBytes(chunk)}): not a DICOM peer, or not its DICOM port`,
          AbortSource.ServiceProvider, err.abortReason);
      } else if (err instanceof PduError) this.abort(`malformed PDU from peer: ${err.message}`, AbortSource.ServiceProvider, err.abortReason);
      else if (err instanceof CommandError) this.abort(`malformed command set from peer: ${err.message}`, AbortSource.ServiceProvider, AbortReason.InvalidPduParameterValue);
      else this.abort(`internal error: ${(err as Error).stack ?? err}`);
    }
  }

  private unexpected(pdu: Pdu): never {
    throw new PduError(`unexpected PDU type 0x${pdu.type.toString(16)} in state ${this.state}`, AbortReason.UnexpectedPdu);
  }

  private onPdu(pdu: Pdu): void {
    switch (pdu.type) {
      case PduType.AssociateRQ:
        if (this.state !== 'awaiting-rq') this.unexpected(pdu);
        return this.onAssociateRQ(pdu);
      case PduType.AssociateAC:
        if (this.state !== 'awaiting-ac') this.unexpected(pdu);
        return this.onAssociateAC(pdu);
      case PduType.AssociateRJ: {
        if (this.state !== 'awaiting-ac') this.unexpected(pdu);
        const why = `association rejected by ${this.calledAe}: ${describeRejection(pdu.result, pdu.source, pdu.reason)}`;
        return this.close(why);
      }
      case PduType.PData:
        this.unexpected(pdu); // the reader delivers P-DATA as PDV pieces
        return;
      case PduType.ReleaseRQ:
        if (this.state !== 'established') this.unexpected(pdu);
        this.state = 'closing';
        this.closedReason = 'released';
        // The RP goes after every queued response (PS3.8 7.2).
        this.enqueue(async () => { await this.write(encodePdu({ type: PduType.ReleaseRP })); }).catch(() => undefined);
        this.startArtim('waiting for the peer to close after A-RELEASE-RP');
        this.log.debug(`${this.label}: released by peer`);
        this.emit('released');
        return;
      case PduType.ReleaseRP:
        if (this.state !== 'awaiting-rp') this.unexpected(pdu);
        this.socket.end();
        this.releaseWaiter?.();
        return this.close('released');
      case PduType.Abort: {
        const why = `aborted by peer (source ${pdu.source}, reason ${pdu.reason})`;
        this.log.warn(`${this.label}: ${why}`);
        this.socket.destroy();
        return this.close(why);
      }
    }
  }

  private onAssociateRQ(rq: AssociateRQ): void {
    this.stopArtim();
    this.callingAe = rq.callingAe;
    this.calledAe = rq.calledAe;
    this.peerImplementation = `${rq.userInfo.implementationClassUid} ${rq.userInfo.implementationVersionName ?? ''}`.trim();
    const decision = this.handler.negotiate!(rq);
    if (decision.rejection) {
      const r = decision.rejection;
      this.log.warn(`${this.label}: association rejected: ${r.why}`);
      this.state = 'closing';
      this.sendPdu(encodePdu({ type: PduType.AssociateRJ, result: r.result, source: r.source, reason: r.reason }));
      this.startArtim('waiting for the peer to close after A-ASSOCIATE-RJ');
      this.emit('rejected', r);
      return;
    }
    this.peerMaxPduLength = rq.userInfo.maxPduLength;
    for (const c of decision.contexts) {
      if (c.result !== ContextResult.Acceptance) continue;
      const pc = rq.contexts.find((p) => p.id === c.id)!;
      this.contexts.set(c.id, { id: c.id, abstractSyntax: pc.abstractSyntax, transferSyntax: c.transferSyntax });
    }
    this.roles = decision.roles;
    const ac: AssociateAC = {
      type: PduType.AssociateAC, calledAe: rq.calledAe, callingAe: rq.callingAe, applicationContext: APPLICATION_CONTEXT,
      contexts: decision.contexts, userInfo: this.ourUserInfo(decision.roles),
    };
    this.sendPdu(encodePdu(ac));
    this.state = 'established';
    this.touchIdle();
    this.log.info(`${this.label}: association accepted, ${this.contexts.size}/${rq.contexts.length} contexts, peer max PDU ${this.peerMaxPduLength}, peer ${this.peerImplementation}`);
    this.emit('established');
  }

  private onAssociateAC(ac: AssociateAC): void {
    this.stopArtim();
    this.peerMaxPduLength = ac.userInfo.maxPduLength;
    this.roles = ac.userInfo.roles;
    for (const c of ac.contexts as AcceptedContext[]) {
      const pc = this.proposed.find((p) => p.id === c.id);
      if (pc && c.result === ContextResult.Acceptance) this.contexts.set(c.id, { id: c.id, abstractSyntax: pc.abstractSyntax, transferSyntax: c.transferSyntax });
    }
    this.state = 'established';
    this.touchIdle();
    this.emit('established');
    this.requestorWaiter?.resolve();
    this.requestorWaiter = undefined;
  }

  private onPdvPiece(pdv: PdvPiece): void {
    const context = this.contexts.get(pdv.contextId);
    if (!context) throw new PduError(`presentation data value on context ${pdv.contextId}, which was not accepted`, AbortReason.UnexpectedPduParameter);
    if (pdv.isCommand) {
      if (this.current) throw new PduError('a command fragment arrived before the previous data set was complete', AbortReason.UnexpectedPdu);
      this.commandParts.push(pdv.data);
      if (pdv.isLast && pdv.pdvEnd) {
        const bytes = Buffer.concat(this.commandParts);
        this.commandParts = [];
        this.onCommandComplete(context, decodeCommand(bytes));
      }
      return;
    }
    const cur = this.current;
    if (!cur) throw new PduError('a data set fragment arrived with no command expecting one', AbortReason.UnexpectedPdu);
    if (cur.msg.context.id !== pdv.contextId) throw new PduError(`data set fragment on context ${pdv.contextId}, command was on ${cur.msg.context.id}`);
    if (cur.msg.dataSink) {
      if (pdv.data.length && !cur.msg.dataSink.write(pdv.data)) this.pauseUntil(cur.msg.dataSink.drained());
    } else {
      cur.bufferedBytes += pdv.data.length;
      if (cur.bufferedBytes > this.options.maxBufferedDataSet) {
        throw new PduError(`data set of a ${cur.msg.command.commandField.toString(16)} message exceeds ${this.options.maxBufferedDataSet} bytes`, AbortReason.NotSpecified);
      }
      cur.buffered!.push(pdv.data);
    }
    if (pdv.isLast && pdv.pdvEnd) {
      this.current = undefined;
      if (cur.msg.dataSink) cur.msg.dataSink.end();
      else this.deliver(cur.msg, Buffer.concat(cur.buffered!));
    }
  }

  private onCommandComplete(context: PresentationContext, command: CommandSet): void {
    const msg: IncomingMessage = { context, command };
    if (!isResponse(command.commandField)) this.handler.onCommand?.(this, msg);
    if (command.hasDataSet) {
      this.current = { msg, buffered: msg.dataSink ? undefined : [], bufferedBytes: 0 };
    } else {
      this.deliver(msg, undefined);
    }
  }

  private deliver(msg: IncomingMessage, data: Buffer | undefined): void {
    if (isResponse(msg.command.commandField)) {
      const waiter = this.pendingResponses.get(msg.command.messageIdBeingRespondedTo ?? -1);
      if (waiter) waiter.onResponse(msg, data);
      else this.log.warn(`${this.label}: response to unknown message ID ${msg.command.messageIdBeingRespondedTo}`);
      return;
    }
    this.handler.onMessage?.(this, msg, data);
  }

  private pauseUntil(ready: Promise<void>): void {
    this.socket.pause();
    ready.then(() => { if (this.state !== 'closed') this.socket.resume(); }, () => undefined);
  }

  // ------------------------------------------------------------ timers and teardown

  private startArtim(what: string): void {
    this.stopArtim();
    this.artim = setTimeout(() => {
      this.log.warn(`${this.label}: ARTIM timer expired after ${this.options.artimTimeout}s ${what}`);
      this.socket.destroy();
      this.close(`timed out after ${this.options.artimTimeout} s ${what}`);
    }, this.options.artimTimeout * 1000);
    this.artim.unref();
  }

  private stopArtim(): void {
    if (this.artim) clearTimeout(this.artim);
    this.artim = undefined;
  }

  private touchIdle(): void {
    if (this.state !== 'established' || this.options.idleTimeout <= 0) return;
    if (this.idle) { this.idle.refresh(); return; }
    this.idle = setTimeout(() => {
      if (this.state === 'established') this.abort(`idle for ${this.options.idleTimeout}s`);
    }, this.options.idleTimeout * 1000);
    this.idle.unref();
  }

  private onTransportClosed(why: string): void {
    if (this.state === 'closed') return;
    const expected = this.state === 'closing';
    if (!expected) this.log.warn(`${this.label}: ${why} in state ${this.state}`);
    if (this.state === 'awaiting-ac') why = `${why} before answering the A-ASSOCIATE-RQ (not a DICOM peer, or not its DICOM port?)`;
    this.close(expected ? this.closedReason || 'closed' : why);
  }

  private close(why: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedReason = why;
    this.stopArtim();
    if (this.idle) clearTimeout(this.idle);
    if (this.current?.msg.dataSink) this.current.msg.dataSink.abort(new Error(`association ${this.label} ended mid data set: ${why}`));
    this.current = undefined;
    for (const waiter of this.pendingResponses.values()) waiter.fail(new Error(`association ${this.label} closed before the response: ${why}`));
    this.pendingResponses.clear();
    // Whoever waits on this association learns that it ended, however it ended (abort, malformed PDU, timer, close).
    this.requestorWaiter?.reject(new Error(why));
    this.requestorWaiter = undefined;
    this.releaseWaiter?.();
    this.releaseWaiter = undefined;
    if (!this.socket.destroyed) this.socket.destroySoon();
    this.emit('closed', why);
  }
}

/** The first bytes a peer sent, as text when they are printable (an HTTP status line), else as hex. */
function describeBytes(chunk: Buffer): string {
  const head = chunk.subarray(0, 24);
  const text = head.toString('latin1');
  return /^[\x20-\x7e\r\n]+$/.test(text) ? `"${text.replace(/[\r\n].*$/s, '')}"` : head.toString('hex');
}
