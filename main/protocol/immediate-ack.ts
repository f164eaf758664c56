import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { SourceLogger } from '../util/log.ts';

/**
 * Acknowledge at once what a DICOM socket receives. A peer that keeps Nagle's algorithm on (DCMTK's tools as they ship,
 * many modalities built on them) sends the last small segment of a PDU only when the previous one is acknowledged, and
 * the kernel delays that acknowledgement because the PDU is not complete yet (~40 ms on Linux, up to 200 ms on Windows):
 * 20-30 objects a second whatever either side can do. Our own TCP_NODELAY only speeds what we send.
 * - Linux: TCP_QUICKACK, which the kernel clears again as it sees fit (tcp(7)): set after every read, which also sends
 *   at once an acknowledgement the kernel was holding back.
 * - Windows: the socket's acknowledgement frequency set to 1 (SIO_TCP_SET_ACK_FREQUENCY), which stays.
 * The system calls go through koffi (a maintained FFI package whose prebuilt binaries come from the npm registry, one
 * package per platform). Where neither is possible (another OS, Wine, a missing binary) sockets work as before and the
 * log says so once.
 */
export interface ImmediateAck {
  /** Call after each read from the socket; never throws. */
  afterRead(): void;
  /** Linux: whether the kernel acknowledges at once now (getsockopt TCP_QUICKACK); undefined where it cannot tell. */
  inForce(): boolean | undefined;
}

interface Platform {
  name: string;
  /** Made once per socket; a string says why it cannot be, and `refused` that the system has no such option. */
  forSocket(socket: Socket): ImmediateAck | { why: string; refused?: boolean };
}

const NONE: ImmediateAck = { afterRead: () => undefined, inForce: () => undefined };

let platform: Platform | null | undefined;
let unavailable = '';
let toldUnavailable = false;

/** Sets the socket up to acknowledge at once; the returned `afterRead` goes in its data handler. */
export function immediateAck(socket: Socket, log: SourceLogger): ImmediateAck {
  if (platform === undefined) platform = loadPlatform();
  let why = unavailable;
  if (platform) {
    const ack = platform.forSocket(socket);
    if ('afterRead' in ack) return ack;
    why = `${platform.name}: ${ack.why}`;
    if (ack.refused) {
      platform = null;
      unavailable = why;
    }
  }
  if (!toldUnavailable) {
    toldUnavailable = true;
    log.warn(
      `TCP acknowledgements cannot be sent at once here (${why}): peers that keep Nagle's algorithm on may send only 20-30 objects a second`,
    );
  }
  return NONE;
}

/** What `immediateAck` uses here, for the log at start and the tests. */
export function immediateAckSupport(): { available: boolean; how: string } {
  if (platform === undefined) platform = loadPlatform();
  return platform ? { available: true, how: platform.name } : { available: false, how: unavailable };
}

function loadPlatform(): Platform | null {
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch (err) {
    unavailable = `the koffi package does not load: ${(err as Error).message.split('\n')[0]}`;
    return null;
  }
  try {
    if (process.platform === 'linux') return linux(koffi);
    if (process.platform === 'win32') return windows(koffi);
    unavailable = `no way is known on ${process.platform}`;
  } catch (err) {
    unavailable = (err as Error).message.split('\n')[0]!;
  }
  return null;
}

const IPPROTO_TCP = 6;
/** linux/tcp.h */
const TCP_QUICKACK = 12;

function linux(koffi: typeof import('koffi')): Platform {
  // The process's own symbols: Node links the C library, whichever it is (glibc, musl).
  const libc = koffi.load(null as unknown as string);
  const setsockopt = libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)');
  const getsockopt = libc.func('int getsockopt(int fd, int level, int name, void *value, _Inout_ uint32_t *length)');
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const probe = (fd: number) => {
    const value = Buffer.alloc(4);
    return getsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, value, [4]) === 0 ? value.readInt32LE(0) !== 0 : undefined;
  };
  return {
    name: 'TCP_QUICKACK after each read',
    forSocket(socket) {
      const fd = socketFd(socket);
      if (fd === undefined) return { why: 'the socket has no file descriptor' };
      if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, one, 4) !== 0)
        return { why: `setsockopt failed (errno ${koffi.errno()})`, refused: true };
      return {
        afterRead: () => {
          if (!socket.destroyed) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, one, 4);
        },
        inForce: () => (socket.destroyed ? undefined : probe(fd)),
      };
    },
  };
}

/** mstcpip.h: _WSAIOW(IOC_VENDOR, 23); its input is TCP_ACK_FREQUENCY_PARAMETERS, one byte. */
const SIO_TCP_SET_ACK_FREQUENCY = 0x98000017;
/** Socket handles are kernel handles, multiples of 4; a process holding more than this many is not expected. */
const MAX_HANDLE = 1 << 18;

function windows(koffi: typeof import('koffi')): Platform {
  const ws2 = koffi.load('ws2_32.dll');
  const getsockname = ws2.func('int __stdcall getsockname(uintptr_t s, void *name, _Inout_ int *length)');
  const getpeername = ws2.func('int __stdcall getpeername(uintptr_t s, void *name, _Inout_ int *length)');
  const wsaIoctl = ws2.func(
    'int __stdcall WSAIoctl(uintptr_t s, uint32_t code, const void *input, uint32_t inputLength, void *output, uint32_t outputLength, _Out_ uint32_t *returned, void *overlapped, void *completion)',
  );
  const wsaGetLastError = ws2.func('int __stdcall WSAGetLastError()');
  const frequencyOne = Buffer.from([1]);
  const address = Buffer.alloc(128);
  /** The port a sockaddr_in or sockaddr_in6 names (bytes 2-3, network order), or -1. */
  const portOf = (call: typeof getsockname, handle: number) =>
    call(handle, address, [address.length]) === 0 ? address.readUInt16BE(2) : -1;
  return {
    name: 'acknowledgement frequency 1 (SIO_TCP_SET_ACK_FREQUENCY)',
    forSocket(socket) {
      // Node does not give the SOCKET of a TCP handle on Windows: find it among the process's handles by its two ports.
      const local = socket.localPort;
      const remote = socket.remotePort;
      if (local === undefined || remote === undefined) return { why: 'the socket is not connected' };
      for (let handle = 4; handle < MAX_HANDLE; handle += 4) {
        if (portOf(getsockname, handle) !== local || portOf(getpeername, handle) !== remote) continue;
        if (wsaIoctl(handle, SIO_TCP_SET_ACK_FREQUENCY, frequencyOne, 1, null, 0, [0], null, null) !== 0) {
          return { why: `WSAIoctl failed (error ${wsaGetLastError()})`, refused: true };
        }
        return { afterRead: () => undefined, inForce: () => undefined };
      }
      return { why: `no socket of this process has the ports ${local} and ${remote}` };
    },
  };
}

/** The file descriptor under a plain or TLS socket (a TLS socket's handle forwards its TCP handle's descriptor). */
function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
