import { dicomListener as dicomListenerFeature } from '../../main/features/dicom-listener.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { freePort, startStorescp } from '../helpers/storescp.ts';
import { makeCertificates, type TestCertificates } from '../helpers/tls-certs.ts';

/**
 * DICOM TLS (issue 14, PS3.15 B.1): our TLS listener with DCMTK's +tls peers (a trusted client certificate stores and
 * queries; an untrusted one and a plain client are refused while the archive keeps serving), and our SCU to a DCMTK
 * storescp +tls: a send job and a C-MOVE to a node of TLSNodes. Certificates are made by openssl in the test.
 */
describe('DICOM over TLS', () => {
  let archive: TestArchive;
  let certs: TestCertificates;
  let work: string;
  let tlsPort = 0;
  const study = uid();
  let files: string[] = [];

  beforeAll(async () => {
    certs = await makeCertificates();
    tlsPort = await freePort();
    archive = await startArchive({
      TLSPort: String(tlsPort),
      TLSCertificate: certs.server.cert,
      TLSPrivateKey: certs.server.key,
      TLSCACertificates: certs.ca,
      TLSRequireClientCertificate: '1',
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-tls-in-'));
    files = await writeImages(
      work,
      [1, 2].map((n) =>
        makeImage({
          patientId: 'TLS1',
          patientName: 'Secure^Pat',
          studyUid: study,
          instanceNumber: n,
          rows: 8,
          columns: 8,
        }),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(certs.dir, { recursive: true, force: true });
  });

  const tlsClient = (who: { cert: string; key: string }) => ['+tls', who.key, who.cert, '+cf', certs.ca];

  it('stores and answers queries over TLS for a peer with a certificate from the trusted CA', async () => {
    expect(archive.server.feature(dicomListenerFeature).tlsPort()).toBe(tlsPort);
    const r = await run('storescu', [
      ...tlsClient(certs.client),
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(tlsPort),
      ...files,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await archive.server.index.findPatient('TLS1')).toBeDefined();
    const f = await findscu(
      tlsPort,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', 'PatientName', `StudyInstanceUID=${study}`],
      tlsClient(certs.client),
    );
    expect(f.answers).toEqual([expect.objectContaining({ PatientName: 'Secure^Pat' })]);
  }, 60_000);

  it('refuses a certificate from another CA, a peer without one, and a plain client, and keeps serving', async () => {
    const stranger = await run('storescu', [
      ...tlsClient(certs.stranger),
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(tlsPort),
      files[0]!,
    ]);
    expect(stranger.code).not.toBe(0);
    const anonymous = await run('echoscu', [
      '+tla',
      '+cf',
      certs.ca,
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(tlsPort),
    ]);
    expect(anonymous.code).not.toBe(0);
    const plain = await run('echoscu', ['-aec', archive.aeTitle, '-to', '5', '-ta', '5', '127.0.0.1', String(tlsPort)]);
    expect(plain.code).not.toBe(0);
    expect(archive.logText()).toMatch(/TLS connection from 127\.0\.0\.1:\d+ refused: /);
    const again = await run('echoscu', [
      ...tlsClient(certs.client),
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(tlsPort),
    ]);
    expect(again.code, again.stderr).toBe(0);
    const plainPort = await run('echoscu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)]);
    expect(plainPort.code).toBe(0);
  }, 60_000);

  it('sends to and moves to a node of TLSNodes over TLS (DCMTK storescp +tls)', async () => {
    const scp = await startStorescp('SECURESCP', ['+tls', certs.client.key, certs.client.cert, '+cf', certs.ca]);
    try {
      const nodes = { ae: 'SECURESCP', host: '127.0.0.1', port: scp.port, compression: 'un' };
      const api = (route: string, body: unknown) => apiFetch(archive, 'POST', route, body);
      expect((await api('/api/nodes', nodes)).status).toBe(200);
      await archive.setIni('TLSNodes', 'SECURESCP');
      expect(await (await api('/api/nodes/SECURESCP/echo', {})).json()).toMatchObject({ ok: true });
      const job = await archive.server.transfers.send('SECURESCP', 'STUDY', study);
      await archive.server.transfers.queue.idle();
      expect(await archive.server.transfers.queue.get(job.id)).toMatchObject({ state: 'done', done: 2 });
      expect(await scp.files()).toHaveLength(2);

      // C-MOVE from a plain peer to the TLS destination: the sub-association is TLS too.
      const [first] = await scp.files();
      await rm(first!);
      const m = await run('movescu', [
        '-S',
        '-aec',
        archive.aeTitle,
        '-aem',
        'SECURESCP',
        '127.0.0.1',
        String(archive.port),
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
      ]);
      expect(m.code, m.stderr).toBe(0);
      expect(await scp.files()).toHaveLength(2);

      // Without TLSNodes the node's TLS port is not DICOM for us: the echo says why.
      await archive.setIni('TLSNodes', '');
      const plain = (await (await api('/api/nodes/SECURESCP/echo', {})).json()) as { ok: boolean; error: string };
      expect(plain.ok).toBe(false);
      expect(plain.error).toMatch(/SECURESCP/);
    } finally {
      await scp.stop();
    }
  }, 60_000);

  it('does not talk to a TLS node whose certificate is not from the trusted CA', async () => {
    const impostor = await startStorescp('IMPOSTOR', ['+tls', certs.stranger.key, certs.stranger.cert, '-ic']);
    try {
      await apiFetch(archive, 'POST', '/api/nodes', {
        ae: 'IMPOSTOR',
        host: '127.0.0.1',
        port: impostor.port,
        compression: 'un',
      });
      await archive.setIni('TLSNodes', 'IMPOSTOR');
      const echo = (await (await apiFetch(archive, 'POST', '/api/nodes/IMPOSTOR/echo')).json()) as {
        ok: boolean;
        error: string;
      };
      expect(echo.ok).toBe(false);
      expect(echo.error).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed: .*certificate/);
    } finally {
      await impostor.stop();
    }
  }, 60_000);

  it('serves DICOM over TLS only when PlainDICOM = 0, and refuses PlainDICOM = 0 without TLSPort with its line', async () => {
    const plainPort = archive.port;
    await archive.setIni('PlainDICOM', '0');
    await archive.server.feature(dicomListenerFeature).restart();
    try {
      const plain = await run('echoscu', ['-aec', archive.aeTitle, '-to', '5', '127.0.0.1', String(plainPort)]);
      expect(plain.code).not.toBe(0);
      const secure = await run('echoscu', [
        ...tlsClient(certs.client),
        '-aec',
        archive.aeTitle,
        '127.0.0.1',
        String(archive.server.feature(dicomListenerFeature).tlsPort()),
      ]);
      expect(secure.code, secure.stderr).toBe(0);
      expect(archive.logText()).toMatch(/listening for DICOM over TLS only \(PlainDICOM = 0\)/);
      const { IniDocument } = await import('../../common/ini-document.ts');
      const { readSettings } = await import('../../main/config/server-settings.ts');
      const lone = new IniDocument('dicom.ini', '[sscscp]\nMyACRNema = X\nPlainDICOM = 0\n');
      expect(() => readSettings(lone, work, work)).toThrow(/dicom.ini:3: PlainDICOM: 0 needs TLSPort set/);
    } finally {
      await archive.setIni('PlainDICOM', '1');
      await archive.server.feature(dicomListenerFeature).restart();
    }
  }, 60_000);
});
