import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SourceLogger } from '../util/log.ts';
import type {
  ArchiveEvents,
  AssociationEvent,
  Hl7Event,
  JobEvent,
  ObjectEvent,
  WorklistEvent,
} from '../runtime/events.ts';
import type { ApiErrorBody, EventMessage } from './contract.ts';
import { HttpError, Router, Streamed, type RouteAccess, type RouteDef } from './router.ts';
import type { ApiFrame } from './services.ts';
import type { AuditEntry } from '../audit/audit-record.ts';
import { SettingsRefused } from './settings-routes.ts';
import { Refusal } from '../util/refusal.ts';
import { serveUi } from './static-ui.ts';
import { DICOMWEB_PREFIX } from './dicomweb-routes.ts';
import { may } from '../../common/roles.ts';
import { AccountRefused, type Principal } from '../accounts/accounts.ts';
import { RequestAuth } from './request-auth.ts';
import { readJsonBody } from './request-body.ts';
import type { Upload } from './upload-space.ts';
import { ClientLimits } from './client-limits.ts';
import { apiServer } from './api-tls.ts';
import { msg } from '../../common/message.ts';
import type { TLSSocket } from 'node:tls';
import { hostAllowed } from './host-names.ts';

/** HSTS on every HTTPS answer: a browser that met the archive over HTTPS never tries plain HTTP on it again. */
const HSTS = 'max-age=15552000';

/**
 * The core's HTTP + WebSocket API (contract.ts): status, nodes (acrnema.map) with echo, jobs, sends and retrieves, the
 * worklist, the live event stream, and WADO-URI for objects; accounts and the audit trail; and the UI's files
 * (static-ui.ts). Every request but login and set-up is signed (request-auth.ts) and each route's permission is checked
 * against the caller's role here, before its handler runs; the API serves only indexed objects, never a path it is given.
 */

/** How often an idle event stream checks that its session still holds. */
const STREAM_CHECK_MS = 2_000;

export class HttpApi {
  private readonly events: ArchiveEvents;
  private readonly auth: RequestAuth;
  private readonly log: SourceLogger;
  private readonly http: http.Server;
  private readonly sockets: WebSocketServer;
  private readonly limits = new ClientLimits();
  readonly router: Router;
  private readonly corsOrigins: () => string[];
  private readonly frame: ApiFrame;
  port = 0;

