import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import {
  AbortReason,
  AbortSource,
  ContextResult,
  PduError,
  PduType,
  decodePdu,
  describeRejection,
  encodePdu,
  type AcceptedContext,
  type AssociateAC,
  type AssociateRJ,
  type AssociateRQ,
  type Abort as AbortPdu,
  type Pdu,
  type ProposedContext,
  type RoleSelection,
} from './pdu.ts';
import { PduReader, type PdvPiece } from './pdu-reader.ts';
import { PDataSender } from './pdata-sender.ts';
import { CommandError, CommandField, commandName, decodeCommand, isResponse, type CommandSet } from './command.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, APPLICATION_CONTEXT } from '../../common/uids.ts';
import type { NegotiationResult } from './negotiation.ts';
import { ACTIONS, EVENTS, STATES, actionFor, type Action, type Event, type State } from './upper-layer-fsm.ts';
import type { SourceLogger } from '../util/log.ts';
import { immediateAck, type ImmediateAck } from './immediate-ack.ts';
import { StoreTimes } from './store-times.ts';

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
  /**
   * Acceptor only: decide the A-ASSOCIATE-AC or -RJ; at once, or later (the association stays in Sta3, awaiting the
   * local response, for at most the ARTIM time; a PDU from the peer meanwhile aborts it, as PS3.8 9.2 says).
   */
  negotiate?(rq: AssociateRQ, assoc: Association): NegotiationResult | Promise<NegotiationResult>;
  /** A request's command set is complete. */
  onCommand?(assoc: Association, msg: IncomingMessage): void;
  /** A message without a streamed data set is complete, with its data set bytes if any. */
  onMessage?(assoc: Association, msg: IncomingMessage, dataSet: Buffer | undefined): void;
}

/** Hard cap on non-P-DATA PDUs (an A-ASSOCIATE-RQ with hundreds of contexts stays far below it). */
const MAX_CONTROL_PDU = 1 << 20;
/** A peer may ignore our maximum; we tolerate that up to this size before calling the length wrong. */
const MAX_ANY_PDU = 32 << 20;

let nextAssociationId = 1;

type Waiter = {
  onResponse: (msg: IncomingMessage, data: Buffer | undefined) => void;
  fail: (e: Error) => void;
  timer?: NodeJS.Timeout;
};

