import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { accounts } from '../../main/features/accounts.ts';
import { api as apiFeature } from '../../main/features/api.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ROLES, may, type Role } from '../../common/roles.ts';
import type http from 'node:http';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { RequestAuth } from '../../main/api/request-auth.ts';
import { WebSocket } from 'ws';

/**
 * Accounts and roles through the API as a browser and scripts use it: the first administrator from the one-time set-up
 * link, users of each role, every route tried with every role (allowed, or 403), sessions by cookie and by bearer token,
 * lockout after failed logins, password changes, and passwords never written anywhere but as their scrypt hash.
 */

const PASSWORDS: Record<Role, string> = {
  admin: 'correct horse battery',
  technician: 'tech-secret-2026',
  viewer: 'just looking 1234',
};

describe('accounts and roles', () => {
  let archive: TestArchive;
  const sessions: Partial<Record<Role, string>> = {};
  const url = (route: string) => `${archive.server.apiUrl}${route}`;
  const as = (
    token: string | undefined,
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(url(route), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const login = async (name: string, password: string) =>
    as(undefined, 'POST', ENDPOINTS.login.path, { name, password, bearer: true });

  beforeAll(async () => {
    archive = await startArchive();
  });
  afterAll(async () => {
    await archive?.stop();
  });

  it('sets up the first administrator once, from the link printed at start, without a default password', async () => {
    expect(await (await as(undefined, 'GET', ENDPOINTS.session.path)).json()).toMatchObject({
      needsSetup: true,
      permissions: [],
    });
    const link = archive.server.feature(apiFeature).setupLink()!;
    expect(archive.logText()).toContain(link);
    const token = new URL(link).hash.replace('#setup=', '');
    expect(
      (await as(undefined, 'POST', ENDPOINTS.setup.path, { token: 'guess', name: 'boss', password: PASSWORDS.admin }))
        .status,
    ).toBe(403);
    expect((await as(undefined, 'POST', ENDPOINTS.setup.path, { token, name: 'boss', password: 'short' })).status).toBe(
      400,
    );
    const done = await as(undefined, 'POST', ENDPOINTS.setup.path, {
      token,
      name: 'boss',
      password: PASSWORDS.admin,
      bearer: true,
    });
    expect(done.status).toBe(200);
    expect(done.headers.get('set-cookie')).toMatch(
      /^pacs_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
    sessions.admin = ((await done.json()) as { token: string }).token;
    expect(
      (await as(undefined, 'POST', ENDPOINTS.setup.path, { token, name: 'boss2', password: PASSWORDS.admin })).status,
    ).toBe(403);
    expect(await (await as(sessions.admin, 'GET', ENDPOINTS.session.path)).json()).toMatchObject({
      needsSetup: false,
      user: 'boss',
      role: 'admin',
    });
  });

  it('lets an admin add users of each role, and refuses weak passwords and taken names', async () => {
    for (const role of ['technician', 'viewer'] as const) {
      const made = await as(sessions.admin, 'POST', ENDPOINTS.users.path, {
        name: role,
        role,
        password: PASSWORDS[role],
      });
      expect(made.status).toBe(200);
      sessions[role] = ((await (await login(role, PASSWORDS[role])).json()) as { token: string }).token;
    }
    expect(
      (
        await as(sessions.admin, 'POST', ENDPOINTS.users.path, {
          name: 'viewer',
          role: 'viewer',
          password: 'another long one',
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await as(sessions.admin, 'POST', ENDPOINTS.users.path, {
          name: 'x',
          role: 'boss',
          password: 'another long one',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        (await (
          await as(sessions.admin, 'POST', ENDPOINTS.users.path, {
            name: 'pat',
            role: 'viewer',
            password: 'pat1234567890',
          })
        ).json()) as { error: string }
      ).error,
    ).toMatch(/user name/);
    expect(
      (
        await as(sessions.technician, 'POST', ENDPOINTS.users.path, {
          name: 'sneaky',
          role: 'admin',
          password: 'long enough pw',
        })
      ).status,
    ).toBe(403);
  });

  it('walks every route with every role: each is allowed or answered 403, and nothing is open without signing in', async () => {
    const routes = archive.server
      .api!.router.list()
      .filter((r) => r.permission !== 'public' && r.permission !== 'signed-in');
    expect(routes.length).toBeGreaterThan(50);
    const tried: string[] = [];
    for (const route of routes) {
      // Parameters that name nothing: a handler that may run answers 4xx, not a change to data.
      const pathname = route.path.replace(/:\w+/g, 'no-such-thing');
      // The listener restart is allowed for admins and would drop associations: only its refusals are checked.
      const skipAllowed = route.path === '/api/listener/restart';
      const anonymous = await as(
        undefined,
        route.method,
        pathname,
        route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      );
      expect(anonymous.status, `${route.method} ${route.path} without signing in`).toBe(401);
      for (const role of ROLES) {
        if (skipAllowed && may(role, route.permission as never)) continue;
        const res = await as(
          sessions[role],
          route.method,
          pathname,
          route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        );
        const allowed = may(role, route.permission as never);
        if (allowed) expect(res.status, `${role} ${route.method} ${route.path}`).not.toBe(403);
        else expect(res.status, `${role} ${route.method} ${route.path}`).toBe(403);
        if (!allowed)
          expect(((await res.json()) as { error: string }).error).toMatch(
            new RegExp(`needs the ${route.permission} permission`),
          );
        tried.push(`${role} ${route.method} ${route.path} ${res.status}`);
      }
    }
    // A viewer searches and views; a technician also queries other nodes; only an admin changes settings.
    expect(tried).toContain('viewer POST /api/find 400');
    expect(tried).toContain('viewer PUT /api/settings 403');
    expect(tried).toContain('technician PUT /api/settings 403');
    expect(tried).toContain('technician DELETE /api/studies/:uid 403');
    expect(tried).toContain('viewer POST /api/nodes/:ae/find 403');
    expect(tried).toContain('admin DELETE /api/studies/:uid 404');
    expect((await as(sessions.viewer, 'GET', ENDPOINTS.status.path)).status).toBe(200);
  });

  it('takes the install secret as the local admin from this computer, and a session from its cookie only from this origin', async () => {
    expect((await apiFetch(archive, 'GET', ENDPOINTS.users.path)).status).toBe(200);
    expect(await (await apiFetch(archive, 'GET', ENDPOINTS.session.path)).json()).toMatchObject({
      user: 'local admin',
      role: 'admin',
      local: true,
    });
    // A browser's login: the session only in the HttpOnly cookie, no token in the answer for page script to read.
    const browser = await as(undefined, 'POST', ENDPOINTS.login.path, { name: 'viewer', password: PASSWORDS.viewer });
    expect(await browser.json()).not.toHaveProperty('token');
    const browserCookie = /^pacs_session=([\w-]+);/.exec(browser.headers.get('set-cookie') ?? '')?.[1];
    expect(
      (await as(undefined, 'GET', ENDPOINTS.status.path, undefined, { cookie: `pacs_session=${browserCookie}` }))
        .status,
    ).toBe(200);
    const cookie = `pacs_session=${sessions.viewer}`;
    expect((await as(undefined, 'GET', ENDPOINTS.status.path, undefined, { cookie })).status).toBe(200);
    expect(
      (await as(undefined, 'GET', ENDPOINTS.status.path, undefined, { cookie, origin: 'http://evil.example' })).status,
    ).toBe(401);
    expect(
      (
        await as(undefined, 'GET', ENDPOINTS.status.path, undefined, {
          cookie,
          origin: new URL(archive.server.apiUrl).origin,
        })
      ).status,
    ).toBe(200);
    // A session never travels in a URL: ?token= is for the local secret only.
    expect((await fetch(url(`${ENDPOINTS.status.path}?token=${sessions.viewer}`))).status).toBe(401);
  });

  it('locks an account after repeated failed logins, with a growing wait, and says how long', async () => {
    for (let i = 0; i < 4; i++) expect((await login('viewer', 'wrong password')).status).toBe(401);
    const locked = await login('viewer', 'wrong password');
    expect(locked.status).toBe(401);
    const refused = await login('viewer', PASSWORDS.viewer);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(20);
    expect(((await refused.json()) as { error: string }).error).toMatch(/too many failed logins: try again in \d+ s/);
    const listed = (await (await as(sessions.admin, 'GET', ENDPOINTS.users.path)).json()) as {
      name: string;
      locked: boolean;
    }[];
    expect(listed.find((u) => u.name === 'viewer')?.locked).toBe(true);
    // An admin's new password unlocks it (and ends the user's sessions).
    expect(
      (await as(sessions.admin, 'PUT', pathOf(ENDPOINTS.user, ['viewer']), { password: 'fresh secret 99x' })).status,
    ).toBe(200);
    expect((await as(sessions.viewer, 'GET', ENDPOINTS.status.path)).status).toBe(401);
    sessions.viewer = ((await (await login('viewer', 'fresh secret 99x')).json()) as { token: string }).token;
    expect(sessions.viewer).toBeTruthy();
    expect((await login('nobody', 'whatever it is')).status).toBe(401);
  });

  it("changes one's own password with the current one; a role change ends the sessions; the last admin stays", async () => {
    expect(
      (await as(sessions.technician, 'POST', ENDPOINTS.password.path, { current: 'wrong', next: 'tech-new-password' }))
        .status,
    ).toBe(403);
    expect(
      (
        await as(sessions.technician, 'POST', ENDPOINTS.password.path, {
          current: PASSWORDS.technician,
          next: 'technician-2',
        })
      ).status,
    ).toBe(400);
    // Signed in at another desk too: the password change signs that session out, not the one that changed it.
    const otherDesk = ((await (await login('technician', PASSWORDS.technician)).json()) as { token: string }).token;
    expect((await as(otherDesk, 'GET', ENDPOINTS.status.path)).status).toBe(200);
    expect(
      (
        await as(sessions.technician, 'POST', ENDPOINTS.password.path, {
          current: PASSWORDS.technician,
          next: 'tech-new-password',
        })
      ).status,
    ).toBe(200);
    expect((await as(otherDesk, 'GET', ENDPOINTS.status.path)).status).toBe(401);
    expect((await as(sessions.technician, 'GET', ENDPOINTS.status.path)).status).toBe(200);
    expect((await login('technician', PASSWORDS.technician)).status).toBe(401);
    sessions.technician = ((await (await login('technician', 'tech-new-password')).json()) as { token: string }).token;
    expect((await as(sessions.admin, 'PUT', pathOf(ENDPOINTS.user, ['technician']), { role: 'viewer' })).status).toBe(
      200,
    );
    expect((await as(sessions.technician, 'GET', ENDPOINTS.status.path)).status).toBe(401);
    expect((await as(sessions.admin, 'PUT', pathOf(ENDPOINTS.user, ['boss']), { role: 'viewer' })).status).toBe(409);
    expect((await as(sessions.admin, 'DELETE', pathOf(ENDPOINTS.user, ['boss']))).status).toBe(409);
    const out = await as(sessions.admin, 'POST', ENDPOINTS.logout.path);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await as(sessions.admin, 'GET', ENDPOINTS.status.path)).status).toBe(401);
  });

  let peerKey = '';
  it('makes a key for another system: its role only (never admin), shown once, taken from any computer, refused once revoked', async () => {
    const token = async (name: string, password: string) =>
      ((await (await login(name, password)).json()) as { token: string }).token;
    const admin = await token('boss', PASSWORDS.admin);
    const notAdmin = await token('technician', 'tech-new-password');
    expect((await as(admin, 'POST', ENDPOINTS.keys.path, { name: 'WS2', role: 'admin' })).status).toBe(400);
    expect((await as(notAdmin, 'POST', ENDPOINTS.keys.path, { name: 'WS2', role: 'viewer' })).status).toBe(403);
    const made = await as(admin, 'POST', ENDPOINTS.keys.path, { name: 'WS2', role: 'technician' });
    expect(made.status).toBe(200);
    peerKey = ((await made.json()) as { key: string }).key;
    expect(peerKey).toMatch(/^pacs_[\w-]{43}$/);
    expect((await as(admin, 'POST', ENDPOINTS.keys.path, { name: 'WS2', role: 'viewer' })).status).toBe(409);
    expect(await (await as(peerKey, 'GET', ENDPOINTS.session.path)).json()).toMatchObject({
      user: 'WS2 (API key)',
      role: 'technician',
      local: false,
    });
    expect((await as(peerKey, 'GET', ENDPOINTS.users.path)).status).toBe(403);
    const listed = await (await as(admin, 'GET', ENDPOINTS.keys.path)).json();
    expect(listed).toEqual([expect.objectContaining({ name: 'WS2', role: 'technician', createdBy: 'boss' })]);
    expect(JSON.stringify(listed)).not.toContain(peerKey);
    // Not in a URL (that is for link tokens only), and from another computer the key is taken while the secret is not.
    expect((await fetch(url(`${ENDPOINTS.status.path}?token=${peerKey}`))).status).toBe(401);
    const auth = new RequestAuth(
      () => archive.server.apiSecret,
      archive.server.feature(accounts).accounts,
      archive.server.feature(accounts).keys,
      archive.server.feature(apiFeature).linkTokens,
      archive.server.feature(apiFeature).localSessions,
    );
    const from = (address: string, token: string) =>
      auth.principal(
        {
          headers: { authorization: `Bearer ${token}` },
          socket: { remoteAddress: address },
        } as unknown as http.IncomingMessage,
        new URL(url('/')),
      );
    expect(from('192.0.2.7', peerKey)).toMatchObject({ user: 'WS2 (API key)', via: 'key' });
    expect(from('192.0.2.7', archive.server.apiSecret)).toBeUndefined();
    expect(from('127.0.0.1', archive.server.apiSecret)).toMatchObject({ via: 'secret' });
    // Revoked: refused at once.
    const other = (
      (await (await as(admin, 'POST', ENDPOINTS.keys.path, { name: 'nightly script', role: 'viewer' })).json()) as {
        key: string;
      }
    ).key;
    expect((await as(other, 'GET', ENDPOINTS.status.path)).status).toBe(200);
    expect((await as(admin, 'DELETE', pathOf(ENDPOINTS.deleteKey, ['nightly script']))).status).toBe(200);
    expect((await as(other, 'GET', ENDPOINTS.status.path)).status).toBe(401);
    expect((await as(admin, 'DELETE', pathOf(ENDPOINTS.deleteKey, ['nightly script']))).status).toBe(404);
  });

  it('keeps users across a restart, passwords only as scrypt hashes, never in the log or the audit trail', async () => {
    await archive.restart();
    // A key outlives the restart (sessions do not), and is kept only as its hash.
    expect((await as(peerKey, 'GET', ENDPOINTS.status.path)).status).toBe(200);
    expect(
      ((await (await as(undefined, 'GET', ENDPOINTS.session.path)).json()) as { needsSetup: boolean }).needsSetup,
    ).toBe(false);
    expect(archive.server.feature(apiFeature).setupLink()).toBeUndefined();
    expect((await login('boss', PASSWORDS.admin)).status).toBe(200);
    await archive.server.core.audit.flush();
    const db = new Database(path.join(archive.dataDir, 'index', 'archive.db3'), { readonly: true });
    const hashes = db.prepare('SELECT name, password_hash AS h FROM users').all() as { name: string; h: string }[];
    const audit = JSON.stringify(db.prepare('SELECT * FROM audit').all());
    db.close();
    expect(hashes.map((u) => u.h)).toEqual(
      hashes.map(() => expect.stringMatching(/^scrypt\$32768\$8\$1\$[\w+/=]+\$[\w+/=]+$/)),
    );
    const dbFile = path.join(archive.dataDir, 'index', 'archive.db3');
    const everything = [
      archive.logText(),
      audit,
      await readFile(dbFile, 'latin1'),
      await readFile(`${dbFile}-wal`, 'latin1').catch(() => ''),
    ].join('\n');
    for (const pw of [...Object.values(PASSWORDS), 'fresh secret 99x', 'tech-new-password', peerKey])
      expect(everything).not.toContain(pw);
    expect(audit).toContain('login-failed');
    expect(audit).toContain('password-changed');
    expect(audit).toContain('key-created');
    expect(audit).toContain('key-revoked');
  });

  it('makes one administrator from the set-up link used several times at once', async () => {
    const fresh = await startArchive();
    try {
      const token = new URL(fresh.server.feature(apiFeature).setupLink()!).hash.replace('#setup=', '');
      const tries = await Promise.all(
        ['first', 'second', 'third'].map((name) =>
          fetch(`${fresh.server.apiUrl}${ENDPOINTS.setup.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ token, name, password: PASSWORDS.admin }),
          }),
        ),
      );
      expect(tries.map((r) => r.status).sort()).toEqual([200, 403, 403]);
      expect(((await (await apiFetch(fresh, 'GET', ENDPOINTS.users.path)).json()) as unknown[]).length).toBe(1);
    } finally {
      await fresh.stop();
    }
  });

  it('closes an event stream once what signed it no longer holds: the user deleted, the key revoked', async () => {
    const admin = ((await (await login('boss', PASSWORDS.admin)).json()) as { token: string }).token;
    expect(
      (await as(admin, 'POST', ENDPOINTS.users.path, { name: 'watcher', role: 'viewer', password: 'watching-2026-x' }))
        .status,
    ).toBe(200);
    const watcher = ((await (await login('watcher', 'watching-2026-x')).json()) as { token: string }).token;
    const key = (
      (await (await as(admin, 'POST', ENDPOINTS.keys.path, { name: 'monitor wall', role: 'viewer' })).json()) as {
        key: string;
      }
    ).key;
    const stream = async (token: string) => {
      const ws = new WebSocket(`${archive.server.apiUrl.replace('http', 'ws')}${ENDPOINTS.events.path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      return { ws, closed: new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))) };
    };
    const [user, byKey] = [await stream(watcher), await stream(key)];
    expect((await as(admin, 'DELETE', pathOf(ENDPOINTS.user, ['watcher']))).status).toBe(200);
    expect(await user.closed).toBe(4401);
    expect((await as(admin, 'DELETE', pathOf(ENDPOINTS.deleteKey, ['monitor wall']))).status).toBe(200);
    expect(await byKey.closed).toBe(4401);
  });
});
