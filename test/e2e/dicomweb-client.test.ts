import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import http from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { uiSuite } from '../helpers/ui-suite.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/storescp.ts';

const CLIENT = createRequire(import.meta.url).resolve('dicomweb-client/build/dicomweb-client.js');

/** The answers of the browser-side script below, as it hands them back. */
interface ClientRun {
  studies: string[];
  metadataPatient: string;
  instanceBytes: number[];
  frameLength: number;
  stored: string[];
  denied: string;
}

/**
 * The dicomweb-client package (what OHIF and other web viewers use) in Chromium, on a page served from another origin
 * as a web viewer on the clinic's network would be (issue 15): it searches, reads metadata, retrieves an instance and a
 * frame, and stores an instance, through CORS the archive allows for that origin; a page from an origin not allowed is
 * refused by the browser.
 */
describe('dicomweb-client in a browser, from another origin', () => {
  const ui = uiSuite('dwclient');
  let archive: TestArchive;
  let viewer: http.Server;
  let viewerOrigin: string;
  const study = uid();
  const SIZE = 32;
  const image = makeImage({
    patientId: 'WEBCLIENT',
    patientName: 'Client^Web',
    studyUid: study,
    rows: SIZE,
    columns: SIZE,
    pixel: phantom(SIZE, SIZE, 2),
  });

  beforeAll(async () => {
    const port = await freePort();
    viewerOrigin = `http://127.0.0.1:${port}`;
    // A page of a web viewer: served by a server of its own, so every DICOMweb call is cross-origin.
    viewer = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>viewer</title>');
    });
    await new Promise<void>((resolve) => viewer.listen(port, '127.0.0.1', resolve));
    archive = await startArchive({ DicomWebCorsOrigins: viewerOrigin });
    const [file] = await writeImages(ui.work, [image]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file!])).code).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await new Promise((resolve) => viewer?.close(resolve));
  });

  it('searches, reads metadata, retrieves an instance and a frame, and stores', async () => {
    await ui.page.goto(`${viewerOrigin}/`);
    await ui.page.addScriptTag({ content: await readFile(CLIENT, 'utf8') });
    const fresh = makeImage({ patientId: 'WEBSTOW', rows: 8, columns: 8 });
    const result = await ui.page.evaluate(
      async ({ url, secret, study, series, sop, upload }) => {
        // (test/ is typed without the DOM library: the client's global, as much of it as is used here)
        const api = (
          globalThis as unknown as {
            DICOMwebClient: {
              api: { DICOMwebClient: new (o: object) => Record<string, (o: object) => Promise<unknown>> };
            };
          }
        ).DICOMwebClient.api;
        const client = new api.DICOMwebClient({ url, headers: { Authorization: `Bearer ${secret}` } });
        const found = (await client.searchForStudies!({ queryParams: { PatientID: 'WEBCLIENT' } })) as Record<
          string,
          { Value: string[] }
        >[];
        const metadata = (await client.retrieveStudyMetadata!({ studyInstanceUID: study })) as Record<
          string,
          { Value: { Alphabetic: string }[] }
        >[];
        const instance = (await client.retrieveInstance!({
          studyInstanceUID: study,
          seriesInstanceUID: series,
          sopInstanceUID: sop,
        })) as ArrayBuffer;
        const frames = (await client.retrieveInstanceFrames!({
          studyInstanceUID: study,
          seriesInstanceUID: series,
          sopInstanceUID: sop,
          frameNumbers: [1],
        })) as ArrayBuffer[];
        // The client hands back the response as the browser read it: our STOW-RS answer, JSON text.
        const answer = await client.storeInstances!({ datasets: [new Uint8Array(upload).buffer] });
        const stored = (typeof answer === 'string' ? JSON.parse(answer) : answer) as Record<
          string,
          { Value: Record<string, { Value: string[] }>[] }
        >;
        // A client without the secret is refused.
        const anonymous = new api.DICOMwebClient({ url });
        const denied = await anonymous.searchForStudies!({}).then(
          () => 'answered',
          (err: { status?: number }) => String(err.status ?? err),
        );
        return {
          studies: found.map((s) => s['0020000D']!.Value[0]!),
          metadataPatient: metadata[0]!['00100010']!.Value[0]!.Alphabetic,
          instanceBytes: Array.from(new Uint8Array(instance).slice(-64)),
          frameLength: frames[0]!.byteLength,
          stored: (stored['00081199']?.Value ?? []).map((i) => i['00081155']!.Value[0]!),
          denied,
        } satisfies ClientRun;
      },
      {
        url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`,
        secret: archive.server.apiSecret,
        study,
        series: image.seriesUid,
        sop: image.sopUid,
        upload: [...fresh.bytes],
      },
    );
    expect(result.studies).toEqual([study]);
    expect(result.metadataPatient).toBe('Client^Web');
    // The last bytes of the object are the last pixels: the same as sent.
    expect(result.instanceBytes).toEqual([...image.bytes.subarray(-64)]);
    expect(result.frameLength).toBe(SIZE * SIZE * 2);
    expect(result.stored).toEqual([fresh.sopUid]);
    expect(await archive.server.index.findInstance(fresh.sopUid)).toBeDefined();
    expect(result.denied).toBe('401');
  });

  it('is refused by the browser from an origin the archive does not allow', async () => {
    await archive.setIni('DicomWebCorsOrigins', 'http://some-other-viewer.example');
    await ui.page.goto(`${viewerOrigin}/`);
    const outcome = await ui.page.evaluate(
      async ({ url, secret }) => {
        try {
          const res = await fetch(`${url}/studies`, { headers: { Authorization: `Bearer ${secret}` } });
          return `answered ${res.status}`;
        } catch (err) {
          return `blocked: ${(err as Error).name}`;
        }
      },
      { url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`, secret: archive.server.apiSecret },
    );
    expect(outcome).toBe('blocked: TypeError');
  });
});
