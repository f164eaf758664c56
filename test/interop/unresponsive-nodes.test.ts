import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import {
  acceptsAndSilent,
  associatesAndSilent,
  httpServer,
  neverAccepts,
  type SilentPeer,
} from '../helpers/silent-peers.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { QrSopClass } from '../../common/uids.ts';

/** Fails when `work` has not settled after `seconds`: a hang is a bug here, whatever the machine's speed. */
async function settlesWithin<T>(seconds: number, work: Promise<T>, what: string): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still running after ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason) => ({ status: 'rejected', reason }) as const,
      ),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejection(seconds: number, work: Promise<unknown>, what: string): Promise<string> {
  const r = await settlesWithin(seconds, work, what);
  if (r.status === 'fulfilled') throw new Error(`${what} succeeded against a node that is not a DICOM peer`);
  return (r.reason as Error).message;
}

/**
 * Nodes that are not DICOM or do not answer (issue 11: the web port typed as the DICOM port, an address where nothing
 * answers, a peer that goes silent): every SCU operation ends with an error that says what happened, a job does not hold
 * its node's slot, and the server still stops. Timeouts are set short in dicom.ini so the test does not wait for defaults.
 */
describe('nodes that are not DICOM or never answer', () => {
  let local: TestArchive;
  const peers: Record<string, SilentPeer> = {};

  beforeAll(async () => {
    peers.web = await httpServer();
    peers.mute = await acceptsAndSilent();
    peers.full = await neverAccepts();
    peers.dumb = await associatesAndSilent();
    local = await startArchive(
      { ConnectTimeout: '2', ARTIMTimeout: '2', DIMSETimeout: '2', RetryDelay: '60', MaximumExportRetries: '3' },
      [
        `WEBPORT 127.0.0.1 ${peers.web.port} un`,
        `MUTE 127.0.0.1 ${peers.mute.port} un`,
        `FULLQUEUE 127.0.0.1 ${peers.full.port} un`,
        `DUMB 127.0.0.1 ${peers.dumb.port} un`,
      ],
      'LOCAL',
    );
  });
  afterAll(async () => {
    await local?.stop();
    for (const p of Object.values(peers)) await p.stop();
  });

  const transfers = () => local.server.transfers;

  it("a web server on the node's port: echo and find fail at once, saying it is not DICOM", async () => {
    expect(await rejection(5, transfers().echo('WEBPORT'), 'echo of a web server')).toMatch(
      /WEBPORT.*not a DICOM peer|not DICOM/i,
    );
    const find = transfers().client.find(
      transfers().node('WEBPORT')!,
      QrSopClass.StudyRootFind,
      identifierFromKeywords({ PatientName: '' }, 'STUDY'),
    );
    expect(await rejection(5, find, 'find on a web server')).toMatch(/not a DICOM peer|not DICOM/i);
  });

  it('a port where the connection is never completed: the connect timeout says so', async () => {
    expect(await rejection(8, transfers().echo('FULLQUEUE'), 'echo of a node that never accepts')).toMatch(
      /no answer.*within 2 s|connect.*timed out/i,
    );
  });

  it('a peer that accepts the connection and never speaks: the association times out', async () => {
    expect(await rejection(8, transfers().echo('MUTE'), 'echo of a silent socket')).toMatch(
      /timed out after 2 s waiting for A-ASSOCIATE-AC/,
    );
  });

  it('a peer that accepts the association and never answers a request: the DIMSE timeout aborts it', async () => {
    expect(await rejection(8, transfers().echo('DUMB'), 'echo of a mute DICOM peer')).toMatch(/no C-ECHO-RSP.*2 s/i);
    const find = transfers().client.find(
      transfers().node('DUMB')!,
      QrSopClass.StudyRootFind,
      identifierFromKeywords({ PatientName: '' }, 'STUDY'),
    );
    expect(await rejection(8, find, 'find on a mute DICOM peer')).toMatch(/no C-FIND-RSP.*2 s/i);
  });

  describe('jobs', () => {
    afterEach(async () => {
      for (const j of await transfers().queue.list(['queued', 'running'])) await transfers().queue.cancel(j.id);
    });

    it("a retrieve from a web server fails its attempt and frees the node's slot", async () => {
      const job = await transfers().retrieve(
        'WEBPORT',
        { level: 'STUDY', keys: { StudyInstanceUID: '1.2.3' } },
        'move',
      );
      await expect
        .poll(async () => (await transfers().queue.get(job.id))?.error, { timeout: 8000 })
        .toMatch(/not a DICOM peer/i);
      const after = (await transfers().queue.get(job.id))!;
      expect(after.state).toBe('queued'); // waiting for its retry, not 'running' for ever
    });
  });
});

describe('stopping the server', () => {
  it('finishes within seconds with a retrieve waiting on a mute peer, and keeps the job for the next start', async () => {
    const dumb = await associatesAndSilent();
    // Long timeouts: the stop must not wait for them.
    const local = await startArchive(
      { DIMSETimeout: '600', ARTIMTimeout: '600', ConnectTimeout: '600' },
      [`DUMB 127.0.0.1 ${dumb.port} un`],
      'LOCAL',
    );
    try {
      const t = local.server.transfers;
      const job = await t.retrieve('DUMB', { level: 'STUDY', keys: { StudyInstanceUID: '1.2.3' } }, 'move');
      await expect.poll(async () => (await t.queue.get(job.id))?.state).toBe('running');
      const stopped = await settlesWithin(10, local.server.stop(), 'server stop');
      expect(stopped.status).toBe('fulfilled');
      await local.restart();
      // Resumed at the next start: the job runs again against the same node.
      await expect
        .poll(async () => (await local.server.transfers.queue.get(job.id))?.attempts)
        .toBeGreaterThanOrEqual(2);
    } finally {
      await local.stop();
      await dumb.stop();
    }
  });
});
