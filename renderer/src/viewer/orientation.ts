/**
 * Orientation markers (R/L/A/P/H/F) for the edges of an image, from Image Orientation (Patient) (0020,0037): the row
 * and column direction cosines in the patient's LPS axes (PS3.3 C.7.6.2.1.1: +x towards the patient's left, +y
 * posterior, +z head). The right edge shows where the row direction points, the bottom where the column direction
 * points; the opposite edges the opposite. An oblique direction gets up to three letters, the strongest first (as
 * RadiAnt and OHIF write it); an axis contributing under 0.25 is left out.
 */

export interface EdgeLabels {
  left: string;
  right: string;
  top: string;
  bottom: string;
}

function label(v: readonly number[]): string {
  const axes: [number, string, string][] = [
    [v[0] ?? 0, 'L', 'R'],
    [v[1] ?? 0, 'P', 'A'],
    [v[2] ?? 0, 'H', 'F'],
  ];
  return axes
    .filter(([c]) => Math.abs(c) >= 0.25)
    .sort((a, b) => Math.abs(b[0]) - Math.abs(a[0]))
    .map(([c, plus, minus]) => (c > 0 ? plus : minus))
    .join('');
}

export function orientationLabels(
  row: readonly number[] | undefined,
  column: readonly number[] | undefined,
): EdgeLabels | undefined {
  if (!row || !column || row.length < 3 || column.length < 3 || [...row, ...column].some((c) => !Number.isFinite(c)))
    return undefined;
  const negate = (v: readonly number[]) => v.map((c) => -c);
  return { right: label(row), left: label(negate(row)), bottom: label(column), top: label(negate(column)) };
}
