import { describe, expect, it } from 'vitest';
import { NodeRightsMap } from '../../main/config/node-rights.ts';
import { rightsFor } from '../../main/archive/node-access.ts';
import type { ConfigErrors } from '../../main/config/config-error.ts';
import { MPPS_SOP_CLASS, QrSopClass, STORAGE_COMMITMENT_SOP_CLASS, StorageSopClass } from '../../common/uids.ts';

describe('noderights.map', () => {
  it('reads rights, destinations, the host check and a default line; refuses bad lines with their numbers', () => {
    const map = new NodeRightsMap(
      'noderights.map',
      '# comment\nCT1 store,mpps - host\nWS* query,retrieve self,VIEWER\n*  query\n',
    );
    expect(map.of('CT1')).toMatchObject({ rights: ['store', 'mpps'], retrieveTo: [], checkHost: true });
    expect(map.of('WS2')).toMatchObject({ rights: ['query', 'retrieve'], retrieveTo: ['self', 'VIEWER'] });
    expect(map.of('ANYONE').rights).toEqual(['query']);
    expect(map.mayRetrieveTo('WS2', 'ws2')).toBe(true);
    expect(map.mayRetrieveTo('WS2', 'VIEWER')).toBe(true);
    expect(map.mayRetrieveTo('WS2', 'OTHER')).toBe(false);
    expect(new NodeRightsMap('f', '').of('X').rights).toHaveLength(6);
    try {
      new NodeRightsMap('noderights.map', 'A fly\nB store * maybe\nC\n');
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigErrors).errors.map((e) => [e.line, e.reason])).toEqual([
        [1, '"fly" is not a right (store, query, retrieve, worklist, commit, mpps, all or -)'],
        [2, 'the last column is "host" (check the caller\'s address) or "-", not "maybe"'],
        [3, 'a line is: AE  RIGHTS  [RETRIEVE-TO]  [host]'],
      ]);
    }
  });

  it('writes a new file with a header, keeps comments and order, and removes a line', () => {
    const fresh = new NodeRightsMap('f', '');
    fresh.set('CT1', { rights: ['store'], retrieveTo: '*', checkHost: true });
    expect(fresh.toString()).toMatch(/^# What each node[^\n]*\n# AE[^\n]*\n\nCT1\s+store\s+\*\s+host\n$/);
    const kept = new NodeRightsMap('f', '# mine\nA all\nB query\n');
    kept.set('A', { rights: [], retrieveTo: [], checkHost: false });
    kept.set('B', undefined);
    expect(kept.toString()).toMatch(/^# mine\nA\s+-\s+-\s+-\n$/);
  });

  it('names the right each SOP class needs', () => {
    expect(rightsFor(StorageSopClass.CtImage, false)).toEqual(['store']);
    expect(rightsFor(StorageSopClass.CtImage, true)).toEqual(['retrieve', 'store']);
    expect(rightsFor(QrSopClass.StudyRootFind, false)).toEqual(['query']);
    expect(rightsFor(QrSopClass.StudyRootMove, false)).toEqual(['retrieve']);
    expect(rightsFor(QrSopClass.PatientRootGet, false)).toEqual(['retrieve']);
    expect(rightsFor(QrSopClass.ModalityWorklistFind, false)).toEqual(['worklist']);
    expect(rightsFor(STORAGE_COMMITMENT_SOP_CLASS, false)).toEqual(['commit']);
    expect(rightsFor(MPPS_SOP_CLASS, false)).toEqual(['mpps']);
  });
});
