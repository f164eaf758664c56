import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import WebSocket from 'ws';
import { LIMITS } from '../../main/api/client-limits.ts';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { until } from '../helpers/wait.ts';

/**
 * The API under hostile input: oversized, malformed and deeply nested bodies, odd path parameters, slow clients,
 * too many connections and event streams; and a seeded fuzz of every route with random parameters and bodies, as an
 * anonymous client, a viewer and an admin. Every one gets a 4xx that says why, no stack trace leaks, nothing changes
 * without permission, and the server keeps serving.
 */

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PARAMS = [
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%00',
  '%E0%A4%A',
  'CON',
  '1.2.3',
  '-1',
  '99999999999999999999',
  '%F0%9F%92%A9',
  'a'.repeat(5000),
  '%252F',
  '*',
  '__proto__',
  "'; DROP TABLE users; --",
];
const QUERIES = [
  '',
  '?limit=-1',
  '?limit=abc',
  '?size=99999',
  '?requestType=WADO&objectUID=..%2F..',
  '?from=2026-13-45',
  '?uid=,,,',
  '?format=exe',
  '?token=x',
  '?level=%00',
  '?frameNumber=0&windowWidth=-5',
];

function value(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * 12);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return Math.floor(rnd() * 2 ** 53) * (rnd() < 0.5 ? -1 : 1);
    case 3:
      return 'x'.repeat(Math.floor(rnd() * 70_000));
    case 4:
      return PARAMS[Math.floor(rnd() * PARAMS.length)];
    case 5:
      return depth < 4 ? [value(rnd, depth + 1), value(rnd, depth + 1)] : [];
    case 6:
      return depth < 4
        ? { level: value(rnd, depth + 1), keys: value(rnd, depth + 1), text: value(rnd, depth + 1) }
        : {};
    case 7:
      return { __proto__: { admin: true }, constructor: { prototype: { x: 1 } } };
    case 8:
      return 1e308 * 10;
    case 9:
      return '\u0000\uffff\ud800';
    case 10:
      return {
        name: 'fuzz',
        role: 'admin',
        password: 'fuzz-password-123',
        ae: 'FUZZ',
        host: '127.0.0.1',
        port: 1,
        destination: 'X',
        uid: '1.2',
        level: 'STUDY',
      };
    default:
      return '';
  }
}

