import type http from 'node:http';
import { permissionsOf } from '../../common/roles.ts';
import type { Accounts, SessionGrant } from '../accounts/accounts.ts';
import type { ApiKeys } from '../accounts/api-keys.ts';
import { clearedCookie, sessionCookie } from './request-auth.ts';
import type { SessionDto } from './contract.ts';
import { HttpError, Streamed, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import { msg } from '../../common/message.ts';

export interface AccountService {
  accounts: Accounts;
  /** Keys other systems sign their requests with. */
  keys: ApiKeys;
  /** The session's longest life (the cookie's Max-Age) and whether the API speaks HTTPS (the cookie's Secure flag). */
  sessionMaxHours(): number;
  secure(): boolean;
}

export function withHeaders(status: number, headers: http.OutgoingHttpHeaders, value: unknown): Streamed {
  return new Streamed(async (res) => {
    const body = JSON.stringify(value);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  });
}

/** Signing in and out, the first administrator's set-up, one's own password, and (for admins) the users and API keys. */
export function accountRoutes(service: AccountService): RouteDef[] {
  const { accounts, keys } = service;
  const body = (b: unknown) => (b ?? {}) as Record<string, unknown>;
  // The browser's session goes only in the HttpOnly cookie; a script that asks ({"bearer": true}) gets it as a token.
  const granted = (grant: SessionGrant, b: unknown) =>
    withHeaders(
      200,
      { 'set-cookie': sessionCookie(grant.token, service.sessionMaxHours(), service.secure()) },
      {
        user: grant.user,
        role: grant.role,
        permissions: permissionsOf(grant.role),
        expiresAt: grant.expiresAt,
        ...(body(b).bearer === true ? { token: grant.token } : {}),
      },
    );
  return [
    // Who am I: the UI asks first, to show the login (or the set-up) or the screens this role may use.
    route(
      ENDPOINTS.session,
      async ({ principal }) =>
        ({
          needsSetup: accounts.needsSetup(),
          user: principal?.user,
          role: principal?.role,
          permissions: principal ? permissionsOf(principal.role) : [],
          local: principal?.via === 'secret',
        }) satisfies SessionDto,
    ),
    route(ENDPOINTS.login, async ({ body: b, source }) =>
      granted(await accounts.login(body(b).name, body(b).password, source), b),
    ),
    route(ENDPOINTS.setup, async ({ body: b, source }) =>
      granted(await accounts.completeSetup(body(b).token, body(b).name, body(b).password, source), b),
    ),
    route(ENDPOINTS.logout, async ({ principal, source }) => {
      accounts.logout(principal!, source);
      return withHeaders(200, { 'set-cookie': clearedCookie(service.secure()) }, { loggedOut: true });
    }),
    route(ENDPOINTS.password, async ({ principal, body: b, source }) => {
      await accounts.changePassword(principal!, body(b).current, body(b).next, source);
      return { changed: true };
    }),
    route(ENDPOINTS.users, async () => accounts.listUsers()),
    route(ENDPOINTS.addUser, async ({ principal, body: b, source }) =>
      accounts.createUser(principal!, body(b).name, body(b).role, body(b).password, source),
    ),
    route(ENDPOINTS.user, async ({ principal, params: [name], body: b, source }) => {
      const { role, password } = body(b);
      if (role === undefined && password === undefined) throw new HttpError(400, 'give a role or a password');
      return accounts.updateUser(principal!, name!, { role, password }, source);
    }),
    route(ENDPOINTS.keys, async () => keys.list()),
    // The key itself is in this answer only: the index keeps its hash.
    route(ENDPOINTS.addKey, async ({ principal, body: b, source }) =>
      keys.create(principal!, body(b).name, body(b).role, source),
    ),
    route(ENDPOINTS.deleteKey, async ({ principal, params: [name], source }) => {
      await keys.revoke(principal!, name!, source);
      return { removed: name! };
    }),
    route(ENDPOINTS.deleteUser, async ({ principal, params: [name], source }) => {
      if (principal!.user === name) throw new HttpError(409, msg('you cannot delete your own account'));
      await accounts.deleteUser(principal!, name!, source);
      return { removed: name! };
    }),
  ];
}
