import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { LOCAL_ADMIN, type Accounts, type Principal } from '../accounts/accounts.ts';
import { API_KEY_PREFIX, type ApiKeys } from '../accounts/api-keys.ts';

/**
 * Who an API request comes from. The install's secret (DATA/api-secret, given to the desktop window by its preload) is
 * the local administrator, and is taken only from this computer (loopback): other desks sign in with an account. An
 * API key (pacs_…, made by an admin for another system) comes as a bearer token from anywhere. A session comes as a
 * bearer token (scripts, DICOMweb clients) or as the HttpOnly cookie the login set (the browser UI: no token in page
 * script or in URLs). A request authenticated by the cookie must come from a page of this origin
 * (its Origin header, when it has one, names this host) so that another site cannot act with it.
 */

export const SESSION_COOKIE = 'pacs_session';

export function isLoopback(address: string | undefined): boolean {
  return !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

export function sessionCookie(token: string, maxHours: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.round(maxHours * 3600)}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Whether the request's Origin (if any) is this server as the client addressed it. */
function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export class RequestAuth {
  private readonly secret: Buffer;
  private readonly accounts: Accounts;
  private readonly keys: ApiKeys;

  constructor(secret: string, accounts: Accounts, keys: ApiKeys) {
    this.secret = Buffer.from(secret);
    this.accounts = accounts;
    this.keys = keys;
  }

  private isSecret(given: string): boolean {
    const bytes = Buffer.from(given);
    return bytes.length === this.secret.length && timingSafeEqual(bytes, this.secret);
  }

  /** Whether what signed a long-lived request (an event stream) still holds: the session open, the key not revoked. */
  stillValid(principal: Principal): boolean {
    if (principal.via === 'secret') return true;
    if (principal.via === 'key') return this.keys.valid(principal.session ?? '');
    return this.accounts.sessionOpen(principal.session ?? '');
  }

  /** The request's principal, or undefined (not signed in, expired, or the secret from another computer). */
  principal(req: http.IncomingMessage, url: URL): Principal | undefined {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    // ?token= only for the install secret (the desktop's <img> and WebSocket URLs): a session never travels in a URL.
    const given = bearer ?? url.searchParams.get('token') ?? undefined;
    if (given && this.isSecret(given)) return isLoopback(req.socket.remoteAddress) ? { user: LOCAL_ADMIN, role: 'admin', via: 'secret' } : undefined;
    if (bearer?.startsWith(API_KEY_PREFIX)) return this.keys.principal(bearer);
    if (bearer) return this.accounts.session(bearer);
    const fromCookie = cookie(req, SESSION_COOKIE);
    if (fromCookie && sameOrigin(req)) return this.accounts.session(fromCookie);
    return undefined;
  }
}
