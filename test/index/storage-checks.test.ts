import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { StorageVerifier } from '../../main/archive/storage-verification.ts';
import { KeyedLock } from '../../main/util/keyed-lock.ts';
import { Logger } from '../../main/util/log.ts';
import { INDEX_ENGINES, testHeader } from '../helpers/index-engines.ts';

/**
 * VerifyStorage's judgement on every index engine (migration 16): a checksum not known is recorded from the file, an
 * object stored anew while it was being read is not called damaged, a changed file is, and a file put back by hand ends
 * its problem.
 */
describe.each(INDEX_ENGINES)('verification of stored files on the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  let dir: string;
  const locks = new KeyedLock();
  let verifier: StorageVerifier;
  const found: string[] = [];
  const never = new AbortController().signal;

  const store = async (n: number, content: Buffer, withChecksum: boolean) => {
    const relativePath = `obj${n}.dcm`;
    await writeFile(path.join(dir, relativePath), content);
    await index.storeInstance({
      header: testHeader({}, n),
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      location: { device: 0, relativePath },
      size: content.length,
      callingAe: 'MOD',
      checksum: withChecksum ? crc32(content) : undefined,
    });
  };

  beforeAll(async () => {
    ({ index, dispose } = await engine.open('verify'));
    dir = await mkdtemp(path.join(tmpdir(), 'pacs-verify-index-'));
    verifier = new StorageVerifier({
      checks: index.storageCheckStore(),
      path: (l) => path.join(dir, l.relativePath),
      locks,
      found: (p) => found.push(`${p.sopInstanceUid} ${p.problem}`),
      log: new Logger('error').child('verify'),
    });
    await store(1, Buffer.from('first object'), true);
    await store(2, Buffer.from('written by an edit'), false);
    await store(3, Buffer.from('third object'), true);
  });
  afterAll(async () => {
    await dispose?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('records a checksum it did not know, and then holds the file to it', async () => {
    const first = await verifier.run(0, never);
    expect(first).toMatchObject({ checked: 3, found: 0, recorded: 1, complete: true, resumeAfter: 0 });
    expect((await index.storageCheckStore().object('1.2.3.2'))?.checksum).toBe(
      crc32(Buffer.from('written by an edit')),
    );
    expect(await verifier.run(0, never)).toMatchObject({ checked: 3, found: 0, recorded: 0 });
  });

  it('does not call an object damaged that was stored anew while it was read', async () => {
    const checks = index.storageCheckStore();
    const before = (await checks.object('1.2.3.3'))!;
    // The new copy's file is written; its row follows under the object's lock, as the ingest does it.
    const copy = Buffer.from('third object, sent again');
    await writeFile(path.join(dir, 'obj3.dcm'), copy);
    let checking!: ReturnType<StorageVerifier['check']>;
    await locks.run('1.2.3.3', async () => {
      checking = verifier.check(before);
      await new Promise((r) => setImmediate(r));
      await index.storeInstance({
        header: testHeader({}, 3),
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        location: before.location,
        size: copy.length,
        callingAe: 'MOD',
        checksum: crc32(copy),
      });
    });
    expect(await checking).toBe('ok');
    expect(found).toEqual([]);
  });

  it('finds a changed file, and ends the problem once the file is put back', async () => {
    const file = path.join(dir, 'obj1.dcm');
    const good = await readFile(file);
    await writeFile(file, Buffer.from('first objecT'));
    expect(await verifier.run(0, never)).toMatchObject({ found: 1 });
    expect(found).toEqual(['1.2.3.1 checksum']);
    const [problem] = await index.storageCheckStore().problems();
    expect(problem).toMatchObject({ sopInstanceUid: '1.2.3.1', state: 'damaged', studyInstanceUid: '1.1' });
    expect(await index.storageCheckStore().openCount()).toBe(1);
    await writeFile(file, good);
    expect(await verifier.run(0, never)).toMatchObject({ found: 0 });
    expect((await index.storageCheckStore().problems())[0]?.state).toBe('repaired');
    expect(await index.storageCheckStore().openCount()).toBe(0);
  });

  it('stops when asked and says where the next run goes on', async () => {
    const stop = new AbortController();
    stop.abort();
    expect(await verifier.run(0, stop.signal)).toMatchObject({ checked: 0, complete: false, resumeAfter: 0 });
    const rows = await index.storageCheckStore().objectsAfter(0, 10);
    const rest = await verifier.run(rows[0]!.id, never);
    expect(rest).toMatchObject({ checked: 2, complete: true });
  });
});
