import net from 'node:net';
import tls from 'node:tls';
import { Association, type AssociationHandler, type AssociationOptions } from './association.ts';
import type { SourceLogger } from '../util/log.ts';
import { SaidError, msg, verbatim, type Message } from '../../common/message.ts';

/**
 * DICOM over TLS (PS3.15 B.1, the BCP 195 profiles): TLS 1.2 or later, our certificate and key, the CAs whose
 * certificates we trust in peers. A listener may require peers to show a certificate (mutual authentication).
 */
export interface TlsSettings {
  key: Buffer;
  cert: Buffer;
  /** Trusted CA certificates (PEM); peers' certificates must chain to one of them. */
  ca?: Buffer;
  /** Listener: a peer without a trusted certificate is refused during the handshake. */
  requireClientCertificate?: boolean;
}

const MIN_TLS = 'TLSv1.2';

/**
 * The DICOM listener: every accepted socket becomes an acceptor association with TCP_NODELAY set (Nagle plus delayed
 * ACKs cost ~40 ms per message otherwise). One association's failure never touches another.
 */
export class DicomListener {
  readonly associations = new Set<Association>();
  /** Sockets of associations that ended while the peer keeps the connection (after an A-ASSOCIATE-RJ, until ARTIM). */
  private readonly lingering = new Set<net.Socket>();
  private readonly server: net.Server;
  private readonly options: AssociationOptions;
  private readonly handler: AssociationHandler;
  private readonly log: SourceLogger;
  private readonly onAssociation: (assoc: Association) => void;

  /** `secure`: a TLS listener (its handshake done before the association starts); refused handshakes are logged. */
  constructor(
    options: AssociationOptions,
    handler: AssociationHandler,
    log: SourceLogger,
    onAssociation: (a: Association) => void = () => undefined,
    secure?: TlsSettings,
  ) {
    this.options = options;
    this.handler = handler;
    this.log = log;
    this.onAssociation = onAssociation;
    if (secure) {
      const server = tls.createServer(
        {
          key: secure.key,
          cert: secure.cert,
          ca: secure.ca,
          minVersion: MIN_TLS,
          requestCert: true,
          rejectUnauthorized: secure.requireClientCertificate ?? true,
        },
        (socket) => {
          socket.setNoDelay(true);
          this.accept(socket);
        },
      );
      server.on('tlsClientError', (err, socket) =>
        this.log.warn(`TLS connection from ${socket.remoteAddress}:${socket.remotePort} refused: ${err.message}`),
      );
      this.server = server;
    } else {
      this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    }
    this.server.on('error', (err) => this.log.error(`listener error: ${err.message}`));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stop accepting, abort what is still open, and wait for the sockets to close. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const assoc of this.associations) assoc.abort('server is stopping');
    for (const socket of this.lingering) socket.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    const assoc = new Association(socket, 'acceptor', this.options, this.handler, this.log);
    this.associations.add(assoc);
    assoc.on('closed', () => {
      this.associations.delete(assoc);
      if (!socket.destroyed) this.lingering.add(socket);
    });
    socket.once('close', () => this.lingering.delete(socket));
    this.onAssociation(assoc);
  }
}

/**
 * Open a requestor association's transport (TCP_NODELAY on, as on every socket we open). Refused and unreachable
 * addresses fail with words an admin can act on; a connection not completed in `connectTimeout` seconds is given up.
 */
export function connect(
  host: string,
  port: number,
  options: AssociationOptions,
  handler: AssociationHandler,
  log: SourceLogger,
  signal?: AbortSignal,
  secure?: Omit<TlsSettings, 'requireClientCertificate'>,
): Promise<Association> {
  return new Promise((resolve, reject) => {
    // TLS: the peer's certificate must chain to a trusted CA; its host name is not checked against the certificate, as
    // DICOM nodes are named by AE title and often reached by address (DCMTK does the same).
    const socket = secure
      ? tls.connect({
          host,
          port,
          key: secure.key,
          cert: secure.cert,
          ca: secure.ca,
          minVersion: MIN_TLS,
          rejectUnauthorized: true,
          checkServerIdentity: () => undefined,
        })
      : net.connect({ host, port, noDelay: true });
    const seconds = options.connectTimeout ?? 0;
    const fail = (why: Message) => {
      settle();
      socket.destroy();
      reject(new SaidError(why));
    };
    const timer =
      seconds > 0
        ? setTimeout(
            () =>
              fail(
                msg(
                  'no answer from {host}:{port} within {seconds} s (connect timeout): the computer is off, the address is wrong, or a firewall drops the connection',
                  { host, port: String(port), seconds },
                ),
              ),
            seconds * 1000,
          )
        : undefined;
    const onAbort = () => fail(msg('cancelled while connecting'));
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err: NodeJS.ErrnoException) => fail(connectFailure(err, host, port, secure !== undefined)));
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      settle();
      socket.setNoDelay(true);
      resolve(new Association(socket, 'requestor', options, handler, log));
    });
  });
}

function connectFailure(err: NodeJS.ErrnoException, host: string, port: number, secure: boolean): Message {
  const where = { host, port: String(port) };
  if (
    secure &&
    (err.code?.startsWith('ERR_SSL') || /certificate|self.signed|handshake|alert|SSL|TLS/i.test(err.message))
  ) {
    return msg(
      'the TLS handshake with {host}:{port} failed: {reason} (is it a TLS port, and is its certificate from a CA in TLSCACertificates?)',
      { ...where, reason: verbatim(err.message) },
    );
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return msg('nothing listens on {host}:{port} (connection refused)', where);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return msg('the host name {host} is not known ({code})', { host, code: err.code });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return msg('{host} cannot be reached from this computer ({code})', { host, code: err.code });
    default:
      return verbatim(err.message);
  }
}
