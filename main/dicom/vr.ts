/** VRs whose explicit-VR element header has two reserved bytes and a 4-byte length (PS3.5 7.1.2, Table 7.1-1). */
export const LONG_VRS: ReadonlySet<string> = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'SV',
  'UC',
  'UN',
  'UR',
  'UT',
  'UV',
]);

/** VRs whose value is text (PS3.5 6.2): shown, matched and set as strings. */
export const TEXT_VRS: ReadonlySet<string> = new Set([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UI',
  'UR',
  'UT',
]);

/** Text VRs whose bytes the Specific Character Set decides (PS3.5 6.1.2.3); the others are ASCII. */
export const CHARSET_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);

/** Binary number VRs: each value's size and how it reads (little endian, as data sets are held in memory). */
export const NUMBER_VRS: Readonly<Record<string, [number, (b: Buffer, at: number) => number | bigint]>> = {
  US: [2, (b, at) => b.readUInt16LE(at)],
  SS: [2, (b, at) => b.readInt16LE(at)],
  UL: [4, (b, at) => b.readUInt32LE(at)],
  SL: [4, (b, at) => b.readInt32LE(at)],
  FL: [4, (b, at) => b.readFloatLE(at)],
  FD: [8, (b, at) => b.readDoubleLE(at)],
  SV: [8, (b, at) => b.readBigInt64LE(at)],
  UV: [8, (b, at) => b.readBigUInt64LE(at)],
};
