/** Values of HL7 v2 data types as DICOM writes them. */

/** PN from an HL7 XPN or XCN name starting at `family` (family^given^middle^suffix^prefix -> family^given^middle^prefix^suffix). */
export function personName(parts: string[], family = 0): string {
  const [f = '', g = '', m = '', suffix = '', prefix = ''] = parts.slice(family);
  return [f, g, m, prefix, suffix].join('^').replace(/\^+$/, '');
}

/** YYYYMMDD and HHMMSS from an HL7 TS/DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+ZZZZ]). */
export function dateTime(ts: string): { date: string; time: string } {
  const digits = ts.replace(/[+-]\d{4}$/, '').replace(/\..*$/, '');
  return { date: digits.length >= 8 ? digits.slice(0, 8) : '', time: digits.slice(8, 14) };
}
