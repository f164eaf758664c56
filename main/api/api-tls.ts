import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { ServerSettings } from '../config/server-settings.ts';
import { isLoopback } from './request-auth.ts';
import { LIMITS } from './client-limits.ts';
import { fingerprintOf, selfSignedCertificate } from '../util/self-signed.ts';

/**
 * HTTPS for the API and UI: whenever they listen beyond this computer (APIHttps = auto), or always (on). Plain HTTP is
 * served on loopback only. The certificate is APICertificate/APIPrivateKey, or a self-signed one made once in DATA/https
 * (the UI's Monitor and the log show its fingerprint, for users to compare with what their browser shows). The event
 * WebSocket and WADO go over the same server, so they follow.
 */

export function apiNeedsTls(s: Pick<ServerSettings, 'apiHttps' | 'apiAddress'>): boolean {
  return s.apiHttps === 'on' || !(isLoopback(s.apiAddress) || s.apiAddress === 'localhost');
}

export interface ApiCertificate {
  cert: string;
  key: string;
  fingerprint: string;
  /** Made here, not given by the admin. */
  selfSigned: boolean;
}

export async function apiCertificate(
  s: Pick<ServerSettings, 'apiCertificate' | 'apiPrivateKey'>,
  dataDir: string,
): Promise<ApiCertificate> {
  if (s.apiCertificate || s.apiPrivateKey) {
    if (!s.apiCertificate || !s.apiPrivateKey)
      throw new Error(
        'APICertificate and APIPrivateKey go together: set both, or neither for a self-signed certificate',
      );
    const cert = await readFile(s.apiCertificate, 'utf8').catch((err: Error) => {
      throw new Error(`APICertificate ${s.apiCertificate}: ${err.message}`);
    });
    const key = await readFile(s.apiPrivateKey, 'utf8').catch((err: Error) => {
      throw new Error(`APIPrivateKey ${s.apiPrivateKey}: ${err.message}`);
    });
    return { cert, key, fingerprint: fingerprintOf(new X509Certificate(cert).raw), selfSigned: false };
  }
  const dir = path.join(dataDir, 'https');
  const certFile = path.join(dir, 'certificate.pem');
  const keyFile = path.join(dir, 'private-key.pem');
  const existing = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]).catch(() => undefined);
  if (existing)
    return {
      cert: existing[0],
      key: existing[1],
      fingerprint: fingerprintOf(new X509Certificate(existing[0]).raw),
      selfSigned: true,
    };
  const host = os.hostname();
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .map((i) => i?.address ?? '')
    .filter(Boolean);
  const made = selfSignedCertificate(
    `${host} PACS archive`,
    ['localhost', host, ...(host.includes('.') ? [] : [`${host}.local`])],
    ['127.0.0.1', '::1', ...addresses],
  );
  await mkdir(dir, { recursive: true });
  await writeFile(keyFile, made.privateKeyPem, { mode: 0o600 });
  await writeFile(certFile, made.certificatePem);
  return { cert: made.certificatePem, key: made.privateKeyPem, fingerprint: made.fingerprint, selfSigned: true };
}

/** The API's server: HTTPS with `certificate` (TLS 1.2 at least), else plain HTTP. */
export function apiServer(certificate: ApiCertificate | undefined): http.Server {
  // Timeouts are checked this often: a client dripping its headers is cut off within it after LIMITS.headersMs.
  const timing = {
    headersTimeout: LIMITS.headersMs,
    requestTimeout: LIMITS.requestMs,
    connectionsCheckingInterval: Math.min(2000, LIMITS.headersMs),
  };
  if (!certificate) return http.createServer(timing);
  return https.createServer({
    ...timing,
    cert: certificate.cert,
    key: certificate.key,
    minVersion: 'TLSv1.2',
  }) as unknown as http.Server;
}
