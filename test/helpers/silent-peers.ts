import net from 'node:net';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { PduReader } from '../../main/protocol/pdu-reader.ts';
import { ContextResult, decodePdu, encodePdu, PduType, type AssociateRQ } from '../../main/protocol/pdu.ts';

/**
 * Nodes that are not what an admin thinks they are: a web server on the port typed in, a socket that accepts and
 * never speaks, a port whose listen queue is full (the connection is never completed), and a DICOM peer that
 * accepts the association and then never answers a request. Each listens on a free loopback port; `stop` ends it.
 */
export interface SilentPeer {
  port: number;
  stop(): Promise<void>;
}

function listening(server: net.Server | http.Server, sockets: Set<net.Socket>): Promise<SilentPeer> {
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        stop: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

/** A plain HTTP server: what answers when the web port is typed instead of the DICOM port. */
export function httpServer(): Promise<SilentPeer> {
  const server = http.createServer((_req, res) => res.end('<html>not DICOM</html>'));
  return listening(server, new Set());
}

/** Accepts the TCP connection and never sends a byte. */
export function acceptsAndSilent(): Promise<SilentPeer> {
  return listening(
    net.createServer(() => undefined),
    new Set(),
  );
}

/** Accepts the association (every context, its first transfer syntax), then never answers anything. */
export function associatesAndSilent(): Promise<SilentPeer> {
  const server = net.createServer((socket) => {
    const reader = new PduReader(1 << 20);
    socket.on('data', (chunk) => {
      for (const ev of reader.push(chunk)) {
        if (ev.kind !== 'pdu' || ev.type !== PduType.AssociateRQ) continue;
        const rq = decodePdu(ev.type, ev.body) as AssociateRQ;
        socket.write(
          encodePdu({
            type: PduType.AssociateAC,
            calledAe: rq.calledAe,
            callingAe: rq.callingAe,
            applicationContext: rq.applicationContext,
            contexts: rq.contexts.map((c) => ({
              id: c.id,
              result: ContextResult.Acceptance,
              transferSyntax: c.transferSyntaxes[0]!,
            })),
            userInfo: { maxPduLength: 16384, implementationClassUid: '2.25.7', roles: [], other: [] },
          }),
        );
      }
    });
  });
  return listening(server, new Set());
}

/**
 * A listening socket that never accepts, its queue filled by connections of its own, so that a further connect is
 * never completed (the SYN is dropped, as for an address where nothing answers). Python, because Node accepts by itself.
 */
export async function neverAccepts(): Promise<SilentPeer> {
  const script = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]; fill = []',
    'for _ in range(8):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    fill.append(c)',
    // Until the kernel says the accept queue is full (for a listening socket /proc/net/tcp gives the queue's length as
    // rx_queue and its limit as tx_queue), not for a fixed time.
    'def full():',
    '    for row in open("/proc/net/tcp").read().splitlines()[1:]:',
    '        f = row.split()',
    '        if f[1].endswith(":%04X" % port) and f[3] == "0A":',
    '            limit, length = (int(x, 16) for x in f[4].split(":"))',
    '            return length > limit',
    '    return False',
    'while not full(): time.sleep(0.01)',
    'print(port, flush=True); sys.stdin.read()',
  ].join('\n');
  const child: ChildProcess = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`python3 is needed for this test: ${e.message}`)));
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  return {
    port,
    stop: async () => {
      child.stdin!.end();
      child.kill();
    },
  };
}
