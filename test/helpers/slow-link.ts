import net from 'node:net';

/**
 * A TCP link in front of a peer that hands on everything the peer sends only after `delayMs` (in order), while what is
 * sent to the peer goes through at once: a slow peer, so that a test can act while a transfer to it is running, however
 * fast the machine. The peer closing or vanishing closes the connection through the link once what it sent is handed on.
 */
export interface SlowLink {
  port: number;
  close(): Promise<void>;
}

/** `port`: the link's own port (a free one by default; the same again to stand a closed link up anew). */
export async function slowLink(peerPort: number, delayMs: number, port = 0): Promise<SlowLink> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((near) => {
    const far = net.connect({ host: '127.0.0.1', port: peerPort });
    for (const s of [near, far]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    near.pipe(far);
    // Timers of equal delay fire in the order they were set: the peer's bytes and its end keep their order.
    far.on('data', (chunk: Buffer) => {
      setTimeout(() => near.write(chunk), delayMs);
    });
    far.on('close', () => {
      setTimeout(() => near.destroy(), delayMs);
    });
    near.on('close', () => far.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
