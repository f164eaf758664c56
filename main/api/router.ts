import type http from 'node:http';
import type { Endpoint, ResponseOf, RouteAccess } from './endpoints.ts';
import type { Principal } from '../accounts/accounts.ts';
import type { AuditEntry } from '../audit/audit-record.ts';
import { Refusal } from '../util/refusal.ts';
import { msg } from '../../common/message.ts';

/**
 * The API's routes as data: each declares its method, path, what it needs from the core (its module gets only that
 * interface) and the permission it asks for (common/roles.ts); the HTTP layer enforces it, in one place, before the
 * handler runs.
 */

export type { RouteAccess } from './endpoints.ts';

export class HttpError extends Refusal {
  get status(): number {
    return this.httpStatus;
  }
}

export interface RouteContext {
  req: http.IncomingMessage;
  url: URL;
  /** The path's :parameters, decoded, in order. */
  params: string[];
  /** The JSON body (POST/PUT), unless the route reads the body itself. */
  body: unknown;
  /** A rawBody route's body as it is read, counted against MaxUploadMB and the disk's reserve (upload-space.ts). */
  upload?: AsyncIterable<Buffer>;
  /** Aborts when the client goes away before the answer (a Cancel in the UI): long DICOM operations stop then. */
  signal: AbortSignal;
  /** Who asks (undefined only on public routes). */
  principal?: Principal;
  /** The client's address. */
  source: string;
  /** Record what this request did in the audit trail, as its user from its address. */
  audit(entry: Omit<AuditEntry, 'user' | 'source'>): void;
}

/** A route's answer written by the route itself (a file streamed), instead of JSON. */
export class Streamed {
  readonly write: (res: http.ServerResponse) => Promise<void>;
  constructor(write: (res: http.ServerResponse) => Promise<void>) {
    this.write = write;
  }
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** "/api/nodes/:ae/echo" */
  path: string;
  permission: RouteAccess;
  /** The handler reads the request body itself (an upload) instead of getting it parsed as JSON. */
  rawBody?: boolean;
  handler(ctx: RouteContext): Promise<unknown>;
}

/**
 * A route on its endpoint (endpoints.ts): method, path and permission come from there, and the handler must answer the
 * endpoint's type (or write its answer itself: a file, a cookie).
 */
export function route<E extends Endpoint<unknown, unknown>>(
  endpoint: E,
  handler: (ctx: RouteContext) => Promise<ResponseOf<E> | Streamed>,
  options: { rawBody?: boolean } = {},
): RouteDef {
  return { method: endpoint.method, path: endpoint.path, permission: endpoint.permission, ...options, handler };
}

interface CompiledRoute extends RouteDef {
  pattern: RegExp;
}

export class Router {
  private readonly routes: CompiledRoute[];

  /** Routes come from many features in any order: one with fewer :parameters is tried first (a literal path wins). */
  constructor(routes: readonly RouteDef[]) {
    const params = (r: RouteDef) => r.path.match(/:\w+/g)?.length ?? 0;
    this.routes = [...routes]
      .sort((a, b) => params(a) - params(b))
      .map((r) => ({ ...r, pattern: new RegExp(`^${r.path.replace(/:\w+/g, '([^/]+)')}$`) }));
  }

  /** The route for a request and its decoded parameters; a 404 or a 400 (a malformed parameter) otherwise. */
  match(method: string, pathname: string): { route: RouteDef; params: string[] } {
    const route = this.routes.find((r) => r.method === method && r.pattern.test(pathname));
    if (!route) throw new HttpError(404, `no ${method} ${pathname}`);
    try {
      return { route, params: route.pattern.exec(pathname)!.slice(1).map(decodeURIComponent) };
    } catch {
      throw new HttpError(400, `${pathname} is not a well-formed address`);
    }
  }

  /** Whether a public route (login, set-up, who-am-I) answers this request. */
  isPublic(method: string, pathname: string): boolean {
    return this.routes.some((r) => r.method === method && r.permission === 'public' && r.pattern.test(pathname));
  }

  /** Every route, for listing and for tests that check each declares what it needs. */
  list(): readonly RouteDef[] {
    return this.routes;
  }
}

/** A required text field of a request body. */
export function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v.trim()) throw new HttpError(400, msg('{what} is required', { what }));
  return v.trim();
}

/** A `?limit=` of a list: a whole number from 1 to `max` (a database takes no 1e21), `fallback` when not given. */
export function listLimit(raw: string | null, fallback: number, max = 100_000): number {
  const limit = raw === null ? fallback : Number(raw);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max)
    throw new HttpError(400, msg('limit must be a whole number from 1 to {max}', { max }));
  return limit;
}

/** 404 for something the archive does not have. */
export function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new HttpError(404, msg('no {what}', { what }));
  return value;
}
