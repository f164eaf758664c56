import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import type { AnnotationDto } from '../../main/api/contract.ts';
import { GSPS_SOP_CLASS } from '../../common/uids.ts';

/**
 * The viewer's measurements kept as a Grayscale Softcopy Presentation State: saved through the API as the viewer does,
 * checked by DCMTK's dcmpschk (the presentation state checker), read back as the same tools, the newest one winning,
 * and refused with the reason when malformed.
 */
describe('measurements as a presentation state', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();
  const images = [1, 2].map((i) =>
    makeImage({
      patientId: 'GSPS1',
      patientName: 'Měření^Žofie',
      specificCharacterSet: 'ISO_IR 192',
      studyUid: study,
      instanceNumber: i,
      rows: 64,
      columns: 64,
    }),
  );
  const multi = makeImage({ patientId: 'GSPS1', studyUid: study, frames: 3, rows: 32, columns: 32 });
  const annotations: AnnotationDto[] = [
    {
      sopInstanceUid: images[0]!.sopUid,
      kind: 'Length',
      points: [
        [10, 10],
        [40, 30],
      ],
      text: '18.0 mm',
    },
    {
      sopInstanceUid: images[0]!.sopUid,
      kind: 'Angle',
      points: [
        [5, 5],
        [20, 20],
        [35, 5],
      ],
      text: '90.0°',
    },
    {
      sopInstanceUid: images[0]!.sopUid,
      kind: 'CobbAngle',
      points: [
        [0, 0],
        [10, 2],
        [0, 20],
        [10, 16],
      ],
      text: '33.7°',
    },
    {
      sopInstanceUid: images[1]!.sopUid,
      kind: 'EllipticalRoi',
      points: [
        [10, 12],
        [30, 22],
      ],
      text: 'Mean: 40.2 HU SD: 3.1 Area: 49.8 mm²',
    },
    {
      sopInstanceUid: images[1]!.sopUid,
      kind: 'RectangleRoi',
      points: [
        [40, 40],
        [60, 50],
      ],
      text: 'Mean: -1.0 HU',
    },
    { sopInstanceUid: images[1]!.sopUid, kind: 'Probe', points: [[32, 32]], text: '[32, 32] 55 HU' },
    {
      sopInstanceUid: images[1]!.sopUid,
      kind: 'ArrowAnnotate',
      points: [
        [20, 20],
        [50, 5],
      ],
      text: 'Zlomenina',
    },
    {
      sopInstanceUid: multi.sopUid,
      frame: 2,
      kind: 'Length',
      points: [
        [1, 1],
        [9, 9],
      ],
      text: '4.0 mm',
    },
  ];

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-gsps-'));
    expect(
      (
        await run('storescu', [
          '-aec',
          archive.aeTitle,
          '127.0.0.1',
          String(archive.port),
          ...(await writeImages(work, [...images, multi])),
        ])
      ).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('saves them as a presentation state that dcmpschk accepts, and reads them back as the same tools', async () => {
    const saved = await apiFetch(archive, 'POST', pathOf(ENDPOINTS.annotations, [study]), { annotations });
    expect(saved.status).toBe(200);
    const state = (await saved.json()) as { sopInstanceUid: string; creator: string; label: string };
    expect(state).toMatchObject({ creator: 'local admin', label: 'MEASUREMENTS1' });
    const inst = await archive.server.index.findInstance(state.sopInstanceUid);
    expect(inst?.sopClassUid).toBe(GSPS_SOP_CLASS);
    const file = archive.server.store.absolutePath(inst!.location);
    const checked = await run('dcmpschk', [file]);
    expect(checked.stdout + checked.stderr, checked.stdout + checked.stderr).not.toMatch(/^E:|Error/m);
    expect(checked.code).toBe(0);
    const dump = await run('dcmdump', ['+U8', file]);
    expect(dump.stdout).toMatch(/\(0070,0023\) CS \[ELLIPSE\]/);
    expect(dump.stdout).toMatch(/\(0008,1160\) IS \[2\]/);
    expect(dump.stdout).toContain('Zlomenina');
    const back = (await (await apiFetch(archive, 'GET', pathOf(ENDPOINTS.annotations, [study]))).json()) as {
      state: { sopInstanceUid: string };
      annotations: AnnotationDto[];
    };
    expect(back.state.sopInstanceUid).toBe(state.sopInstanceUid);
    const sortKey = (a: { sopInstanceUid: string; frame?: number; kind: string }) =>
      `${a.sopInstanceUid}${a.frame ?? ''}${a.kind}`;
    const near = (list: AnnotationDto[]) =>
      list
        .map((a) => ({
          ...a,
          frame: a.frame ?? undefined,
          points: a.points.map(([x, y]) => [Math.round(x * 100) / 100, Math.round(y * 100) / 100]),
        }))
        .sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    expect(near(back.annotations)).toEqual(near(annotations));
  });

  it('gives the newest of several, keeps the older, and empties with an empty save', async () => {
    expect(
      (
        await apiFetch(archive, 'POST', pathOf(ENDPOINTS.annotations, [study]), {
          annotations: annotations.slice(0, 1),
        })
      ).status,
    ).toBe(200);
    const back = (await (await apiFetch(archive, 'GET', pathOf(ENDPOINTS.annotations, [study]))).json()) as {
      annotations: AnnotationDto[];
    };
    expect(back.annotations).toHaveLength(1);
    expect((await apiFetch(archive, 'POST', pathOf(ENDPOINTS.annotations, [study]), { annotations: [] })).status).toBe(
      200,
    );
    expect(
      (
        (await (await apiFetch(archive, 'GET', pathOf(ENDPOINTS.annotations, [study]))).json()) as {
          annotations: AnnotationDto[];
        }
      ).annotations,
    ).toEqual([]);
    // The series list of the study has the presentation states as series of modality PR (the viewer hides them).
    const series = (await (
      await apiFetch(archive, 'POST', ENDPOINTS.studies.path, {
        level: 'SERIES',
        keys: { StudyInstanceUID: study, Modality: 'PR', SeriesInstanceUID: '' },
      })
    ).json()) as unknown[];
    expect(series).toHaveLength(3);
  });

  it('refuses malformed measurements with the reason', async () => {
    const bad = async (a: unknown) =>
      (
        (await (
          await apiFetch(archive, 'POST', pathOf(ENDPOINTS.annotations, [study]), { annotations: a })
        ).json()) as { error: string }
      ).error;
    expect(await bad('x')).toBe('annotations must be a list');
    expect(await bad([{ ...annotations[0], kind: 'Laser' }])).toMatch(/annotation 1: kind is one of Length/);
    expect(await bad([{ ...annotations[0], points: [[1, 2]] }])).toBe(
      'annotation 1: a Length has 2 points of two finite numbers',
    );
    expect(await bad([{ ...annotations[0], sopInstanceUid: '1.2.3.4.5.6' }])).toBe(
      'no object 1.2.3.4.5.6 in this archive',
    );
  });
});
