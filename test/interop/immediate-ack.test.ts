import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { DicomListener, connect, type TlsSettings } from '../../main/protocol/network.ts';
import type { Association, IncomingMessage } from '../../main/protocol/association.ts';
import { negotiate } from '../../main/protocol/negotiation.ts';
import { encodePData, encodePdu, PduType } from '../../main/protocol/pdu.ts';
import { CommandField, encodeCommand } from '../../main/protocol/command.ts';
import { Status } from '../../main/dicom/status.ts';
import { immediateAckSupport } from '../../main/protocol/immediate-ack.ts';
import { APPLICATION_CONTEXT, TransferSyntax, VERIFICATION_SOP_CLASS } from '../../common/uids.ts';
import { Logger, type LogRecord } from '../../main/util/log.ts';
import { RawPeer } from '../helpers/raw-peer.ts';
import { makeCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import type { AssociationSummary } from '../../main/runtime/activity.ts';

const OPTIONS = { maxPduLength: 65536, artimTimeout: 5, idleTimeout: 30, maxBufferedDataSet: 1 << 20 };
const IMPLICIT = TransferSyntax.ImplicitLittleEndian;

/**
 * Every DICOM socket we accept or open acknowledges at once what it receives (issue 37): a peer that keeps Nagle's
 * algorithm on holds the rest of a PDU until its first part is acknowledged, and Linux delays that acknowledgement by
 * ~40 ms once a connection looks interactive ("pingpong": we answered right after reading). Here a raw peer sends half
 * a PDU right after our side answered something, and TCP_QUICKACK is read back with getsockopt during that read, on
 * accepted and on connected sockets, plain and TLS. Without the re-arming it reads 0 there.
 */
describe.runIf(process.platform === 'linux')('acknowledging at once what a DICOM socket receives', () => {
  const logs: LogRecord[] = [];
  const logger = new Logger('debug');
  logger.addSink((r) => logs.push(r));
  let certs: TestCertificates;
  let serverTls: TlsSettings;
  let clientTls: tls.ConnectionOptions;

  beforeAll(async () => {
    certs = await makeCertificates();
    const [cert, key, ca, clientCert, clientKey] = await Promise.all(
      [certs.server.cert, certs.server.key, certs.ca, certs.client.cert, certs.client.key].map((f) => readFile(f)),
    );
    serverTls = { cert: cert!, key: key!, ca: ca! };
    clientTls = { cert: clientCert, key: clientKey, ca, checkServerIdentity: () => undefined };
  });
  afterAll(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it('is available on this Linux through TCP_QUICKACK', () => {
    expect(immediateAckSupport()).toEqual({ available: true, how: 'TCP_QUICKACK after each read' });
  });

  /** A C-ECHO request or response as one P-DATA-TF, cut in two. */
  const echoHalves = (commandField: number, messageId: number) => {
    const command =
      commandField === CommandField.CEchoRQ
        ? { commandField, messageId, affectedSopClassUid: VERIFICATION_SOP_CLASS, hasDataSet: false }
        : {
            commandField,
            messageIdBeingRespondedTo: messageId,
            affectedSopClassUid: VERIFICATION_SOP_CLASS,
            status: Status.Success,
            hasDataSet: false,
          };
    const pdu = encodePData([{ contextId: 1, isCommand: true, isLast: true, data: encodeCommand(command) }]);
    const cut = Math.floor(pdu.length / 2);
    return [pdu.subarray(0, cut), pdu.subarray(cut)] as const;
  };

  /** What `acknowledgesAtOnce` says during each read of the association's socket, after its own reading of it. */
  const watchReads = (assoc: Association): (boolean | undefined)[] => {
    const seen: (boolean | undefined)[] = [];
    // The association's own data handler was added when it was made, so this one runs after it, within the same read.
    (assoc as unknown as { socket: net.Socket }).socket.on('data', () => seen.push(assoc.acknowledgesAtOnce()));
    return seen;
  };

  for (const secure of [false, true]) {
    const kind = secure ? 'TLS' : 'plain';

    it(`on an accepted ${kind} socket, in force during a read that follows our answer`, async () => {
      const policy = {
        aeTitle: 'SERVER',
        acceptAnyCalledAe: false,
        sopClasses: new Set([VERIFICATION_SOP_CLASS]),
        transferSyntaxes: new Set([IMPLICIT]),
      };
      let reads: (boolean | undefined)[] = [];
      const answerEcho = (a: Association, msg: IncomingMessage) =>
        void a.sendMessage(msg.context.id, {
          commandField: CommandField.CEchoRSP,
          messageIdBeingRespondedTo: msg.command.messageId,
          affectedSopClassUid: VERIFICATION_SOP_CLASS,
          status: Status.Success,
          hasDataSet: false,
        });
      const listener = new DicomListener(
        OPTIONS,
        { negotiate: (rq) => negotiate(rq, policy), onMessage: answerEcho },
        logger.child('server'),
        (a) => {
          reads = watchReads(a);
        },
        secure ? serverTls : undefined,
      );
      const port = await listener.listen(0, '127.0.0.1');
      try {
        const peer = secure ? await RawPeer.connectTls(port, clientTls) : await RawPeer.connect(port);
        await peer.associate('SERVER', VERIFICATION_SOP_CLASS, IMPLICIT);
        // The A-ASSOCIATE-AC went out right after the request was read: the kernel would now delay its acknowledgements.
        const [first, rest] = echoHalves(CommandField.CEchoRQ, 7);
        peer.send(first);
        await vi.waitFor(() => expect(reads.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
        expect(reads[1]).toBe(true);
        peer.send(rest);
        expect((await peer.response()).status).toBe(Status.Success);
        await peer.release();
      } finally {
        await listener.close();
      }
    });

    it(`on a connected ${kind} socket, in force during a read that follows our request`, async () => {
      let onPeer: (p: RawPeer) => void = () => undefined;
      const accepted = new Promise<RawPeer>((resolve) => {
        onPeer = resolve;
      });
      const onSocket = (s: net.Socket) => onPeer(RawPeer.over(s));
      const server = secure
        ? tls.createServer({ cert: serverTls.cert, key: serverTls.key, ca: serverTls.ca, requestCert: true }, onSocket)
        : net.createServer(onSocket);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      let client: Association | undefined;
      let peer: RawPeer | undefined;
      try {
        const port = (server.address() as net.AddressInfo).port;
        client = await connect(
          '127.0.0.1',
          port,
          OPTIONS,
          {},
          logger.child('client'),
          undefined,
          secure ? { cert: clientTls.cert as Buffer, key: clientTls.key as Buffer, ca: serverTls.ca } : undefined,
        );
        const reads = watchReads(client);
        peer = await accepted;
        const associated = client.requestAssociation('CLIENT', 'PEER', [
          { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [IMPLICIT] },
        ]);
        const rq = await peer.next(PduType.AssociateRQ);
        expect(rq?.callingAe).toBe('CLIENT');
        peer.send(
          encodePdu({
            type: PduType.AssociateAC,
            calledAe: 'PEER',
            callingAe: 'CLIENT',
            applicationContext: APPLICATION_CONTEXT,
            contexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT }],
            userInfo: { maxPduLength: 16384, implementationClassUid: '2.25.42', roles: [], other: [] },
          }),
        );
        await associated;
        // Our C-ECHO-RQ goes out right after the A-ASSOCIATE-AC was read.
        const echo = client.request(1, {
          commandField: CommandField.CEchoRQ,
          messageId: client.nextMessageId(),
          affectedSopClassUid: VERIFICATION_SOP_CLASS,
          hasDataSet: false,
        });
        await peer.next(PduType.PData);
        const [first, rest] = echoHalves(CommandField.CEchoRSP, 1);
        peer.send(first);
        await vi.waitFor(() => expect(reads.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
        expect(reads[1]).toBe(true);
        peer.send(rest);
        expect((await echo).command.status).toBe(Status.Success);
        const released = client.release();
        await peer.next(PduType.ReleaseRQ);
        peer.send(encodePdu({ type: PduType.ReleaseRP }));
        await released;
      } finally {
        client?.abort('the test ended');
        peer?.destroy();
        await new Promise((r) => server.close(r));
      }
    });
  }
});

/**
 * DCMTK's tools as Debian ships them (Nagle's algorithm on, no shim) pull a study by C-GET and have it moved to a
 * storescp, to completion; the Monitor gives every association its median time per object: the modality's store, the
 * getscu pull and the C-MOVE sub-association to storescp (issue 37).
 */
describe('DCMTK as it ships against the archive', () => {
  let archive: TestArchive;
  let storescp: RunningStorescp;
  let work: string;
  const study = uid();
  const COUNT = 20;

  beforeAll(async () => {
    storescp = await startStorescp('STORESCP');
    archive = await startArchive({}, [`STORESCP 127.0.0.1 ${storescp.port} un`]);
    work = await mkdtemp(path.join(tmpdir(), 'pacs-as-shipped-'));
    const files = await writeImages(
      path.join(work, 'sent'),
      Array.from({ length: COUNT }, (_, i) =>
        makeImage({ rows: 256, columns: 256, patientId: 'NAGLE', studyUid: study, instanceNumber: i + 1 }),
      ),
    );
    const stored = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...files,
    ]);
    expect(stored.code, stored.stderr).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await storescp?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const recent = (match: Partial<AssociationSummary>) =>
    archive.server.core.activity
      .snapshot()
      .recent.find((a) => Object.entries(match).every(([k, v]) => a[k as keyof AssociationSummary] === v));

  it('times each object the modality stored', async () => {
    await vi.waitFor(() => expect(recent({ callingAe: 'MODALITY', role: 'acceptor' })).toBeDefined());
    const store = recent({ callingAe: 'MODALITY', role: 'acceptor' });
    expect(store).toMatchObject({ objects: COUNT, failed: 0 });
    expect(store!.msPerObject).toBeGreaterThan(0);
  });

  it('serves getscu its C-GET to the last object, and times each', async () => {
    const out = path.join(work, 'got');
    await mkdir(out);
    const got = await run('getscu', [
      '-S',
      '-aet',
      'PULLER',
      '-aec',
      archive.aeTitle,
      '-od',
      out,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(got.code, got.stderr).toBe(0);
    expect(await readdir(out)).toHaveLength(COUNT);
    await vi.waitFor(() => expect(recent({ callingAe: 'PULLER' })).toBeDefined());
    const pull = recent({ callingAe: 'PULLER' })!;
    expect(pull.objects).toBe(COUNT);
    expect(pull.msPerObject).toBeGreaterThan(0);
  });

  it('moves the study to a storescp to the last object, and times each on the sub-association', async () => {
    const moved = await run('movescu', [
      '-S',
      '-aet',
      'MOVER',
      '-aec',
      archive.aeTitle,
      '-aem',
      'STORESCP',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(await storescp.files()).toHaveLength(COUNT);
    await vi.waitFor(() => expect(recent({ calledAe: 'STORESCP', role: 'requestor' })).toBeDefined());
    const sub = recent({ calledAe: 'STORESCP', role: 'requestor' })!;
    expect(sub).toMatchObject({ callingAe: archive.aeTitle, objects: COUNT, failed: 0, reason: 'released' });
    expect(sub.msPerObject).toBeGreaterThan(0);
    expect(archive.logText()).not.toMatch(/acknowledgements cannot be sent at once/);
  });
});