describe('the API under hostile input', () => {
  let archive: TestArchive;
  let viewer = '';
  let admin = '';
  const saved = { ...LIMITS };
  const base = () => archive.server.apiUrl;

  beforeAll(async () => {
    Object.assign(LIMITS, { headersMs: 1000, connectionsPerClient: 12, eventStreamsPerClient: 3 });
    archive = await startArchive({ MaxUploadMB: '1' });
    for (const [name, role] of [
      ['fuzzviewer', 'viewer'],
      ['fuzzadmin', 'admin'],
    ]) {
      expect(
        (await apiFetch(archive, 'POST', ENDPOINTS.users.path, { name, role, password: 'a fuzzing password' })).status,
      ).toBe(200);
    }
    const login = async (name: string) =>
      (
        (await (
          await fetch(`${base()}${ENDPOINTS.login.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name, password: 'a fuzzing password', bearer: true }),
          })
        ).json()) as { token: string }
      ).token;
    viewer = await login('fuzzviewer');
    admin = await login('fuzzadmin');
  });
  afterAll(async () => {
    await archive?.stop();
    Object.assign(LIMITS, saved);
  });

  const send = (method: string, route: string, body: string | undefined, headers: Record<string, string> = {}) =>
    fetch(`${base()}${route}`, {
      method,
      headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('refuses oversized, malformed and deeply nested bodies with a 4xx that says why', async () => {
    const big = await send(
      'POST',
      ENDPOINTS.studies.path,
      JSON.stringify({ level: 'STUDY', keys: { PatientName: 'x'.repeat(3 << 20) } }),
    );
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/request body is \d+ bytes; at most 2097152/);
    const bad = await send('POST', ENDPOINTS.studies.path, '{"level": "STUDY", ');
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([
      400,
      'the request body is not JSON',
    ]);
    const deep = await send('POST', ENDPOINTS.studies.path, '['.repeat(200_000) + ']'.repeat(200_000));
    expect([deep.status, ((await deep.json()) as { error: string }).error]).toEqual([
      400,
      'the request body nests deeper than 32 levels',
    ]);
    const upload = await fetch(`${base()}${pathOf(ENDPOINTS.importFile, [], { name: 'big.dcm' })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/dicom' },
      body: Buffer.alloc(2 << 20),
    });
    expect(upload.status).toBe(413);
    expect(((await upload.json()) as { error: string }).error).toMatch(/MaxUploadMB allows 1048576 bytes/);
    expect((await send('GET', ENDPOINTS.status.path, undefined)).status).toBe(200);
  });

  it('answers odd path parameters and UI paths with 400 or 404, never a file outside the archive', async () => {
    for (const p of PARAMS)
      expect([400, 404], p).toContain((await send('GET', `/api/objects/${p}/header`, undefined)).status);
    expect((await send('GET', '/api/objects/%E0%A4%A/header', undefined)).status).toBe(400);
    for (const p of ['/..%2F..%2Fetc%2Fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%5C..%5Cpackage.json']) {
      const res = await fetch(`${base()}${p}`);
      expect(res.status, p).toBe(404);
      expect(await res.text()).not.toMatch(/root:|"dependencies"/);
    }
  });

  it('cuts off a client that drips its headers, and caps connections and event streams per client', async () => {
    LIMITS.connectionsPerClient = 1000;
    const slow = net.connect(Number(new URL(base()).port), '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    slow.write('GET /api/status HTTP/1.1\r\nHost: x\r\n');
    let answer = '';
    slow.on('data', (d) => {
      answer += String(d);
    });
    await new Promise((r) => slow.once('close', r));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);

    // Connections held open (idle keep-alive ones of this process count too): one past the cap is refused.
    LIMITS.connectionsPerClient = 12;
    const sockets: net.Socket[] = [];
    let refused = '';
    for (let i = 0; i <= 12 && !refused; i++) {
      const s = net.connect(Number(new URL(base()).port), '127.0.0.1');
      sockets.push(s);
      refused = await new Promise<string>((resolve) => {
        let got = '';
        s.on('data', (d) => {
          got += String(d);
          if (/\r\n\r\n/.test(got) && !got.startsWith('HTTP/1.1 503')) resolve('');
        });
        s.once('close', () => resolve(got.startsWith('HTTP/1.1 503') ? got : ''));
        s.write('GET /api/session HTTP/1.1\r\nHost: x\r\n\r\n');
      });
    }
    expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable[\s\S]*more than 12 connections from/);
    for (const s of sockets) s.destroy();
    // Once the server has seen them close, this client is served again.
    await until(
      'the closed connections are no longer counted',
      async () => (await send('GET', ENDPOINTS.status.path, undefined)).status === 200,
    );

    const wsUrl = `${base().replace('http', 'ws')}${ENDPOINTS.events.path}`;
    const signed = { headers: { authorization: `Bearer ${archive.server.apiSecret}` } };
    const open = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(wsUrl, signed);
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    const fourth = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl, signed);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => undefined);
    });
    expect(fourth).toBe(503);
    for (const ws of open) ws.close();
  });

  it('survives a seeded fuzz of every route: no 5xx, no stack trace, nothing changed by those not allowed to', async () => {
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all(
          [
            ENDPOINTS.nodes.path,
            ENDPOINTS.users.path,
            ENDPOINTS.settings.path,
            ENDPOINTS.worklist.path,
            ENDPOINTS.webNodes.path,
          ].map(async (r) => (await apiFetch(archive, 'GET', r)).json()),
        ),
      );
    const before = await snapshot();
    const routes = archive.server.api!.router.list();
    const rnd = random(20261126);
    const results: string[] = [];
    const fuzz = async (token: string | undefined, count: number, skip: (path: string) => boolean) => {
      for (let i = 0; i < count; i++) {
        const route = routes[Math.floor(rnd() * routes.length)]!;
        if (skip(route.path)) continue;
        const pathname =
          route.path.replace(/:\w+/g, () => PARAMS[Math.floor(rnd() * PARAMS.length)]!) +
          QUERIES[Math.floor(rnd() * QUERIES.length)];
        const body =
          route.method === 'GET' || route.method === 'DELETE'
            ? undefined
            : rnd() < 0.1
              ? '{"oops'
              : JSON.stringify(value(rnd));
        const res = await fetch(`${base()}${pathname}`, {
          method: route.method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
          body,
        }).catch((e: Error) => ({ status: 0, text: async () => e.message }));
        const text = await res.text();
        results.push(`${res.status} ${route.method} ${pathname.slice(0, 80)}`);
        expect(res.status, `${route.method} ${pathname.slice(0, 200)}: ${text.slice(0, 300)}`).toBeGreaterThanOrEqual(
          200,
        );
        expect(res.status, `${route.method} ${pathname.slice(0, 200)}: ${text.slice(0, 300)}`).toBeLessThan(500);
        expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|node_modules|\/main\/.+\.ts/);
      }
    };
    await fuzz(undefined, 150, () => false);
    await fuzz(viewer, 300, () => false);
    expect(await snapshot()).toBe(before);
    // An admin may change things; the fuzz leaves out what would leave the test's sandbox (listener port, folders of this computer).
    await fuzz(admin, 300, (p) => p === '/api/listener/restart' || p === '/api/export' || p === '/api/settings');
    expect(results.length).toBeGreaterThan(500);
    expect((await send('GET', ENDPOINTS.status.path, undefined)).status).toBe(200);
    expect(archive.logText()).not.toMatch(/^error/m);
  });

  it('answers every route given a body of null, a list, a number or a string, and huge limits, with a 4xx, never a 5xx', async () => {
    const routes = archive.server
      .api!.router.list()
      .filter((r) => r.path !== '/api/listener/restart' && r.path !== '/api/shutdown');
    const failures: string[] = [];
    for (const route of routes) {
      const pathname = route.path.replace(/:\w+/g, '1.2.3');
      const tries =
        route.method === 'GET' || route.method === 'DELETE'
          ? [
              ['?limit=1e21&offset=9223372036854775807', undefined],
              ['?limit=9223372036854775807&offset=1e21', undefined],
            ]
          : ['null', '[]', '7', '"x"', '{"keys":null,"level":null,"changes":null,"query":null}'].map((body) => [
              '',
              body,
            ]);
      for (const [query, body] of tries) {
        const res = await fetch(`${base()}${pathname}${query}`, {
          method: route.method,
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body,
        });
        if (res.status >= 500)
          failures.push(
            `${res.status} ${route.method} ${pathname}${query} ${body ?? ''}: ${(await res.text()).slice(0, 120)}`,
          );
        else await res.arrayBuffer();
      }
    }
    // A client's 2^63-1, which JavaScript cannot hold exactly, is the hostile input.
    const int64Max = 2 ** 63 - 1;
    for (const [limit, offset] of [
      [1e21, int64Max],
      [int64Max, 1e21],
      [-1, -1],
      [0.5, 'x'],
    ]) {
      const res = await fetch(`${base()}${ENDPOINTS.studies.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ level: 'STUDY', keys: { PatientID: '' }, limit, offset }),
      });
      if (res.status >= 500)
        failures.push(
          `${res.status} POST /api/find limit ${limit} offset ${offset}: ${(await res.text()).slice(0, 120)}`,
        );
    }
    expect(failures).toEqual([]);
    expect((await send('GET', ENDPOINTS.status.path, undefined)).status).toBe(200);
  });
});
