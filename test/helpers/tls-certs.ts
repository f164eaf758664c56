import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './dcmtk.ts';

/** Certificates made by openssl for a test: a CA, a server and a client certificate it signed, and one it did not. */
export interface TestCertificates {
  dir: string;
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  stranger: { cert: string; key: string };
}

async function openssl(args: string[]): Promise<void> {
  const r = await run('openssl', args);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pacs-tls-'));
  const f = (name: string) => path.join(dir, name);
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Test Clinic CA',
  ]);
  // The server's certificate names this computer's loopback address, as a TLS client checking the host name expects.
  await writeFile(f('server.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  const signed = async (name: string, cn: string) => {
    await openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
      ...(name === 'server' ? ['-extfile', f('server.ext')] : []),
    ]);
    return { cert: f(`${name}.pem`), key: f(`${name}.key`) };
  };
  const server = await signed('server', 'archive');
  const client = await signed('client', 'modality');
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('stranger.key'),
    '-out',
    f('stranger.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Stranger',
  ]);
  return { dir, ca: f('ca.pem'), server, client, stranger: { cert: f('stranger.pem'), key: f('stranger.key') } };
}