  /** The routes the features contribute (each group got only the service it needs); `server` is plain HTTP or HTTPS (api-tls.ts). */
  constructor(
    frame: ApiFrame,
    routes: readonly RouteDef[],
    log: SourceLogger,
    server: http.Server = apiServer(undefined),
  ) {
    this.frame = frame;
    this.events = frame.events;
    this.router = new Router(routes);
    this.corsOrigins = () => frame.corsOrigins();
    this.auth = new RequestAuth(
      () => frame.links.secret(),
      frame.accounts.accounts,
      frame.accounts.keys,
      frame.links.links,
      frame.links.local,
    );
    this.log = log;
    this.http = server;
    this.http.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.serve(req, res));
    this.limits.attach(this.http);
    this.sockets = new WebSocketServer({ noServer: true, maxPayload: 4096 });
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!hostAllowed(req.headers.host, this.frame.hostNames())) {
        socket.end('HTTP/1.1 421 Misdirected Request\r\n\r\n');
        return;
      }
      const principal = url.pathname === '/api/events' ? this.auth.principal(req, url) : undefined;
      if (!principal) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      const address = req.socket.remoteAddress ?? '';
      if (!this.limits.openStream(address)) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
        return;
      }
      this.sockets.handleUpgrade(req, socket, head, (ws) => {
        ws.once('close', () => this.limits.closeStream(address));
        this.stream(ws, () => this.auth.stillValid(principal));
      });
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.port = (this.http.address() as AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  async close(): Promise<void> {
    for (const ws of this.sockets.clients) ws.terminate();
    this.sockets.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Whether `principal` may use a route that asks for `access`: a 401 (not signed in) or 403 (not this role) otherwise. */
  private allow(access: RouteAccess, principal: Principal | undefined, what: string): void {
    if (access === 'public') return;
    if (!principal)
      throw new HttpError(
        401,
        msg("sign in first (or give the install's secret from this computer: Authorization: Bearer)"),
      );
    if (access !== 'signed-in' && !may(principal.role, access))
      throw new HttpError(
        403,
        msg('{user} ({role}) may not {what}: it needs the {access} permission', {
          user: principal.user,
          role: principal.role,
          what,
          access,
        }),
      );
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const dicomWeb = url.pathname === DICOMWEB_PREFIX || url.pathname.startsWith(`${DICOMWEB_PREFIX}/`);
    if ((req.socket as TLSSocket).encrypted) res.setHeader('strict-transport-security', HSTS);
    let upload: Upload | undefined;
    try {
      if (!hostAllowed(req.headers.host, this.frame.hostNames())) {
        throw new HttpError(
          421,
          msg('this archive does not answer to the name {host}; an admin adds it to APIHostNames', {
            host: req.headers.host ?? '',
          }),
        );
      }
      if (dicomWeb && this.cors(req, res)) return;
      const routed = url.pathname.startsWith('/api/') || url.pathname === '/wado' || url.pathname === '/metrics';
      if (req.method === 'GET' && !routed && !dicomWeb) {
        if (await serveUi(url.pathname, res)) return;
        throw new HttpError(404, msg('no {pathname}', { pathname: url.pathname }));
      }
      const principal = this.auth.principal(req, url);
      const source = req.socket.remoteAddress ?? '';
      // Unknown addresses are answered 401 before 404, so that the list of routes is not open to anyone.
      if (!principal && !this.router.isPublic(req.method ?? 'GET', url.pathname)) this.allow('view', undefined, '');
      const { route, params } = this.router.match(req.method ?? 'GET', url.pathname);
      const audit = (entry: AuditEntry) => this.frame.audit(entry);
      try {
        this.allow(route.permission, principal, `${req.method} ${route.path}`);
      } catch (err) {
        if (principal)
          audit({
            user: principal.user,
            source,
            action: 'refused',
            outcome: 'refused',
            detail: `${req.method} ${url.pathname}`,
          });
        throw err;
      }
      if (route.rawBody) upload = await this.frame.uploads.open(req);
      const body =
        !route.rawBody && (req.method === 'POST' || req.method === 'PUT') ? await readJsonBody(req) : undefined;
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) gone.abort(new Error('the client went away (cancelled)'));
      });
      const answer = await route.handler({
        req,
        url,
        params,
        body,
        upload: upload?.chunks,
        signal: gone.signal,
        principal,
        source,
        audit: (entry) => audit({ ...entry, user: principal?.user ?? '', source }),
      });
      if (answer instanceof Streamed) await answer.write(res);
      else this.json(res, 200, answer);
    } catch (err) {
      // A refused upload's rest is not read: the connection ends with the answer.
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      if (hasBody && !req.complete && !res.headersSent) res.setHeader('connection', 'close');
      if (err instanceof AccountRefused && err.retryAfterSeconds && !res.headersSent)
        res.setHeader('retry-after', String(err.retryAfterSeconds));
      const status = err instanceof Refusal ? err.httpStatus : 500;
      if (status === 500) this.log.error(`${req.method} ${url.pathname}: ${(err as Error).stack}`);
      const problems = err instanceof SettingsRefused ? err.problems : undefined;
      // `error` in English (scripts, logs); `message` for the UI to say in the user's language.
      if (!res.headersSent)
        this.json(res, status, {
          error: (err as Error).message,
          message: err instanceof Refusal ? err.said : undefined,
          problems,
        } satisfies ApiErrorBody);
      else res.destroy();
    } finally {
      upload?.done();
    }
  }

  /**
   * CORS for DICOMweb (a web viewer served from another origin): the allowed origins (DicomWebCorsOrigins) get the
   * Access-Control headers; a preflight is answered here, before authentication (browsers send it without
   * credentials). Returns whether the request was answered.
   */
  private cors(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const origin = req.headers.origin;
    const allowed = this.corsOrigins();
    if (!origin || !(allowed.includes('*') || allowed.includes(origin))) return false;
    res.setHeader('access-control-allow-origin', allowed.includes('*') ? '*' : origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'Warning, Content-Type, Content-Length');
    if (req.method !== 'OPTIONS') return false;
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers':
        req.headers['access-control-request-headers'] ?? 'Authorization, Accept, Content-Type',
      'access-control-max-age': '600',
    });
    res.end();
    return true;
  }

  private json(res: http.ServerResponse, status: number, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  }

  /**
   * The event stream: every association, object, job and HL7 event as one JSON message, for as long as what signed it
   * holds: a session that ends (sign-out, expiry, a role or password change, the user deleted) or a revoked key closes
   * it (code 4401), checked before each message and every few seconds.
   */
  private stream(ws: WebSocket, valid: () => boolean): void {
    const ended = () => {
      if (valid()) return false;
      if (ws.readyState === ws.OPEN) ws.close(4401, 'signed out');
      return true;
    };
    const send = (message: EventMessage) => {
      if (ws.readyState === ws.OPEN && !ended()) ws.send(JSON.stringify(message));
    };
    const check = setInterval(ended, STREAM_CHECK_MS);
    check.unref();
    const onAssociation = (event: AssociationEvent) => send({ type: 'association', event });
    const onObject = (event: ObjectEvent) => send({ type: 'object', event });
    const onJob = (event: JobEvent) => send({ type: 'job', event });
    const onHl7 = (event: Hl7Event) => send({ type: 'hl7', event });
    const onWorklist = (event: WorklistEvent) => send({ type: 'worklist', event });
    const events = this.events;
    events.on('association', onAssociation);
    events.on('object', onObject);
    events.on('job', onJob);
    events.on('hl7', onHl7);
    events.on('worklist', onWorklist);
    ws.on('close', () => {
      clearInterval(check);
      events.off('association', onAssociation);
      events.off('object', onObject);
      events.off('job', onJob);
      events.off('hl7', onHl7);
      events.off('worklist', onWorklist);
    });
  }
}
