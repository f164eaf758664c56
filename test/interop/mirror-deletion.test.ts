import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until, valueWhen } from '../helpers/wait.ts';
import { regenerate } from '../../main/index/regen.ts';
import { ROOT_MARKER } from '../../main/store/storage-roots.ts';
import type { StatusDto } from '../../main/api/contract.ts';

/**
 * A study deleted while the mirror is away (its disk unplugged: its marker gone) is deleted from the mirror when the
 * mirror is back, so a later regen from the mirror does not bring it back (issue 33.4).
 */
describe('a deletion while the mirror is away', () => {
  let archive: TestArchive;
  let work: string;
  const kept = uid();
  const deleted = uid();
  const images = [
    makeImage({ studyUid: kept, patientId: 'KEPT' }),
    makeImage({ studyUid: kept, patientId: 'KEPT' }),
    makeImage({ studyUid: deleted, patientId: 'GONE' }),
  ];
  const status = async () => (await (await apiFetch(archive, 'GET', '/api/status')).json()) as StatusDto;
  const mirrorPresent = (s: StatusDto) => s.storage.find((d) => d.mirror)!.present;
  const exists = (f: string) =>
    access(f).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-mirror-deletion-'));
    archive = await startArchive({ MIRRORDevices: '1', MIRRORDevice0: 'mirror' });
    expect((await storeAs(archive, 'MODALITY', images, work)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('deletes from the mirror once it is back, and regen does not bring the study back', async () => {
    const mirror = path.join(archive.dataDir, 'mirror');
    const goneFile = path.join(
      mirror,
      ...(await archive.server.core.index.findInstance(images[2]!.sopUid))!.location.relativePath.split('/'),
    );
    expect(await exists(goneFile)).toBe(true);
    // The mirror's disk is unplugged (its marker gone with it), and noticed.
    await rename(path.join(mirror, ROOT_MARKER), path.join(work, 'marker'));
    await until('the mirror is seen away', async () => !mirrorPresent(await status()), 30);
    const removed = await apiFetch(archive, 'DELETE', `/api/studies/${deleted}`);
    expect(removed.status).toBe(200);
    expect((await status()).copiesOwed).toBe(1);
    expect(await exists(goneFile)).toBe(true);
    // Plugged back: the deletion it missed is made.
    await rename(path.join(work, 'marker'), path.join(mirror, ROOT_MARKER));
    await valueWhen('the mirror is back and owes nothing', status, (s) => mirrorPresent(s) && s.copiesOwed === 0, 30);
    expect(await exists(goneFile)).toBe(false);
    // The storage folder lost: regen from the mirror gives back the kept study only.
    await rm(path.join(archive.dataDir, 'storage'), { recursive: true, force: true });
    const core = archive.server.core;
    const result = await regenerate(core.store.devices, core.index, {
      clear: true,
      mirrors: {
        roots: core.store.roots.mirrors,
        copyBack: (device, relativePath) => core.store.restoreFromMirror({ device, relativePath }),
      },
    });
    expect(result).toMatchObject({ fromMirror: 2, indexed: 2 });
    expect(await core.index.counts()).toMatchObject({ studies: 1, instances: 2 });
  }, 90_000);
});
