import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { LOCAL_ADMIN, type Accounts, type Principal } from '../accounts/accounts.ts';
import { API_KEY_PREFIX, type ApiKeys } from '../accounts/api-keys.ts';
import type { ExpiringTokens } from './expiring-tokens.ts';

/**
 * Who an API request comes from. The install's secret (DATA/api-secret, given to the desktop window by its preload) is
 * the local administrator, and is taken only from this computer (loopback) and only as a header: other desks sign in
 * with an account. An API key (pacs_…, made by an admin for another system) comes as a bearer token from anywhere. A
 * session comes as a bearer token (scripts, DICOMweb clients) or as the HttpOnly cookie the login set (the browser UI:
 * no token in page script or in URLs). A request authenticated by the cookie must come from a page of this origin
 * (its Origin header, when it has one, names this host) so that another site cannot act with it. A URL that cannot
 * carry a header (a download link, the event WebSocket) carries `?token=` of a link token instead: made for one path
 * and whoever asked, usable once within a minute (link-routes.ts).
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

/** What a link token stands for: who asked, for which path. */
export interface LinkGrant {
  principal: Principal;
  path: string;
}

export class RequestAuth {
  private readonly secret: () => string;
  private readonly accounts: Accounts;
  private readonly keys: ApiKeys;
  private readonly links: ExpiringTokens<LinkGrant>;
  /** The local administrator's browser sessions (sign-in links'). */
  private readonly local: ExpiringTokens<true>;

  /** `secret`: the install's secret as it is now (`rotate-secret` replaces it while the core runs). */
  constructor(
    secret: () => string,
    accounts: Accounts,
    keys: ApiKeys,
    links: ExpiringTokens<LinkGrant>,
    local: ExpiringTokens<true>,
  ) {
    this.secret = secret;
    this.accounts = accounts;
    this.keys = keys;
    this.links = links;
    this.local = local;
  }

  private isSecret(given: string): boolean {
    const bytes = Buffer.from(given);
    const secret = Buffer.from(this.secret());
    return bytes.length === secret.length && timingSafeEqual(bytes, secret);
  }

  /** Whether what signed a long-lived request (an event stream) still holds: the session open, the key not revoked. */
  stillValid(principal: Principal): boolean {
    if (principal.via === 'secret') return !principal.session || this.local.peek(principal.session) !== undefined;
    if (principal.via === 'key') return this.keys.valid(principal.session ?? '');
    return this.accounts.sessionOpen(principal.session ?? '');
  }

  /** The request's principal, or undefined (not signed in, expired, or the secret from another computer). */
  principal(req: http.IncomingMessage, url: URL): Principal | undefined {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (bearer && this.isSecret(bearer))
      return isLoopback(req.socket.remoteAddress) ? { user: LOCAL_ADMIN, role: 'admin', via: 'secret' } : undefined;
    if (bearer?.startsWith(API_KEY_PREFIX)) return this.keys.principal(bearer);
    if (bearer) return this.accounts.session(bearer);
    // ?token= only for a link token (made for this path, once): no secret, session or key ever travels in a URL.
    const link = url.searchParams.get('token');
    if (link) {
      const grant = this.links.take(link);
      if (!grant || grant.path !== url.pathname || !this.stillValid(grant.principal)) return undefined;
      return grant.principal.via !== 'secret' || isLoopback(req.socket.remoteAddress) ? grant.principal : undefined;
    }
    const fromCookie = cookie(req, SESSION_COOKIE);
    if (!fromCookie || !sameOrigin(req)) return undefined;
    // The local administrator's browser session (a sign-in link's), on this computer only.
    if (this.local.peek(fromCookie))
      return isLoopback(req.socket.remoteAddress)
        ? { user: LOCAL_ADMIN, role: 'admin', via: 'secret', session: fromCookie }
        : undefined;
    return this.accounts.session(fromCookie);
  }
}
