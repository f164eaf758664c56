import { readFile } from 'node:fs/promises';
import type { TlsSettings } from '../protocol/network.ts';
import type { ServerSettings } from './server-settings.ts';

/** A DICOM TLS file named in dicom.ini that cannot be read: the key, the file and why. */
export class TlsFileError extends Error {}

async function read(key: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new TlsFileError(`${key}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Our certificate, key and trusted CAs for DICOM TLS, read from the files dicom.ini names; undefined when no certificate
 * is configured (then neither the TLS listener nor TLS to nodes can run).
 */
export async function readTlsFiles(
  s: Pick<ServerSettings, 'tlsCertificate' | 'tlsPrivateKey' | 'tlsCaCertificates' | 'tlsRequireClientCertificate'>,
): Promise<TlsSettings | undefined> {
  if (!s.tlsCertificate && !s.tlsPrivateKey) return undefined;
  if (!s.tlsCertificate || !s.tlsPrivateKey)
    throw new TlsFileError('DICOM TLS needs both TLSCertificate and TLSPrivateKey');
  return {
    cert: await read('TLSCertificate', s.tlsCertificate),
    key: await read('TLSPrivateKey', s.tlsPrivateKey),
    ca: s.tlsCaCertificates ? await read('TLSCACertificates', s.tlsCaCertificates) : undefined,
    requireClientCertificate: s.tlsRequireClientCertificate,
  };
}

/** Whether our SCU reaches node `ae` over TLS: it is one of TLSNodes (AE titles compare case aside). */
export function isTlsNode(s: Pick<ServerSettings, 'tlsNodes'>, ae: string): boolean {
  return s.tlsNodes.some((n) => n.toUpperCase() === ae.toUpperCase());
}
