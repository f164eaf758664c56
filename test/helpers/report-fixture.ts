import { part10, uid, type Element, type MadeImage } from './fixtures.ts';
import { StorageSopClass } from '../../common/uids.ts';

/**
 * A CT radiation dose report (X-Ray Radiation Dose SR, TID 10011 in outline): the kind of structured report every
 * modern CT study carries, with a container, codes, a person's name, a date-time and numbers with UCUM units.
 */
export const XRAY_DOSE_SR = StorageSopClass.XRayRadiationDoseSr;

const code = (value: string, scheme: string, meaning: string): Element[] => [
  { tag: 0x00080100, vr: 'SH', value },
  { tag: 0x00080102, vr: 'SH', value: scheme },
  { tag: 0x00080104, vr: 'LO', value: meaning },
];
const concept = (value: string, meaning: string): Element => ({
  tag: 0x0040a043,
  vr: 'SQ',
  value: [code(value, 'DCM', meaning)],
});
const item = (relationship: string, type: string, name: Element, rest: Element[]): Element[] => [
  { tag: 0x0040a010, vr: 'CS', value: relationship },
  { tag: 0x0040a040, vr: 'CS', value: type },
  name,
  ...rest,
];
const num = (relationship: string, value: string, meaning: string, amount: string, unit: string, unitMeaning: string) =>
  item(relationship, 'NUM', concept(value, meaning), [
    {
      tag: 0x0040a300,
      vr: 'SQ',
      value: [
        [
          { tag: 0x004008ea, vr: 'SQ', value: [code(unit, 'UCUM', unitMeaning)] },
          { tag: 0x0040a30a, vr: 'DS', value: amount },
        ],
      ],
    },
  ]);

export function makeDoseReport(o: {
  studyUid: string;
  seriesUid?: string;
  patientId: string;
  patientName: string;
  dlp: string;
}): MadeImage {
  const sopUid = uid();
  const seriesUid = o.seriesUid ?? uid();
  const acquisition = item('CONTAINS', 'CONTAINER', concept('113819', 'CT Acquisition'), [
    { tag: 0x0040a050, vr: 'CS', value: 'SEPARATE' },
    {
      tag: 0x0040a730,
      vr: 'SQ',
      value: [
        item('CONTAINS', 'TEXT', concept('125203', 'Acquisition Protocol'), [
          { tag: 0x0040a160, vr: 'UT', value: 'Head routine' },
        ]),
        num('CONTAINS', '113830', 'Mean CTDIvol', '52.3', 'mGy', 'mGy'),
        num('CONTAINS', '113838', 'DLP', o.dlp, 'mGy.cm', 'mGy.cm'),
      ],
    },
  ]);
  const elements: Element[] = [
    { tag: 0x00080016, vr: 'UI', value: XRAY_DOSE_SR },
    { tag: 0x00080018, vr: 'UI', value: sopUid },
    { tag: 0x00080020, vr: 'DA', value: '20261125' },
    { tag: 0x00080060, vr: 'CS', value: 'SR' },
    { tag: 0x00100010, vr: 'PN', value: o.patientName },
    { tag: 0x00100020, vr: 'LO', value: o.patientId },
    { tag: 0x0020000d, vr: 'UI', value: o.studyUid },
    { tag: 0x0020000e, vr: 'UI', value: seriesUid },
    { tag: 0x00200011, vr: 'IS', value: '990' },
    { tag: 0x00200013, vr: 'IS', value: '1' },
    { tag: 0x0008103e, vr: 'LO', value: 'Dose Report' },
    { tag: 0x0040a491, vr: 'CS', value: 'COMPLETE' },
    { tag: 0x0040a493, vr: 'CS', value: 'UNVERIFIED' },
    ...item('', 'CONTAINER', concept('113701', 'X-Ray Radiation Dose Report'), [
      { tag: 0x0040a050, vr: 'CS', value: 'SEPARATE' },
      {
        tag: 0x0040a730,
        vr: 'SQ',
        value: [
          item('HAS CONCEPT MOD', 'CODE', concept('121058', 'Procedure reported'), [
            { tag: 0x0040a168, vr: 'SQ', value: [code('P5-08000', 'SRT', 'Computed Tomography X-Ray')] },
          ]),
          item('HAS OBS CONTEXT', 'PNAME', concept('113870', 'Person Name'), [
            { tag: 0x0040a123, vr: 'PN', value: 'Novak^Petr' },
          ]),
          item('HAS OBS CONTEXT', 'DATETIME', concept('113809', 'Start of X-Ray Irradiation'), [
            { tag: 0x0040a120, vr: 'DT', value: '20261125101500' },
          ]),
          num('CONTAINS', '113813', 'CT Dose Length Product Total', o.dlp, 'mGy.cm', 'mGy.cm'),
          acquisition,
        ],
      },
    ]).filter((e) => !(e.tag === 0x0040a010 && e.value === '')),
  ];
  return { bytes: part10(XRAY_DOSE_SR, sopUid, elements), sopUid, studyUid: o.studyUid, seriesUid };
}
