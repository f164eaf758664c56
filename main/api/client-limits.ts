import type http from 'node:http';
import type net from 'node:net';

/**
 * What one client may hold of the API server: open connections and event streams per address, and how long a request
 * may take to arrive. A client past its share is refused (503) and the others go on being served.
 */
export const LIMITS = {
  connectionsPerClient: 64,
  eventStreamsPerClient: 16,
  eventStreams: 256,
  /** The request's headers must arrive within this (a client dripping headers is cut off). */
  headersMs: 20_000,
  /** The whole request, body included (a large upload on a slow line still fits). */
  requestMs: 15 * 60_000,
  /** A connection with nothing moving. */
  idleMs: 120_000,
  keepAliveMs: 5_000,
};

export class ClientLimits {
  private readonly connections = new Map<string, number>();
  private readonly streams = new Map<string, number>();
  private totalStreams = 0;

  /** Apply the timeouts and the per-client connection cap to `server`. */
  attach(server: http.Server): void {
    server.headersTimeout = LIMITS.headersMs;
    server.requestTimeout = LIMITS.requestMs;
    server.keepAliveTimeout = LIMITS.keepAliveMs;
    server.setTimeout(LIMITS.idleMs, (socket) => socket.destroy());
    server.on('connection', (socket: net.Socket) => {
      const address = socket.remoteAddress ?? '';
      const open = (this.connections.get(address) ?? 0) + 1;
      this.connections.set(address, open);
      socket.once('close', () => this.release(this.connections, address));
      if (open > LIMITS.connectionsPerClient) {
        socket.end(
          `HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\nmore than ${LIMITS.connectionsPerClient} connections from ${address}\n`,
        );
        socket.destroySoon();
      }
    });
  }

  /** Take an event stream slot for `address`; false when it has its share or the server is full. */
  openStream(address: string): boolean {
    const mine = this.streams.get(address) ?? 0;
    if (mine >= LIMITS.eventStreamsPerClient || this.totalStreams >= LIMITS.eventStreams) return false;
    this.streams.set(address, mine + 1);
    this.totalStreams++;
    return true;
  }

  closeStream(address: string): void {
    this.totalStreams--;
    this.release(this.streams, address);
  }

  private release(map: Map<string, number>, address: string): void {
    const left = (map.get(address) ?? 1) - 1;
    if (left > 0) map.set(address, left);
    else map.delete(address);
  }
}
