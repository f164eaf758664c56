import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { INDEX_ENGINES } from '../helpers/index-engines.ts';

/** The pairs newuids keeps for olduids (migration 14) behave the same on every index engine. */
describe.each(INDEX_ENGINES)('the UID pairs on the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ index, dispose } = await engine.open('uidmap'));
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('keeps each stage apart, ignores a pair kept twice, and finds the old UIDs of new ones in large batches', async () => {
    const store = index.uidMapStore();
    const pairs = Array.from({ length: 450 }, (_, i) => ({ stage: '', newUid: `2.25.${i}`, oldUid: `1.2.${i}` }));
    await store.remember(pairs);
    await store.remember([pairs[0]!, { stage: 'trial', newUid: '2.25.0', oldUid: '9.9' }]);
    const found = await store.oldUids(
      '',
      pairs.map((p) => p.newUid),
    );
    expect(found.size).toBe(450);
    expect(found.get('2.25.449')).toBe('1.2.449');
    expect([...(await store.oldUids('trial', ['2.25.0', '2.25.1']))]).toEqual([['2.25.0', '9.9']]);
  });
});
