import type { ViewerSeries } from './viewer-series.ts';
import { REPORT_MODALITIES } from './report-modalities.ts';

/**
 * The series a study opens with: the largest image series (most images, frames counted), not the lowest number
 * (which is often a localizer or a dose report); on a tie the lower number. A study of reports only opens its first.
 */
export function firstSeries(series: readonly ViewerSeries[]): ViewerSeries | undefined {
  const images = series.filter((s) => !REPORT_MODALITIES.has(s.modality));
  const size = (s: ViewerSeries) => Math.max(s.frames ?? 0, s.count);
  return (
    [...images].sort((a, b) => size(b) - size(a) || (Number(a.number) || 0) - (Number(b.number) || 0))[0] ?? series[0]
  );
}
