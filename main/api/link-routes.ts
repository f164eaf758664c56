import { LOCAL_ADMIN, type Principal } from '../accounts/accounts.ts';
import type { LinkTokenDto, SignInLinkDto } from './contract.ts';
import type { ExpiringTokens } from './expiring-tokens.ts';
import { isLoopback, sessionCookie, type LinkGrant } from './request-auth.ts';
import { HttpError, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import { withHeaders } from './account-routes.ts';
import { msg, type Message } from '../../common/message.ts';

/** The paths a link token may open: what a browser downloads by itself, and the event WebSocket. */
export const LINKABLE_PATHS: readonly string[] = [
  ENDPOINTS.export.path,
  ENDPOINTS.auditCsv.path,
  ENDPOINTS.logFile.path,
  ENDPOINTS.events.path,
];

export interface LinkService {
  links: ExpiringTokens<LinkGrant>;
  /** One-time sign-in codes for this computer's browser (the link printed at start, `cli.ts sign-in-link`). */
  signIns: ExpiringTokens<true>;
  secret(): string;
  /** The local administrator's browser sessions that sign-in links open. */
  local: ExpiringTokens<true>;
  /** The cookie's life and whether it is Secure (HTTPS). */
  sessionMaxHours(): number;
  secure(): boolean;
  /** A new install secret in place of the old one (DATA/api-secret rewritten); the old one stops working at once. */
  rotateSecret(): Promise<void>;
  apiUrl(): string;
}

const localOnly = (principal: Principal | undefined, refusal: Message) => {
  if (principal?.via !== 'secret') throw new HttpError(403, refusal);
};

/**
 * Credentials for URLs: link tokens (60 s, once, one path) for the downloads and the WebSocket of a page signed in with
 * the install's secret; sign-in links for this computer's browser, in place of the secret in a URL; and the secret's
 * rotation.
 */
export function linkRoutes(service: LinkService): RouteDef[] {
  return [
    route(ENDPOINTS.linkToken, async ({ principal, body }) => {
      const path = (body as { path?: unknown } | undefined)?.path;
      if (typeof path !== 'string' || !LINKABLE_PATHS.includes(path)) {
        throw new HttpError(400, msg('a link token opens one of {paths}', { paths: LINKABLE_PATHS.join(', ') }));
      }
      return service.links.issue({ principal: principal!, path }) satisfies LinkTokenDto;
    }),
    route(ENDPOINTS.signInLink, async ({ principal }) => {
      localOnly(principal, msg("only the install's secret makes sign-in links"));
      const { token, expiresAt } = service.signIns.issue(true);
      return { url: `${service.apiUrl()}/?signin=${token}`, expiresAt } satisfies SignInLinkDto;
    }),
    // The sign-in link's page trades its code for a session of the local administrator (an HttpOnly cookie: the page
    // never holds the secret): on this computer, once.
    route(ENDPOINTS.signIn, async ({ req, body, audit }) => {
      const code = (body as { code?: unknown } | undefined)?.code;
      const fromHere = isLoopback(req.socket.remoteAddress);
      if (typeof code !== 'string' || !fromHere || !service.signIns.take(code)) {
        audit({
          action: 'login-failed',
          outcome: 'refused',
          detail: `sign-in link${fromHere ? ' used, expired or unknown' : ' from another computer'}`,
        });
        throw new HttpError(
          403,
          msg(
            'this sign-in link was used already, has expired, or is not for this computer; ask for a new one (cli.ts sign-in-link)',
          ),
        );
      }
      audit({ action: 'login', detail: `${LOCAL_ADMIN} signed in by a sign-in link` });
      const { token } = service.local.issue(true);
      return withHeaders(
        200,
        { 'set-cookie': sessionCookie(token, service.sessionMaxHours(), service.secure()) },
        { signedIn: true },
      );
    }),
    route(ENDPOINTS.rotateSecret, async ({ principal, audit }) => {
      localOnly(principal, msg("only the install's secret may replace itself"));
      await service.rotateSecret();
      service.links.clear();
      service.signIns.clear();
      service.local.clear();
      audit({ action: 'settings-changed', detail: 'install secret replaced (rotate-secret)' });
      return { rotated: true };
    }),
  ];
}
