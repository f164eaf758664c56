/** A segment of an HL7 v2 message from its fields by number, as the HL7 tables number them. */
export function seg(name: string, fields: Record<number, string>): string {
  const n = Math.max(...Object.keys(fields).map(Number));
  return [name, ...Array.from({ length: n }, (_, i) => fields[i + 1] ?? '')].join('|');
}
