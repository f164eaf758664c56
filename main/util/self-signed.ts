import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import net from 'node:net';
import forge from 'node-forge';

/**
 * A self-signed X.509 v3 certificate (RFC 5280) for the API's HTTPS when the admin gives none, built and signed by
 * node-forge (maintained, no native parts); the RSA 2048 key is made by node:crypto (native, fast). It names this
 * computer's host names and addresses as subject alternative names (browsers match only those), says it is no CA and
 * serves TLS (key usage, extended key usage), and is valid for ten years.
 */

export interface SelfSigned {
  certificatePem: string;
  privateKeyPem: string;
  /** SHA-256 of the certificate's DER, as browsers show it (AB:CD:...). */
  fingerprint: string;
}

export function selfSignedCertificate(
  commonNameText: string,
  dnsNames: string[],
  addresses: string[],
  now = new Date(),
): SelfSigned {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // A positive serial of 16 random bytes (RFC 5280 4.1.2.2).
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 3_600_000);
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 86_400_000);
  const name = [
    { shortName: 'CN', value: commonNameText, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...[...new Set(dnsNames)].map((value) => ({ type: 2, value })),
        ...[...new Set(addresses)].filter((a) => net.isIP(a)).map((ip) => ({ type: 7, ip })),
      ],
    },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem, fingerprint: fingerprintOf(der) };
}

export function fingerprintOf(der: Buffer): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}