/**
 * One association over one socket, in either role: the upper-layer state machine (PS3.8 9.2, the table in
 * upper-layer-fsm.ts: every PDU, primitive, timer and transport event goes through `handle`), timers, and DIMSE message
 * assembly and fragmentation (PS3.7 Annex E / PS3.8 9.3.5). Services plug in through the handler; this association is
 * their local user, answering association and release indications at once.
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
  /** Each C-STORE's time, request to response, either way (the Monitor's time per object); 'stored' follows each. */
  readonly storeTimes = new StoreTimes();
  /** Requests other than C-STORE this side answers, by message ID: their command and when they began (monitoring). */
  private readonly answering = new Map<number, { commandField: number; at: number }>();

  private state: State;
  private readonly socket: Socket;
  private readonly options: AssociationOptions;
  private readonly handler: AssociationHandler;
  private readonly log: SourceLogger;
  private readonly reader: PduReader;
  /** ARTIM (PS3.8 9.1.5): Sta2 and Sta13. */
  private artim: NodeJS.Timeout | undefined;
  /** Our local user's patience for an A-ASSOCIATE-AC or A-RELEASE-RP (Sta5, Sta7, Sta10, Sta11): then it aborts. */
  private acse: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private readonly sender: PDataSender;
  private readonly ack: ImmediateAck;
  private commandParts: Uint8Array[] = [];
  /** When the first fragment of the command being received arrived. */
  private commandStartedAt = 0;
  private current: { msg: IncomingMessage; buffered?: Uint8Array[]; bufferedBytes: number } | undefined;
  private pendingResponses = new Map<number, Waiter>();
  private requestorWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private releaseWaiter: Promise<void> | undefined;
  private releaseDone: (() => void) | undefined;
  private proposed: ProposedContext[] = [];
  private proposedRoles: RoleSelection[] = [];
  private lastMessageId = 0;
  /** The A-ABORT reason of the protocol error being handled (PS3.8 Table 9-26). */
  private abortReason: number = AbortReason.UnexpectedPdu;
  /** Why the association ended, once it has (Sta13 or Sta1). */
  private ended: string | undefined;

  constructor(
    socket: Socket,
    role: 'acceptor' | 'requestor',
    options: AssociationOptions,
    handler: AssociationHandler,
    log: SourceLogger,
  ) {
    super();
    this.socket = socket;
    this.role = role;
    this.options = options;
    this.handler = handler;
    this.log = log;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.reader = new PduReader(
      Math.min(MAX_ANY_PDU, options.maxPduLength ? Math.max(options.maxPduLength * 4, MAX_CONTROL_PDU) : MAX_ANY_PDU),
    );
    this.sender = new PDataSender(socket, {
      label: () => this.label,
      peerMaxPduLength: () => this.peerMaxPduLength,
      checkCanSend: () => this.checkCanSend(),
      broken: (why) => this.abort(why),
    });
    socket.setNoDelay(true);
    this.ack = immediateAck(socket, log);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.handle('Evt17', `socket error: ${err.message}`));
    socket.on('close', () => this.handle('Evt17', 'connection closed by peer'));
    // The transport is connected already: an acceptor is past AE-5 (Sta2, ARTIM running), a requestor past AE-1 (Sta4).
    this.state = 'Sta1';
    if (role === 'acceptor') this.handle('Evt5');
    else this.state = 'Sta4';
  }

  /** "CALLING -> CALLED @ address", the way every log line names the association. */
  get label(): string {
    return `#${this.id} ${this.callingAe || '?'} -> ${this.calledAe || '?'} (${this.remote})`;
  }

  get isEstablished(): boolean {
    return this.state === 'Sta6';
  }

  /** The upper layer's state (PS3.8 Table 9-1), for log lines and tests. */
  get upperLayerState(): State {
    return this.state;
  }

  // ------------------------------------------------------------ the state machine

  /**
   * One event: the table's action for it in this state runs and sets the next state. A PDU with no action here is
   * impossible (the table covers every PDU event in every state); a local primitive with none is refused by its caller.
   */
  private handle(event: Event, why = '', pdu?: Pdu): void {
    const action = actionFor(this.state, event);
    if (!action) {
      if (this.state !== 'Sta1')
        this.log.debug(`${this.label}: ${EVENTS[event]} ignored in ${this.state} (${STATES[this.state]})`);
      return;
    }
    this.act(action, event, why, pdu);
  }

  private act(action: Action, event: Event, why: string, pdu?: Pdu): void {
    const from = this.state;
    switch (action) {
      case 'AE-2':
        return this.sendAssociateRQ();
      case 'AE-3':
        return this.associationAccepted(pdu as AssociateAC);
      case 'AE-4': {
        const rj = pdu as AssociateRJ;
        this.closeTransport();
        return this.end(
          'Sta1',
          `association rejected by ${this.calledAe}: ${describeRejection(rj.result, rj.source, rj.reason)}`,
        );
      }
      case 'AE-5':
        this.state = 'Sta2';
        return this.startArtim('waiting for A-ASSOCIATE-RQ');
      case 'AE-6':
        return this.associationRequested(pdu as AssociateRQ);
      case 'DT-2':
      case 'AR-6':
        return; // the PDV is delivered by onData
      case 'AR-1':
        this.state = 'Sta7';
        this.sendPdu(encodePdu({ type: PduType.ReleaseRQ }));
        return this.startAcse('waiting for A-RELEASE-RP');
      case 'AR-2':
        this.state = 'Sta8';
        this.log.debug(`${this.label}: released by peer`);
        this.emit('released');
        // Our answer (Evt14) goes after every response already queued (PS3.8 7.2).
        void this.enqueue(async () => this.handle('Evt14')).catch(() => undefined);
        return;
      case 'AR-3':
        this.stopAcse();
        this.socket.end();
        return this.end('Sta1', 'released');
      case 'AR-4':
        this.sendPdu(encodePdu({ type: PduType.ReleaseRP }));
        this.startArtim('waiting for the peer to close after A-RELEASE-RP');
        return this.end('Sta13', 'released');
      case 'AR-5':
      case 'AA-5':
        this.stopArtim();
        this.state = 'Sta1';
        return;
      case 'AR-8':
        // Both ends asked to release at once: the requestor answers first, then each waits for the other's RP.
        this.log.debug(`${this.label}: release collision`);
        if (this.role === 'requestor') {
          this.state = 'Sta9';
          return this.handle('Evt14');
        }
        this.state = 'Sta10';
        return;
      case 'AR-9':
        this.state = 'Sta11';
        this.sendPdu(encodePdu({ type: PduType.ReleaseRP }));
        return;
      case 'AR-10':
        this.stopAcse();
        this.state = 'Sta12';
        return this.handle('Evt14');
      case 'AA-1':
        this.log.warn(`${this.label}: aborting: ${why}`);
        // Our own A-ABORT request (Evt15) comes from the service user; a PDU out of place before the association
        // (Sta2) is a protocol error, answered with the provider as source and the reason, as DCMTK does.
        if (event === 'Evt15') this.sendAbort(AbortSource.ServiceUser, AbortReason.NotSpecified);
        else this.sendAbort(AbortSource.ServiceProvider, this.abortReason);
        this.startArtim('waiting for the peer to close after A-ABORT');
        return this.end('Sta13', `aborted by us: ${why}`);
      case 'AA-2':
        this.stopArtim();
        this.closeTransport();
        if (event === 'Evt18')
          this.log.warn(`${this.label}: ARTIM timer expired after ${this.options.artimTimeout}s ${why}`);
        return this.end('Sta1', event === 'Evt18' ? `timed out after ${this.options.artimTimeout} s ${why}` : why);
      case 'AA-3': {
        const abort = pdu as AbortPdu;
        const text = `aborted by peer (source ${abort.source}, reason ${abort.reason})`;
        this.log.warn(`${this.label}: ${text}`);
        this.closeTransport();
        return this.end('Sta1', text);
      }
      case 'AA-4':
        this.log.warn(`${this.label}: ${why} in ${from}`);
        return this.end(
          'Sta1',
          from === 'Sta5'
            ? `${why} before answering the A-ASSOCIATE-RQ (not a DICOM peer, or not its DICOM port?)`
            : why,
        );
      case 'AA-6':
        return;
      case 'AA-7':
        this.sendAbort(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu);
        return;
      case 'AA-8': {
        const reason = why || `${EVENTS[event]} in ${from} (${STATES[from]})`;
        this.log.warn(`${this.label}: aborting: ${reason}`);
        this.sendAbort(AbortSource.ServiceProvider, this.abortReason);
        this.startArtim('waiting for the peer to close after A-ABORT');
        return this.end('Sta13', `aborted by us: ${reason}`);
      }
      default:
        throw new Error(`${action} (${ACTIONS[action].does}) is not an action this association takes on ${event}`);
    }
  }

  private sendAbort(source: number, reason: number): void {
    if (!this.socket.destroyed) this.socket.end(encodePdu({ type: PduType.Abort, source, reason }));
  }

  private closeTransport(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }

  /**
   * The association no longer exists (Sta13, awaiting the transport's close, or Sta1): whoever waits on it learns so,
   * however it ended — released, rejected, aborted by either side, a timer, a malformed PDU, the connection lost.
   */
  private end(state: State, why: string): void {
    this.state = state;
    if (this.ended !== undefined) return;
    this.ended = why;
    this.stopAcse();
    if (state === 'Sta1') this.stopArtim();
    if (this.idle) clearTimeout(this.idle);
    if (this.current?.msg.dataSink)
      this.current.msg.dataSink.abort(new Error(`association ${this.label} ended mid data set: ${why}`));
    this.current = undefined;
    for (const waiter of this.pendingResponses.values())
      waiter.fail(new Error(`association ${this.label} closed before the response: ${why}`));
    this.pendingResponses.clear();
    this.requestorWaiter?.reject(new Error(why));
    this.requestorWaiter = undefined;
    this.releaseDone?.();
    this.emit('closed', why);
  }

  // ------------------------------------------------------------ association set-up

  /** Send an A-ASSOCIATE-RQ and wait for the AC; rejects with the reason on RJ, abort, timeout or a non-DICOM answer. */
  requestAssociation(
    callingAe: string,
    calledAe: string,
    contexts: ProposedContext[],
    roles: RoleSelection[] = [],
  ): Promise<void> {
    if (this.state !== 'Sta4')
      return Promise.reject(new Error(`association ${this.label} cannot request an association in ${this.state}`));
    this.callingAe = callingAe;
    this.calledAe = calledAe;
    this.proposed = contexts;
    const done = new Promise<void>((resolve, reject) => {
      this.requestorWaiter = { resolve, reject };
    });
    this.proposedRoles = roles;
    this.handle('Evt2');
    return done;
  }

  private sendAssociateRQ(): void {
    this.state = 'Sta5';
    this.sendPdu(
      encodePdu({
        type: PduType.AssociateRQ,
        calledAe: this.calledAe,
        callingAe: this.callingAe,
        applicationContext: APPLICATION_CONTEXT,
        contexts: this.proposed,
        userInfo: this.ourUserInfo(this.proposedRoles),
      }),
    );
    this.startAcse('waiting for A-ASSOCIATE-AC');
  }

  private associationAccepted(ac: AssociateAC): void {
    this.stopAcse();
    this.peerMaxPduLength = ac.userInfo.maxPduLength;
    this.roles = ac.userInfo.roles;
    for (const c of ac.contexts as AcceptedContext[]) {
      const pc = this.proposed.find((p) => p.id === c.id);
      if (pc && c.result === ContextResult.Acceptance)
        this.contexts.set(c.id, { id: c.id, abstractSyntax: pc.abstractSyntax, transferSyntax: c.transferSyntax });
    }
    this.state = 'Sta6';
    this.touchIdle();
    this.emit('established');
    this.requestorWaiter?.resolve();
    this.requestorWaiter = undefined;
  }

  /** AE-6: the local user (our negotiation) answers, accepting (Evt7, AE-7) or rejecting (Evt8, AE-8). */
  private associationRequested(rq: AssociateRQ): void {
    this.stopArtim();
    this.state = 'Sta3';
    this.callingAe = rq.callingAe;
    this.calledAe = rq.calledAe;
    this.peerImplementation =
      `${rq.userInfo.implementationClassUid} ${rq.userInfo.implementationVersionName ?? ''}`.trim();
    const decision = this.handler.negotiate!(rq, this);
    if (!(decision instanceof Promise)) return this.answerAssociation(rq, decision);
    // Bounded as the peer's answers are: undecided after the ARTIM time, our side aborts (Evt15 in Sta3).
    this.startAcse('deciding on the association');
    decision.then(
      (d) => {
        if (this.state !== 'Sta3') return;
        this.stopAcse();
        this.answerAssociation(rq, d);
      },
      (err: Error) => {
        if (this.state === 'Sta3') this.abort(`deciding on the association failed: ${err.message}`);
      },
    );
  }

  private answerAssociation(rq: AssociateRQ, decision: NegotiationResult): void {
    if (decision.rejection) {
      const r = decision.rejection;
      this.log.warn(`${this.label}: association rejected: ${r.why}`);
      this.sendPdu(encodePdu({ type: PduType.AssociateRJ, result: r.result, source: r.source, reason: r.reason }));
      this.startArtim('waiting for the peer to close after A-ASSOCIATE-RJ');
      this.emit('rejected', r);
      return this.end('Sta13', `rejected: ${r.why}`);
    }
    this.peerMaxPduLength = rq.userInfo.maxPduLength;
    for (const c of decision.contexts) {
      if (c.result !== ContextResult.Acceptance) continue;
      const pc = rq.contexts.find((p) => p.id === c.id)!;
      this.contexts.set(c.id, { id: c.id, abstractSyntax: pc.abstractSyntax, transferSyntax: c.transferSyntax });
    }
    this.roles = decision.roles;
    this.sendPdu(
      encodePdu({
        type: PduType.AssociateAC,
        calledAe: rq.calledAe,
        callingAe: rq.callingAe,
        applicationContext: APPLICATION_CONTEXT,
        contexts: decision.contexts,
        userInfo: this.ourUserInfo(decision.roles),
      }),
    );
    this.state = 'Sta6';
    this.touchIdle();
    this.log.info(
      `${this.label}: association accepted, ${this.contexts.size}/${rq.contexts.length} contexts, peer max PDU ${this.peerMaxPduLength}, peer ${this.peerImplementation}`,
    );
    this.emit('established');
  }

  // ------------------------------------------------------------ requests, release, abort

  /**
   * Send a request and collect its responses until the final (non-pending) one. Without any response for
   * `dimseTimeout` seconds the association is aborted and the request fails with that reason.
   */
  request(
    contextId: number,
    command: CommandSet,
    dataSet?: Buffer | AsyncIterable<Uint8Array>,
    onPending?: (rsp: CommandSet, data: Buffer | undefined) => void,
  ): Promise<{ command: CommandSet; dataSet: Buffer | undefined }> {
    const id = command.messageId!;
    const seconds = this.options.dimseTimeout ?? 0;
    const began = performance.now();
    if (command.commandField === CommandField.CStoreRQ) this.storeTimes.begin(id);
    const done = new Promise<{ command: CommandSet; dataSet: Buffer | undefined }>((resolve, reject) => {
      const waiter: Waiter = {
        onResponse: (msg, data) => {
          const status = msg.command.status ?? 0;
          if (status === 0xff00 || status === 0xff01) {
            waiter.timer?.refresh();
            onPending?.(msg.command, data);
            return;
          }
          clearTimeout(waiter.timer);
          this.pendingResponses.delete(id);
          this.storeAnswered(id);
          // Monitoring: a request this side made (SCU), answered, its time from its sending to its final response.
          this.emit('requested', command.commandField, performance.now() - began, status);
          resolve({ command: msg.command, dataSet: data });
        },
        fail: (e) => {
          clearTimeout(waiter.timer);
          reject(e);
        },
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

  /** A message ID for our next request on this association (PS3.7 9.3.1.1: unique among those outstanding). */
  nextMessageId(): number {
    this.lastMessageId = (this.lastMessageId % 0xffff) + 1;
    return this.lastMessageId;
  }

  /** A-RELEASE request (after every message already queued); resolves once the association has ended, however. */
  release(): Promise<void> {
    if (this.ended !== undefined) return Promise.resolve();
    this.releaseWaiter ??= new Promise<void>((resolve) => {
      this.releaseDone = resolve;
      void this.enqueue(async () => this.handle('Evt11')).catch(() => undefined);
    });
    return this.releaseWaiter;
  }

  /** A-ABORT from our side (the local user's A-ABORT request, Evt15), then close. */
  abort(why: string): void {
    if (this.ended !== undefined) return;
    // Before the peer's A-ASSOCIATE-RQ there is no association to abort (PS3.8 has no Evt15 in Sta2): close the transport.
    if (this.state === 'Sta2') return this.act('AA-2', 'Evt15', why);
    this.handle('Evt15', why);
  }

  // ------------------------------------------------------------ sending

  /** Queue one DIMSE message; messages never interleave on the wire (PS3.7 9.1). */
  sendMessage(contextId: number, command: CommandSet, dataSet?: Buffer | AsyncIterable<Uint8Array>): Promise<void> {
    if (isResponse(command.commandField)) this.answered(command);
    return this.sender.sendMessage(contextId, command, dataSet);
  }

  /**
   * A final response leaves: 'answered' (the request's command, its milliseconds from its first byte, the status) for
   * monitoring; for C-STORE also 'stored' (its milliseconds).
   */
  private answered(response: CommandSet): void {
    const status = response.status ?? 0;
    if (status === 0xff00 || status === 0xff01) return;
    const id = response.messageIdBeingRespondedTo ?? -1;
    if (response.commandField === CommandField.CStoreRSP) {
      const ms = this.storeAnswered(id);
      if (ms !== undefined) this.emit('answered', CommandField.CStoreRQ, ms, status);
      return;
    }
    const began = this.answering.get(id);
    if (!began || began.commandField !== (response.commandField & 0x7fff)) return;
    this.answering.delete(id);
    this.emit('answered', began.commandField, performance.now() - began.at, status);
  }

  /** A C-STORE's response went out or came in: 'stored' with its milliseconds (for one begun here). */
  private storeAnswered(messageId: number): number | undefined {
    const ms = this.storeTimes.end(messageId);
    if (ms !== undefined) this.emit('stored', ms);
    return ms;
  }

  /** Several small messages leaving together, in one system call (C-FIND answers). */
  sendMessageBatch(contextId: number, messages: { command: CommandSet; dataSet?: Buffer }[]): Promise<void> {
    return this.sender.sendMessageBatch(contextId, messages);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    return this.sender.enqueue(task);
  }

  private sendPdu(bytes: Buffer): void {
    this.sender.sendPdu(bytes);
  }

  /** P-DATA (Evt9) goes out only where the table allows it: Sta6, and Sta8 (responses before our A-RELEASE-RP). */
  private checkCanSend(): void {
    if (!actionFor(this.state, 'Evt9') || this.socket.destroyed) {
      throw new Error(
        `association ${this.label} is ${this.ended !== undefined ? `closed (${this.ended})` : `not open for data (${this.state}: ${STATES[this.state]})`}`,
      );
    }
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

  /** PDU events for the table: each PDU type's event (PS3.8 Table 9-2); P-DATA-TF arrives as PDV pieces. */
  private static readonly PDU_EVENTS: Record<number, Event> = {
    [PduType.AssociateRQ]: 'Evt6',
    [PduType.AssociateAC]: 'Evt3',
    [PduType.AssociateRJ]: 'Evt4',
    [PduType.ReleaseRQ]: 'Evt12',
    [PduType.ReleaseRP]: 'Evt13',
    [PduType.Abort]: 'Evt16',
  };

  /** Whether the kernel acknowledges at once what arrives now (Linux); undefined where the system cannot tell. */
  acknowledgesAtOnce(): boolean | undefined {
    return this.ack.inForce();
  }

  private onData(chunk: Buffer): void {
    // First of all: a peer that keeps Nagle's algorithm on may be holding the rest of this PDU until it hears from us.
    this.ack.afterRead();
    if (this.state === 'Sta1') return;
    this.touchIdle();
    try {
      for (const event of this.reader.push(chunk)) {
        if (event.kind === 'pdv') {
          const action = actionFor(this.state, 'Evt10');
          if (action === 'DT-2' || action === 'AR-6') this.onPdvPiece(event);
          else this.handle('Evt10', `unexpected P-DATA-TF in ${this.state} (${STATES[this.state]})`);
        } else {
          if (event.body.length > MAX_CONTROL_PDU)
            throw new PduError(`PDU type 0x${event.type.toString(16)} of ${event.body.length} bytes is too large`);
          const pdu = decodePdu(event.type, event.body);
          const pduEvent = Association.PDU_EVENTS[pdu.type];
          if (!pduEvent)
            throw new PduError(`unexpected PDU type 0x${pdu.type.toString(16)}`, AbortReason.UnexpectedPdu);
          this.abortReason = AbortReason.UnexpectedPdu;
          this.handle(
            pduEvent,
            `unexpected ${EVENTS[pduEvent].replace(' received', '')} in ${this.state} (${STATES[this.state]})`,
            pdu,
          );
        }
        if (this.ended !== undefined) return;
      }
    } catch (err) {
      // Evt19: an unrecognized or invalid PDU (or command set) aborts this association only.
      if (err instanceof PduError || err instanceof CommandError) {
        this.abortReason = err instanceof PduError ? err.abortReason : AbortReason.InvalidPduParameterValue;
        const what = err instanceof PduError ? 'malformed PDU from peer' : 'malformed command set from peer';
        const why =
          this.state === 'Sta5'
            ? `${this.calledAe} at ${this.remote} answered with bytes that are not DICOM (${describeBytes(chunk)}): not a DICOM peer, or not its DICOM port`
            : `${what}: ${err.message}`;
        this.handle('Evt19', why);
      } else {
        this.abort(`internal error: ${(err as Error).stack ?? err}`);
      }
    }
  }

  private onPdvPiece(pdv: PdvPiece): void {
    const context = this.contexts.get(pdv.contextId);
    if (!context)
      throw new PduError(
        `presentation data value on context ${pdv.contextId}, which was not accepted`,
        AbortReason.UnexpectedPduParameter,
      );
    if (pdv.isCommand) {
      if (this.current)
        throw new PduError(
          'a command fragment arrived before the previous data set was complete',
          AbortReason.UnexpectedPdu,
        );
      if (!this.commandParts.length) this.commandStartedAt = performance.now();
      this.commandParts.push(pdv.data);
      if (pdv.isLast && pdv.pdvEnd) {
        const bytes = Buffer.concat(this.commandParts);
        this.commandParts = [];
        this.onCommandComplete(context, decodeCommand(bytes));
      }
      return;
    }
    const cur = this.current;
    if (!cur)
      throw new PduError('a data set fragment arrived with no command expecting one', AbortReason.UnexpectedPdu);
    if (cur.msg.context.id !== pdv.contextId)
      throw new PduError(`data set fragment on context ${pdv.contextId}, command was on ${cur.msg.context.id}`);
    if (cur.msg.dataSink) {
      if (pdv.data.length && !cur.msg.dataSink.write(pdv.data)) this.pauseUntil(cur.msg.dataSink.drained());
    } else {
      cur.bufferedBytes += pdv.data.length;
      if (cur.bufferedBytes > this.options.maxBufferedDataSet) {
        throw new PduError(
          `data set of a ${cur.msg.command.commandField.toString(16)} message exceeds ${this.options.maxBufferedDataSet} bytes`,
          AbortReason.NotSpecified,
        );
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
    if (command.commandField === CommandField.CStoreRQ)
      this.storeTimes.begin(command.messageId ?? -1, this.commandStartedAt);
    else if (!isResponse(command.commandField) && command.commandField !== CommandField.CCancelRQ)
      this.answering.set(command.messageId ?? -1, { commandField: command.commandField, at: this.commandStartedAt });
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
    ready.then(
      () => {
        if (this.ended === undefined) this.socket.resume();
      },
      () => undefined,
    );
  }

  // ------------------------------------------------------------ timers

  private startArtim(what: string): void {
    this.stopArtim();
    this.artim = setTimeout(() => this.handle('Evt18', what), this.options.artimTimeout * 1000);
    this.artim.unref();
  }

  private stopArtim(): void {
    if (this.artim) clearTimeout(this.artim);
    this.artim = undefined;
  }

  /** Waiting for the peer's AC or RP: when it does not come, our side gives up with an A-ABORT (Evt15). */
  private startAcse(what: string): void {
    this.stopAcse();
    this.acse = setTimeout(
      () => this.abort(`timed out after ${this.options.artimTimeout} s ${what}`),
      this.options.artimTimeout * 1000,
    );
    this.acse.unref();
  }

  private stopAcse(): void {
    if (this.acse) clearTimeout(this.acse);
    this.acse = undefined;
  }

  private touchIdle(): void {
    if (this.state !== 'Sta6' || this.options.idleTimeout <= 0) return;
    if (this.idle) {
      this.idle.refresh();
      return;
    }
    this.idle = setTimeout(() => {
      if (this.state === 'Sta6') this.abort(`idle for ${this.options.idleTimeout}s`);
    }, this.options.idleTimeout * 1000);
    this.idle.unref();
  }
}

/** The first bytes a peer sent, as text when they are printable (an HTTP status line), else as hex. */
function describeBytes(chunk: Buffer): string {
  const head = chunk.subarray(0, 24);
  const text = head.toString('latin1');
  return /^[\x20-\x7e\r\n]+$/.test(text) ? `"${text.replace(/[\r\n].*$/s, '')}"` : head.toString('hex');
}
