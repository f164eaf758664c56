import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { until } from '../helpers/wait.ts';
import { senderAllowed } from '../../main/workflow/hl7/hl7-listener.ts';

const a08 = (control: string) =>
  `MSH|^~\\&|HIS|NEMOCNICE|PACSWS|RDG|20261207080000||ADT^A08|${control}|P|2.3.1\rEVN|A08\rPID|||B1||Novak^Jan||19700101|M`;
const framed = (text: string) => Buffer.from(`\x0b${text}\x1c\r`, 'latin1');

/** A TCP connection to the HL7 port, open (or refused: closed before anything is read). */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}
const closed = (s: net.Socket) =>
  new Promise<void>((resolve) => {
    if (s.destroyed) resolve();
    else s.once('close', () => resolve());
  });

/**
 * The HL7 listener on a hostile LAN (issue 30.2): a sender writing garbage frames and never reading the answers is
 * paced and its refusals summed up, so that DICOM and other HL7 senders go on and the log takes a few lines; senders
 * are capped per address; empty HL7AllowedSenders is this computer only; MLLP over TLS with openssl's client.
 */
describe('HL7 listener bounds', () => {
  let archive: TestArchive;
  let work: string;
  let port = 0;

  beforeAll(async () => {
    archive = await startArchive({ HL7Listener: '1', HL7Port: '0' });
    port = archive.server.hl7!.port;
    work = await mkdtemp(path.join(tmpdir(), 'pacs-hl7-bounds-'));
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function mllpSend(control: string): Promise<{ code: number; stdout: string }> {
    const file = path.join(work, `${control}.hl7`);
    await writeFile(file, `${a08(control).replace(/\r/g, '\n')}\n`);
    return run('mllp_send', ['--loose', '-f', file, '-p', String(port), '127.0.0.1']);
  }
  const hl7Warnings = () =>
    archive
      .logText()
      .split('\n')
      .filter((l) => l.startsWith('warn') && l.includes('HL7'));

  it('paces a garbage flood that never reads its answers: DICOM and another sender are served, the log takes a few lines', async () => {
    const flood = await connect(port);
    flood.pause(); // never reads the acknowledgments
    flood.write(Buffer.concat(Array.from({ length: 100_000 }, () => framed('X'))));
    await until('the first garbage frames are refused', () => hl7Warnings().length >= 10);

    const echo = await run('echoscu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)]);
    expect(echo.code, echo.stderr).toBe(0);
    const other = await mllpSend('A08-BESIDE');
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/MSA\|AA\|A08-BESIDE/);

    const during = hl7Warnings();
    expect(during.filter((l) => l.includes('HL7 ? ')).length).toBe(10);
    flood.destroy();
    await until('the rest are counted in one line', () =>
      hl7Warnings().some((l) => /\d+ more HL7 refusals like the last: HL7 \? /.test(l)),
    );
    const summary = hl7Warnings().find((l) => l.includes('more HL7 refusals'))!;
    const counted = Number(/(\d+) more/.exec(summary)![1]);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(100_000 - 10); // paced: not every frame was handled in the meantime
    expect(hl7Warnings().length).toBeLessThanOrEqual(during.length + 1);
    const monitor = archive.server.core.activity.snapshot().hl7;
    expect(monitor.filter((e) => e.type === '?').length).toBe(11);
    expect(monitor[0]!.text).toMatch(/more refusals like the last/);
  }, 120_000);

  it('takes at most 4 connections from one address, and a fifth again once one closed', async () => {
    await until('the connections of the test before are closed', () => archive.server.hl7!.connections === 0);
    const open = await Promise.all([1, 2, 3, 4].map(() => connect(port)));
    const fifth = await connect(port);
    let said = '';
    fifth.on('data', (d) => {
      said += d;
    });
    await closed(fifth);
    expect(said).toBe('');
    await until('the refusal is logged', () =>
      /HL7 connection from 127\.0\.0\.1:\d+ refused: 4 connections already open from 127\.0\.0\.1/.test(
        archive.logText(),
      ),
    );
    open[0]!.destroy();
    await until('a sender gets in again', async () =>
      (await mllpSend('A08-AGAIN')).stdout.includes('MSA|AA|A08-AGAIN'),
    );
    for (const s of open) s.destroy();
  }, 60_000);

  it('takes senders from this computer only when HL7AllowedSenders is empty; * takes any', () => {
    expect(senderAllowed('127.0.0.1', [])).toBe(true);
    expect(senderAllowed('::1', [])).toBe(true);
    expect(senderAllowed('192.168.1.20', [])).toBe(false);
    expect(senderAllowed('192.168.1.20', ['192.168.1.20'])).toBe(true);
    expect(senderAllowed('127.0.0.1', ['192.168.1.20'])).toBe(false);
    expect(senderAllowed('10.0.0.7', ['*'])).toBe(true);
  });
});

describe('HL7 over TLS', () => {
  let archive: TestArchive;
  let certs: TestCertificates;

  beforeAll(async () => {
    certs = await makeCertificates();
    archive = await startArchive({
      HL7Listener: '1',
      HL7Port: '0',
      HL7TLS: '1',
      TLSCertificate: certs.server.cert,
      TLSPrivateKey: certs.server.key,
      TLSCACertificates: certs.ca,
      TLSRequireClientCertificate: '1',
    });
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(certs.dir, { recursive: true, force: true });
  });

  /** openssl s_client as the RIS: the message framed on its input, what came back before it closed or the ACK's end. */
  function sendOverTls(who: { cert: string; key: string } | undefined, message: string): Promise<string> {
    const args = [
      's_client',
      '-connect',
      `127.0.0.1:${archive.server.hl7!.port}`,
      '-CAfile',
      certs.ca,
      '-verify_return_error',
      '-quiet',
      ...(who ? ['-cert', who.cert, '-key', who.key] : []),
    ];
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let got = '';
    return new Promise((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\x1c')) child.kill();
      });
      child.on('close', () => resolve(got));
      child.stdin.on('error', () => undefined);
      child.stdin.write(framed(message));
    });
  }

  it('answers a RIS showing a certificate from the trusted CA, and refuses one without', async () => {
    const ack = await sendOverTls(certs.client, a08('A08-TLS'));
    expect(ack).toMatch(/MSA\|AA\|A08-TLS/);
    const anonymous = await sendOverTls(undefined, a08('A08-ANON'));
    expect(anonymous).not.toMatch(/MSA/);
    await until('the refused handshake is logged', () =>
      /HL7 TLS connection from 127\.0\.0\.1:\d+ refused: /.test(archive.logText()),
    );
    const plain = await connect(archive.server.hl7!.port);
    let said = '';
    plain.on('data', (d) => {
      said += d;
    });
    plain.on('error', () => undefined);
    plain.write(framed(a08('A08-PLAIN')));
    await closed(plain);
    expect(said).not.toMatch(/MSA/);
  }, 60_000);
});
