import { describe, expect, it } from 'vitest';
import { parsePrefetchRule, parsePrefetchRules, startWithin } from '../../common/prefetch-rules.ts';
import { fetchPriors, type PriorSearchDependencies } from '../../main/workflow/prior-search.ts';

/** PrefetchRules as an admin writes them, the reasons for what is refused, and when a windowed rule may start. */
describe('prefetch rules', () => {
  it('reads every word of a rule, with the defaults', () => {
    expect(
      parsePrefetchRule('on order from PACS,web newest 2 modality ct,MR bodypart chest years 5 between 19:00-06:00'),
    ).toEqual({
      text: 'on order from PACS,web newest 2 modality ct,MR bodypart chest years 5 between 19:00-06:00',
      trigger: 'order',
      sources: ['PACS', 'WEB'],
      newest: 2,
      modalities: ['CT', 'MR'],
      bodyParts: ['CHEST'],
      maxAgeDays: 5 * 365,
      window: [19 * 60, 6 * 60],
    });
    expect(parsePrefetchRule('on arrival from PACS')).toMatchObject({ newest: 3, modalities: [], maxAgeDays: 0 });
    expect(parsePrefetchRules(' on mpps from A ; on order from B days 30 ;')).toHaveLength(2);
    expect(parsePrefetchRules('')).toEqual([]);
  });

  it('refuses what it cannot honour, saying which rule and why', () => {
    expect(() => parsePrefetchRules('on order from A; on exam from B')).toThrow(
      'rule 2 ("on exam from B"): "on" is followed by order, mpps, arrival, not "exam"',
    );
    expect(() => parsePrefetchRule('on order')).toThrow('a rule says where priors come from: from AE[,AE]');
    expect(() => parsePrefetchRule('from A')).toThrow('a rule says when it applies');
    expect(() => parsePrefetchRule('on order from A newest 0')).toThrow('"newest" needs a whole number from 1 to 50');
    expect(() => parsePrefetchRule('on order from A between 25:00-06:00')).toThrow('"25:00" is not a time of day');
    expect(() => parsePrefetchRule('on order from A between 06:00-06:00')).toThrow('is empty');
    expect(() => parsePrefetchRule('on order from A priority high')).toThrow(
      '"priority" is not a word of a prefetch rule',
    );
  });

  it('starts at once inside its window, else at the window’s next start (a window through midnight too)', () => {
    const night = parsePrefetchRule('on order from A between 19:00-06:00');
    const day = parsePrefetchRule('on order from A between 09:30-11:00');
    const at = (h: number, m = 0, d = 8) => new Date(2026, 11, d, h, m, 0, 0);
    expect(startWithin(night, at(12))).toEqual(at(19));
    expect(startWithin(night, at(20))).toEqual(at(20));
    expect(startWithin(night, at(3))).toEqual(at(3));
    expect(startWithin(night, at(6))).toEqual(at(19));
    expect(startWithin(day, at(8))).toEqual(at(9, 30));
    expect(startWithin(day, at(11))).toEqual(at(9, 30, 9));
    expect(startWithin(parsePrefetchRule('on order from A'), at(15))).toEqual(at(15));
  });
});

describe('choosing priors', () => {
  const studies: Record<string, Record<string, string>[]> = {
    A: [
      { PatientID: 'NEW', StudyInstanceUID: '1', StudyDate: '20250101', ModalitiesInStudy: 'CT' },
      { PatientID: 'OLD', StudyInstanceUID: '2', StudyDate: '20240101', ModalitiesInStudy: 'CT\\SR' },
      { PatientID: 'NEW', StudyInstanceUID: '3', StudyDate: '20250601', ModalitiesInStudy: 'MR' },
      { PatientID: 'NEW', StudyInstanceUID: 'NOW', StudyDate: '20261208', ModalitiesInStudy: 'CT' },
    ],
    B: [
      { PatientID: 'NEW', StudyInstanceUID: '1', StudyDate: '20250101', ModalitiesInStudy: 'CT' },
      { PatientID: 'NEW', StudyInstanceUID: '4', StudyDate: '20230101', ModalitiesInStudy: '' },
    ],
  };
  const series: Record<string, Record<string, string>[]> = { '4': [{ Modality: 'CT', BodyPartExamined: 'HEAD' }] };
  const asked: string[] = [];
  const deps = (down: string[] = []): PriorSearchDependencies => ({
    search: async (ae, level, keys) => {
      if (down.includes(ae)) throw new Error('association refused');
      if (level === 'SERIES') return series[keys.StudyInstanceUID!] ?? [];
      return (studies[ae] ?? []).filter((s) => s.PatientID === keys.PatientID);
    },
    here: async (uids) => new Set(uids.filter((u) => u === '2')),
    retrieve: async (ae, uid) => {
      asked.push(`${ae}:${uid}`);
      return asked.length;
    },
  });

  it('asks under every ID, leaves out the current study, takes the newest of the modality, and fetches what is not here', async () => {
    const rule = parsePrefetchRule('on order from A,B newest 3 modality CT');
    const r = await fetchPriors(
      rule,
      { patientIds: ['NEW', 'OLD'], currentStudyUid: 'NOW' },
      deps(),
      new Date(2026, 11, 8),
    );
    expect(r.chosen.map((c) => [c.ae, c.studyUid, c.here ?? false])).toEqual([
      ['A', '1', false],
      ['A', '2', true],
      ['B', '4', false],
    ]);
    expect(asked).toEqual(['A:1', 'B:4']);
    expect(r.errors).toEqual([]);
  });

  it('keeps to the age and the body part, and goes on when a node is down', async () => {
    asked.length = 0;
    const rule = parsePrefetchRule('on order from A,B newest 3 bodypart HEAD years 5');
    const r = await fetchPriors(
      rule,
      { patientIds: ['NEW'], currentStudyUid: 'NOW' },
      deps(['A']),
      new Date(2026, 11, 8),
    );
    expect(r.chosen.map((c) => c.studyUid)).toEqual(['4']);
    expect(r.errors).toEqual(['A: association refused']);
    const young = parsePrefetchRule('on order from B newest 3 years 3');
    expect(
      (
        await fetchPriors(young, { patientIds: ['NEW'], currentStudyUid: '' }, deps(), new Date(2026, 11, 8))
      ).chosen.map((c) => c.studyUid),
    ).toEqual(['1']);
  });
});
