/**
 * A scale bar for the viewport: the longest round length (1, 2, 5 × a power of ten, in mm) that fits in `maxPx` screen
 * pixels, given the pixel spacing (mm per image pixel) and the viewport's scale (screen pixels per image pixel).
 */
export function scaleBar(mmPerPixel: number, scale: number, maxPx: number): { px: number; label: string } | undefined {
  if (!(mmPerPixel > 0) || !(scale > 0) || !(maxPx > 0)) return undefined;
  const mmPerScreenPx = mmPerPixel / scale;
  const maxMm = maxPx * mmPerScreenPx;
  let best = 0;
  for (let power = -2; power <= 4; power++) {
    for (const m of [1, 2, 5]) {
      const mm = m * 10 ** power;
      if (mm <= maxMm) best = Math.max(best, mm);
    }
  }
  if (!best) return undefined;
  const text = best >= 10 ? `${best / 10} cm` : `${Number(best.toPrecision(3))} mm`;
  return { px: Math.round(best / mmPerScreenPx), label: text };
}
