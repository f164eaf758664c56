import { describe, expect, it } from 'vitest';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { selfSignedCertificate } from '../../main/util/self-signed.ts';

/** The API's self-signed certificate, read back by node:crypto as a TLS client would read it. */
describe('the self-signed HTTPS certificate', () => {
  it('names the computer, is no CA, serves TLS, signs itself with its own key, and lasts ten years', () => {
    const now = new Date('2026-12-07T10:00:00Z');
    const made = selfSignedCertificate(
      'desk1 PACS archive',
      ['localhost', 'desk1', 'desk1.local', 'localhost'],
      ['127.0.0.1', '::1', '192.168.1.20', 'not-an-ip'],
      now,
    );
    const cert = new X509Certificate(made.certificatePem);
    expect(cert.subject).toBe('CN=desk1 PACS archive');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe(
      'DNS:localhost, DNS:desk1, DNS:desk1.local, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192.168.1.20',
    );
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(made.privateKeyPem))).toBe(true);
    expect(cert.checkHost('desk1.local')).toBe('desk1.local');
    expect(cert.checkIP('192.168.1.20')).toBe('192.168.1.20');
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2036);
    expect(made.fingerprint).toBe(cert.fingerprint256);
    expect(cert.serialNumber).not.toBe(
      new X509Certificate(selfSignedCertificate('x', ['x'], [], now).certificatePem).serialNumber,
    );
  });
});
