import { createReadStream } from 'node:fs';
import { stat, statfs, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ArchiveServer } from '../server.ts';
import { ListenerNotMoved } from '../listener-not-moved.ts';
import { ConfigError } from '../config/config-error.ts';
import { WorklistEntryError } from '../index/worklist-entry.ts';
import { TransferError } from '../transfers.ts';
import type { SourceLogger } from '../util/log.ts';
import type { AssociationEvent, JobEvent, ObjectEvent } from '../events.ts';
import { SettingsRefused, readSettingsDto, saveSettings } from './settings-routes.ts';
import { QueryRefused, findLocal, findRemote, withJobStudies } from './query-routes.ts';
import { NotAReport, structuredReport } from './structured-report.ts';
import { serveUi } from './static-ui.ts';
import { objectHeader } from './object-header.ts';
import { importUpload } from './upload.ts';
import { DicomOperationError } from '../scu/dicom-client.ts';
import type { EchoResult, EventMessage, ListenerRestarted, StudyDeleted, NodeDto, RetrieveRequest, SendRequest, StatusDto } from './contract.ts';

/**
 * The core's HTTP + WebSocket API (contract.ts): status, nodes (acrnema.map) with echo, jobs, sends and retrieves, the
 * worklist, the live event stream, and WADO-URI for objects; and the UI's files (static-ui.ts). Every API request must
 * carry the install's secret; the API serves only indexed objects, never a path it is given.
 */

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** `signal` aborts when the client goes away before the answer (a Cancel in the UI): long DICOM operations stop then. */
type Handler = (req: http.IncomingMessage, url: URL, params: string[], body: unknown, signal: AbortSignal) => Promise<unknown>;
interface Route { method: string; pattern: RegExp; handler: Handler; rawBody: boolean }

const MAX_BODY = 1 << 20;
const LEVELS = new Set(['PATIENT', 'STUDY', 'SERIES', 'IMAGE']);

function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v.trim()) throw new HttpError(400, `${what} is required`);
  return v.trim();
}

export class HttpApi {
  private readonly archive: ArchiveServer;
  private readonly secret: Buffer;
  private readonly log: SourceLogger;
  private readonly http: http.Server;
  private readonly sockets: WebSocketServer;
  private readonly routes: Route[] = [];
  port = 0;

