import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { makeImage, uid, type MadeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { valueWhen } from '../helpers/wait.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import type { VerificationDto } from '../../main/api/contract.ts';

/**
 * VerifyStorage (issue 33.3): objects sent by storescu to two archives; in the first, one stored file gets a byte
 * flipped, another is truncated, a third deleted. "Verify now" finds exactly those three (audited, on /metrics);
 * "Repair" fetches good copies of the first two from the second archive (VerifyRepairFrom) by C-FIND and C-MOVE,
 * though the first keeps duplicates (DuplicatePolicy keep), and marks the third unrepairable (the second never had it).
 */
describe('verification of stored objects, and repair from another node', () => {
  let good: TestArchive;
  let checked: TestArchive;
  let work: string;
  const studyUid = uid();
  const seriesUid = uid();
  const images: MadeImage[] = [1, 2, 3, 4].map(() => makeImage({ studyUid, seriesUid, rows: 128, columns: 128 }));
  const [flipped, truncated, intact, onlyHere] = images as [MadeImage, MadeImage, MadeImage, MadeImage];

  const state = async (): Promise<VerificationDto> =>
    (await (await apiFetch(checked, 'GET', '/api/verification')).json()) as VerificationDto;
  const fileOf = async (a: TestArchive, sop: string) => {
    const inst = await a.server.core.index.findInstance(sop);
    return a.server.core.store.absolutePath(inst!.location);
  };
  const dataSet = async (file: string) => {
    const bytes = await readFile(file);
    return bytes.subarray(readFileMeta(bytes).dataSetOffset);
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${checked.server.apiUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const audited = async (action: string) =>
    ((await (await apiFetch(checked, 'GET', `/api/audit?action=${action}`)).json()) as { detail: string }[]).length;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-verify-'));
    good = await startArchive({}, [], 'GOODPACS');
    checked = await startArchive(
      { VerifyStorage: '0', VerifyRepairFrom: 'GOODPACS', DuplicatePolicy: 'keep' },
      [`GOODPACS 127.0.0.1 ${good.port} un`],
      'CHECKED',
    );
    const added = await apiFetch(good, 'POST', '/api/nodes', {
      ae: 'CHECKED',
      host: '127.0.0.1',
      port: checked.port,
      compression: 'un',
    });
    expect(added.status).toBe(200);
    expect((await storeAs(checked, 'MODALITY', images, work)).code).toBe(0);
    expect((await storeAs(good, 'MODALITY', [flipped, truncated, intact], work)).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await checked?.stop();
    await good?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('finds nothing wrong in files as they were stored', async () => {
    await apiFetch(checked, 'POST', '/api/verification');
    const s = await valueWhen('the first run ended', state, (v) => !v.running && v.last !== undefined);
    expect(s.last).toMatchObject({ checked: 4, found: 0, recorded: 0, complete: true });
    expect(s.problems).toEqual([]);
    expect(await metric('pacs_storage_problems')).toBe(0);
    expect(await metric('pacs_last_verification_timestamp_seconds')).toBeGreaterThan(0);
  });

  it('finds a flipped byte, a truncated file and a missing one, and audits each', async () => {
    const file = await fileOf(checked, flipped.sopUid);
    const bytes = await readFile(file);
    bytes[bytes.length - 100]! ^= 0x01;
    await writeFile(file, bytes);
    const short = await fileOf(checked, truncated.sopUid);
    await truncate(short, (await readFile(short)).length - 10);
    await unlink(await fileOf(checked, onlyHere.sopUid));
    const before = (await state()).lastCompleteAt;
    await apiFetch(checked, 'POST', '/api/verification');
    const s = await valueWhen('the second run ended', state, (v) => !v.running && v.lastCompleteAt !== before);
    expect(s.last).toMatchObject({ checked: 4, found: 3, complete: true });
    const bySop = new Map(s.problems.map((p) => [p.sopInstanceUid, p]));
    expect(bySop.get(flipped.sopUid)).toMatchObject({
      problem: 'checksum',
      state: 'damaged',
      studyInstanceUid: studyUid,
    });
    expect(bySop.get(truncated.sopUid)).toMatchObject({ problem: 'size', state: 'damaged' });
    expect(bySop.get(onlyHere.sopUid)).toMatchObject({ problem: 'missing', state: 'damaged' });
    expect(bySop.has(intact.sopUid)).toBe(false);
    await valueWhen(
      'three problems audited',
      () => audited('storage-damaged'),
      (n) => n === 3,
    );
    expect(await metric('pacs_storage_problems')).toBe(3);
  });

  it('repairs what another node has, marks what none has, and reads the copies back', async () => {
    const repaired = await apiFetch(checked, 'POST', '/api/verification/repair', {});
    expect(repaired.status).toBe(200);
    const s = await valueWhen(
      'both copies arrived and the third was marked',
      state,
      (v) => v.problems.filter((p) => p.state === 'repaired' || p.state === 'unrepairable').length === 3,
    );
    const bySop = new Map(s.problems.map((p) => [p.sopInstanceUid, p]));
    expect(bySop.get(flipped.sopUid)?.state).toBe('repaired');
    expect(bySop.get(truncated.sopUid)?.state).toBe('repaired');
    expect(bySop.get(onlyHere.sopUid)).toMatchObject({ state: 'unrepairable' });
    expect(bySop.get(onlyHere.sopUid)?.detail).toContain('GOODPACS: does not have it');
    for (const img of [flipped, truncated]) {
      expect(
        (await dataSet(await fileOf(checked, img.sopUid))).equals(await dataSet(await fileOf(good, img.sopUid))),
      ).toBe(true);
    }
    await valueWhen(
      'two repairs audited',
      () => audited('storage-repaired'),
      (n) => n === 2,
    );
    expect(await metric('pacs_storage_problems')).toBe(1);
    // A run afterwards finds the repaired files as they were stored.
    const before = s.lastCompleteAt;
    await apiFetch(checked, 'POST', '/api/verification');
    const after = await valueWhen('the third run ended', state, (v) => !v.running && v.lastCompleteAt !== before);
    expect(after.last).toMatchObject({ checked: 4, found: 1 });
  });
});
