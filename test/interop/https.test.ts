import { api as apiFeature } from '../../main/features/api.ts';
import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { apiNeedsTls } from '../../main/api/api-tls.ts';
import type { StatusDto } from '../../main/api/contract.ts';

function get(
  url: string,
  ca: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    // A Host header of another name (the DNS rebinding test): the certificate is still pinned by `ca`.
    https
      .get(url, { ca, headers, ...(headers.host ? { checkServerIdentity: () => undefined } : {}) }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += String(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
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
    const status = await get(`${archive.server.apiUrl}${ENDPOINTS.status.path}`, pem, {
      authorization: `Bearer ${archive.server.apiSecret}`,
    });
    expect(status.status).toBe(200);
    expect((JSON.parse(status.body) as StatusDto).https).toEqual({
      fingerprint: cert.fingerprint256,
      selfSigned: true,
    });
    expect(archive.logText()).toContain(`SHA-256 fingerprint ${cert.fingerprint256}`);
    // What a browser sees, as openssl sees it.
    const port = new URL(archive.server.apiUrl).port;
    const shown = await run('sh', [
      '-c',
      `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
    ]);
    expect(shown.stdout.trim()).toBe(`sha256 Fingerprint=${cert.fingerprint256}`);
    // Plain HTTP is not answered on the HTTPS port.
    await expect(fetch(`http://127.0.0.1:${port}${ENDPOINTS.session.path}`)).rejects.toThrow();
    await archive.restart();
    expect(await readFile(path.join(archive.dataDir, 'https', 'certificate.pem'), 'utf8')).toBe(pem);
  });

  it('sends HSTS, builds DICOMweb URLs as https, and answers only to its own names (DNS rebinding)', async () => {
    const pem = await readFile(path.join(archive.dataDir, 'https', 'certificate.pem'), 'utf8');
    const signed = { authorization: `Bearer ${archive.server.apiSecret}` };
    const image = makeImage({ patientId: 'HTTPS1', studyUid: uid(), rows: 8, columns: 8 });
    const [file] = await writeImages(await mkdtemp(path.join(tmpdir(), 'pacs-https-')), [image]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file!])).code).toBe(0);
    const port = new URL(archive.server.apiUrl).port;
    const qido = await get(`${archive.server.apiUrl}/dicom-web/studies?PatientID=HTTPS1`, pem, {
      ...signed,
      host: `localhost:${port}`,
    });
    expect(qido.status).toBe(200);
    expect(qido.headers['strict-transport-security']).toBe('max-age=15552000');
    const retrieve = (JSON.parse(qido.body) as Record<string, { Value?: string[] }>[])[0]!['00081190']!.Value![0];
    expect(retrieve).toBe(`https://localhost:${port}/dicom-web/studies/${image.studyUid}`);
    // A name the archive was not given: refused, on the API, the UI and the WebSocket; until an admin lists it.
    const rebound = await get(`${archive.server.apiUrl}/dicom-web/studies`, pem, {
      ...signed,
      host: `evil.example:${port}`,
    });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body).error).toMatch(/does not answer to the name evil\.example/);
    expect((await get(`${archive.server.apiUrl}/`, pem, { host: 'evil.example' })).status).toBe(421);
    const ws = new WebSocket(`${archive.server.apiUrl.replace('https', 'wss')}${ENDPOINTS.events.path}`, {
      ca: pem,
      headers: { ...signed, host: 'evil.example' },
    });
    await expect(
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
    ).rejects.toThrow(/421/);
    await archive.setIni('APIHostNames', 'pacs.clinic.local, evil.example');
    expect(
      (await get(`${archive.server.apiUrl}/dicom-web/studies`, pem, { ...signed, host: `Evil.Example:${port}` }))
        .status,
    ).toBe(200);
    expect(
      (await get(`${archive.server.apiUrl}/dicom-web/studies`, pem, { ...signed, host: 'other.example' })).status,
    ).toBe(421);
    await archive.setIni('APIHostNames', '');
  });

  it('sets the session cookie Secure, and serves the event WebSocket over wss', async () => {
    const pem = await readFile(path.join(archive.dataDir, 'https', 'certificate.pem'), 'utf8');
    const session = await get(`${archive.server.apiUrl}${ENDPOINTS.session.path}`, pem);
    expect(JSON.parse(session.body)).toMatchObject({ needsSetup: true });
    const failed = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const req = https
        .request(
          `${archive.server.apiUrl}${ENDPOINTS.setup.path}`,
          { method: 'POST', ca: pem, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') }),
            );
          },
        )
        .on('error', reject);
      req.end(
        JSON.stringify({
          token: archive.server.feature(apiFeature).setupLink()!.split('#setup=')[1],
          name: 'admin1',
          password: 'a long admin password',
        }),
      );
    });
    expect(failed.status).toBe(200);
    expect(failed.cookie).toMatch(/; Secure$/);
    const ws = new WebSocket(`${archive.server.apiUrl.replace('https', 'wss')}${ENDPOINTS.events.path}`, {
      ca: pem,
      headers: { authorization: `Bearer ${archive.server.apiSecret}` },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
  });

  it("uses the admin's certificate when APICertificate and APIPrivateKey are set", async () => {
    await archive.setIni('APICertificate', certs.server.cert);
    await archive.setIni('APIPrivateKey', certs.server.key);
    await archive.restart();
    const given = new X509Certificate(await readFile(certs.server.cert));
    const status = await get(`${archive.server.apiUrl}${ENDPOINTS.status.path}`, await readFile(certs.ca), {
      authorization: `Bearer ${archive.server.apiSecret}`,
    });
    expect((JSON.parse(status.body) as StatusDto).https).toEqual({
      fingerprint: given.fingerprint256,
      selfSigned: false,
    });
  });
});