  constructor(archive: ArchiveServer, secret: string, log: SourceLogger) {
    this.archive = archive;
    this.secret = Buffer.from(secret);
    this.log = log;
    this.http = http.createServer((req, res) => void this.serve(req, res));
    this.sockets = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api/events' || !this.authorized(req, url)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.sockets.handleUpgrade(req, socket, head, (ws) => this.stream(ws));
    });
    this.defineRoutes();
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

  private authorized(req: http.IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    const given = Buffer.from(header ?? url.searchParams.get('token') ?? '');
    return given.length === this.secret.length && timingSafeEqual(given, this.secret);
  }

  /** `rawBody`: the handler reads the request body itself (an upload), instead of getting it parsed as JSON. */
  private route(method: string, path: string, handler: Handler, rawBody = false): void {
    this.routes.push({ method, pattern: new RegExp(`^${path.replace(/:\w+/g, '([^/]+)')}$`), handler, rawBody });
  }

  private defineRoutes(): void {
    const a = this.archive;
    this.route('GET', '/api/status', async () => {
      const storage = await Promise.all(a.store.devices.map(async (p) => {
        const s = await statfs(p);
        return { path: p, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      }));
      return { aeTitle: a.config.settings.aeTitle, dicomPort: a.port, associations: a.openAssociations, counts: await a.index.counts(), storage } satisfies StatusDto;
    });
    this.route('GET', '/api/activity', async () => a.activity.snapshot());
    this.route('GET', '/api/nodes', async () => a.config.nodes.nodes.map(({ ae, host, port, compression }): NodeDto => ({ ae, host, port, compression })));
    this.route('POST', '/api/nodes', async (_req, _url, _p, body) => {
      const b = body as Partial<NodeDto>;
      const node = { ae: text(b.ae, 'ae'), host: text(b.host, 'host'), port: Number(b.port), compression: b.compression || 'un' };
      try {
        a.config.nodes.upsert(node);
      } catch (err) {
        if (err instanceof ConfigError) throw new HttpError(400, err.reason);
        throw err;
      }
      await writeFile(a.config.settings.acrNemaMap, a.config.nodes.toString());
      return node;
    });
    this.route('DELETE', '/api/nodes/:ae', async (_req, _url, [ae]) => {
      // A forwarding rule naming the node would make dicom.ini refused at the next start.
      const rule = a.config.forwardRules.find((r) => r.destination.toUpperCase() === ae!.toUpperCase());
      if (rule) throw new HttpError(409, `ExportConverter${rule.index} (dicom.ini line ${rule.line}) forwards to ${rule.destination}: change or remove that rule first`);
      if (!a.config.nodes.remove(ae!)) throw new HttpError(404, `no node ${ae!}`);
      await writeFile(a.config.settings.acrNemaMap, a.config.nodes.toString());
      return { removed: ae! };
    });
    this.route('POST', '/api/nodes/:ae/echo', async (_req, _url, [ae], _body, signal) => {
      try {
        return { ae, ok: true, milliseconds: Math.round(await a.transfers.echo(ae, signal)) } satisfies EchoResult;
      } catch (err) {
        return { ae, ok: false, error: (err as Error).message } satisfies EchoResult;
      }
    });
    this.route('GET', '/api/settings', async () => readSettingsDto(a));
    this.route('PUT', '/api/settings', async (_req, _url, _p, body) => saveSettings(a, text((body as { text?: unknown }).text, 'text')));
    this.route('POST', '/api/listener/restart', async () => {
      const dicomPort = await a.restartListener();
      return { aeTitle: a.config.settings.aeTitle, dicomPort } satisfies ListenerRestarted;
    });
    this.route('DELETE', '/api/studies/:uid', async (_req, _url, [uid]) =>
      ({ studyUid: uid!, ...this.found(await a.deleteStudy(uid!), `study ${uid!}`) }) satisfies StudyDeleted);
    this.route('POST', '/api/find', async (_req, _url, _p, body) => findLocal(a, body as object));
    this.route('POST', '/api/nodes/:ae/find', async (_req, _url, [ae], body, signal) => findRemote(a, ae!, body as object, signal));
    // The newest jobs (`?limit=`, 200 by default): the queue keeps every job it ever ran.
    this.route('GET', '/api/jobs', async (_req, url) => {
      const limit = Number(url.searchParams.get('limit') ?? 200);
      if (!Number.isInteger(limit) || limit < 1) throw new HttpError(400, 'limit must be a whole number above 0');
      return withJobStudies(a, (await a.transfers.queue.list()).slice(-limit));
    });
    this.route('POST', '/api/jobs/:id/cancel', async (_req, _url, [id]) => this.found(await a.transfers.queue.cancel(Number(id)), `job ${id}`));
    this.route('POST', '/api/jobs/:id/retry', async (_req, _url, [id]) => this.found(await a.transfers.queue.retry(Number(id)), `job ${id}`));
    this.route('POST', '/api/send', async (_req, _url, _p, body) => {
      const b = body as Partial<SendRequest>;
      if (!LEVELS.has(String(b.level))) throw new HttpError(400, 'level must be PATIENT, STUDY, SERIES or IMAGE');
      return a.transfers.send(text(b.destination, 'destination'), b.level!, text(b.uid, 'uid'));
    });
    this.route('POST', '/api/retrieve', async (_req, _url, _p, body) => {
      const b = body as Partial<RetrieveRequest>;
      if (b.how !== 'move' && b.how !== 'get') throw new HttpError(400, 'how must be move or get');
      if (!b.query || !LEVELS.has(String(b.query.level)) || typeof b.query.keys !== 'object') throw new HttpError(400, 'query needs a level and keys');
      return a.transfers.retrieve(text(b.source, 'source'), b.query, b.how, b.destination ?? '');
    });
    this.route('GET', '/api/objects/:uid/header', async (_req, _url, [uid]) => {
      const inst = this.found(await a.index.findInstance(uid!), `object ${uid!}`);
      return objectHeader(a.store.absolutePath(inst.location));
    });
    this.route('GET', '/api/objects/:uid/report', async (_req, _url, [uid]) => {
      const inst = this.found(await a.index.findInstance(uid!), `object ${uid!}`);
      try {
        return await structuredReport(a.store.absolutePath(inst.location));
      } catch (err) {
        if (err instanceof NotAReport) throw new HttpError(422, err.message);
        throw err;
      }
    });
    // One Part-10 object per request; ?name= is the file's name, for the report.
    this.route('POST', '/api/import', async (req, url) => {
      const type = req.headers['content-type'] ?? '';
      if (!/^application\/(dicom|octet-stream)\b/.test(type)) throw new HttpError(415, 'send one DICOM file as application/dicom');
      return importUpload(a, req, url.searchParams.get('name') ?? 'upload');
    }, true);
    this.route('GET', '/api/worklist', async () => a.index.listWorklist());
    this.route('POST', '/api/worklist', async (_req, _url, _p, body) => a.index.addWorklistEntry(body as object));
    this.route('PUT', '/api/worklist/:id', async (_req, _url, [id], body) => this.found(await a.index.updateWorklistEntry(Number(id), body as object), `worklist entry ${id}`));
    this.route('DELETE', '/api/worklist/:id', async (_req, _url, [id]) => {
      if (!(await a.index.deleteWorklistEntry(Number(id)))) throw new HttpError(404, `no worklist entry ${id}`);
      return { removed: Number(id) };
    });
  }

  private found<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new HttpError(404, `no ${what}`);
    return value;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET' && !url.pathname.startsWith('/api/') && url.pathname !== '/wado') {
        if (await serveUi(url.pathname, res)) return;
        throw new HttpError(404, `no ${url.pathname}`);
      }
      if (!this.authorized(req, url)) throw new HttpError(401, 'this request needs the install\'s secret (Authorization: Bearer, or ?token=)');
      if (req.method === 'GET' && url.pathname === '/wado') return await this.wado(url, res);
      const route = this.routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
      if (!route) throw new HttpError(404, `no ${req.method} ${url.pathname}`);
      let params: string[];
      try {
        params = route.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      } catch {
        throw new HttpError(400, `${url.pathname} is not a well-formed address`);
      }
      const body = !route.rawBody && (req.method === 'POST' || req.method === 'PUT') ? await this.body(req) : undefined;
      const gone = new AbortController();
      res.once('close', () => { if (!res.writableFinished) gone.abort(new Error('the client went away (cancelled)')); });
      this.json(res, 200, await route.handler(req, url, params, body, gone.signal));
    } catch (err) {
      const status = err instanceof HttpError ? err.status
        : err instanceof WorklistEntryError || err instanceof TransferError || err instanceof SettingsRefused || err instanceof QueryRefused ? 400
          : err instanceof ListenerNotMoved ? 409
          : err instanceof DicomOperationError ? 502 : 500;
      if (status === 500) this.log.error(`${req.method} ${url.pathname}: ${(err as Error).stack}`);
      const problems = err instanceof SettingsRefused ? err.problems : undefined;
      if (!res.headersSent) this.json(res, status, { error: (err as Error).message, problems });
      else res.destroy();
    }
  }

  private async body(req: http.IncomingMessage): Promise<unknown> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
      parts.push(chunk as Buffer);
    }
    try {
      return parts.length ? JSON.parse(Buffer.concat(parts).toString('utf8')) : {};
    } catch {
      throw new HttpError(400, 'the request body is not JSON');
    }
  }

  private json(res: http.ServerResponse, status: number, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  }

  /** WADO-URI (PS3.18 9): the object as stored, Part-10; only objects the index knows, by their UIDs. */
  private async wado(url: URL, res: http.ServerResponse): Promise<void> {
    const q = url.searchParams;
    if (q.get('requestType') !== 'WADO') throw new HttpError(400, 'requestType must be WADO');
    const objectUid = text(q.get('objectUID'), 'objectUID');
    const contentType = q.get('contentType') ?? 'application/dicom';
    if (contentType !== 'application/dicom') throw new HttpError(406, `contentType ${contentType} is not available (application/dicom is)`);
    const inst = await this.archive.index.findInstance(objectUid);
    if (!inst) throw new HttpError(404, `no object ${objectUid}`);
    const file = this.archive.store.absolutePath(inst.location);
    const { size } = await stat(file);
    res.writeHead(200, { 'content-type': 'application/dicom', 'content-length': size, 'content-disposition': `attachment; filename="${objectUid}.dcm"` });
    const stream = createReadStream(file);
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('end', () => resolve());
      stream.pipe(res);
    });
  }

  /** The event stream: every association, object and job event as one JSON message. */
  private stream(ws: WebSocket): void {
    const send = (message: EventMessage) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message)); };
    const onAssociation = (event: AssociationEvent) => send({ type: 'association', event });
    const onObject = (event: ObjectEvent) => send({ type: 'object', event });
    const onJob = (event: JobEvent) => send({ type: 'job', event });
    const events = this.archive.events;
    events.on('association', onAssociation);
    events.on('object', onObject);
    events.on('job', onJob);
    ws.on('close', () => {
      events.off('association', onAssociation);
      events.off('object', onObject);
      events.off('job', onJob);
    });
  }
}
