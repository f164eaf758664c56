import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { apiNeedsTls } from '../../main/api/api-tls.ts';
import { API_ROUTES, type StatusDto } from '../../main/api/contract.ts';

function get(url: string, ca: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += String(d); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

/** The API and UI over HTTPS: a self-signed certificate made at the first start and kept, or the admin's; the WebSocket follows. */
describe('HTTPS for the API and UI', () => {
  let archive: TestArchive;
  let certs: TestCertificates;
  beforeAll(async () => {
    certs = await makeCertificates();
    archive = await startArchive({ APIHttps: 'on' });
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(certs?.dir ?? '', { recursive: true, force: true });
  });

  it('uses HTTPS beyond loopback (and always with APIHttps = on), plain HTTP only on loopback', () => {
    expect(apiNeedsTls({ apiHttps: 'auto', apiAddress: '0.0.0.0' })).toBe(true);
    expect(apiNeedsTls({ apiHttps: 'auto', apiAddress: '192.168.1.20' })).toBe(true);
    expect(apiNeedsTls({ apiHttps: 'auto', apiAddress: '127.0.0.1' })).toBe(false);
    expect(apiNeedsTls({ apiHttps: 'auto', apiAddress: '::1' })).toBe(false);
    expect(apiNeedsTls({ apiHttps: 'on', apiAddress: '127.0.0.1' })).toBe(true);
  });

  it('makes a self-signed certificate at the first start, shows its fingerprint, and keeps it across restarts', async () => {
    expect(archive.server.apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const pem = await readFile(path.join(archive.dataDir, 'https', 'certificate.pem'), 'utf8');
    const cert = new X509Certificate(pem);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    const status = await get(`${archive.server.apiUrl}${API_ROUTES.status}`, pem, { authorization: `Bearer ${archive.server.apiSecret}` });
    expect(status.status).toBe(200);
    expect((JSON.parse(status.body) as StatusDto).https).toEqual({ fingerprint: cert.fingerprint256, selfSigned: true });
    expect(archive.logText()).toContain(`SHA-256 fingerprint ${cert.fingerprint256}`);
    // What a browser sees, as openssl sees it.
    const port = new URL(archive.server.apiUrl).port;
    const shown = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`]);
    expect(shown.stdout.trim()).toBe(`sha256 Fingerprint=${cert.fingerprint256}`);
    // Plain HTTP is not answered on the HTTPS port.
    await expect(fetch(`http://127.0.0.1:${port}${API_ROUTES.session}`)).rejects.toThrow();
    await archive.restart();
    expect(await readFile(path.join(archive.dataDir, 'https', 'certificate.pem'), 'utf8')).toBe(pem);
  });

  it('sets the session cookie Secure, and serves the event WebSocket over wss', async () => {
    const pem = await readFile(path.join(archive.dataDir, 'https', 'certificate.pem'), 'utf8');
    const session = await get(`${archive.server.apiUrl}${API_ROUTES.session}`, pem);
    expect(JSON.parse(session.body)).toMatchObject({ needsSetup: true });
    const failed = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const req = https.request(`${archive.server.apiUrl}${API_ROUTES.setup}`, { method: 'POST', ca: pem, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') }));
      }).on('error', reject);
      req.end(JSON.stringify({ token: archive.server.setupLink!.split('#setup=')[1], name: 'admin1', password: 'a long admin password' }));
    });
    expect(failed.status).toBe(200);
    expect(failed.cookie).toMatch(/; Secure$/);
    const ws = new WebSocket(`${archive.server.apiUrl.replace('https', 'wss')}${API_ROUTES.events}?token=${archive.server.apiSecret}`, { ca: pem });
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    ws.close();
  });

  it('uses the admin\'s certificate when APICertificate and APIPrivateKey are set', async () => {
    await archive.setIni('APICertificate', certs.server.cert);
    await archive.setIni('APIPrivateKey', certs.server.key);
    await archive.restart();
    const given = new X509Certificate(await readFile(certs.server.cert));
    const status = await get(`${archive.server.apiUrl}${API_ROUTES.status}`, await readFile(certs.ca), { authorization: `Bearer ${archive.server.apiSecret}` });
    expect((JSON.parse(status.body) as StatusDto).https).toEqual({ fingerprint: given.fingerprint256, selfSigned: false });
  });
});
