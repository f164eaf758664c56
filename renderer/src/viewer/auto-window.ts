import type { Image } from 'cornerstone-core';

/**
 * A window for an image whose own is unusable (width 0 or missing): a uniform image, or a 32-bit RT Dose grid for
 * which the loader reports no range. From the image's stored range after its modality LUT (slope and intercept), and
 * when that is empty too, from its pixels.
 */

export type WindowedImage = Pick<Image, 'minPixelValue' | 'maxPixelValue' | 'slope' | 'intercept' | 'getPixelData'>;

export function isUsableWindow(voi: { windowWidth: number; windowCenter: number } | undefined): boolean {
  return !!voi && Number.isFinite(voi.windowWidth) && Number.isFinite(voi.windowCenter) && voi.windowWidth > 0;
}

export function autoWindow(image: WindowedImage): { windowWidth: number; windowCenter: number } {
  let min = image.minPixelValue;
  let max = image.maxPixelValue;
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) {
    const pixels = image.getPixelData();
    min = Infinity;
    max = -Infinity;
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!Number.isFinite(min)) {
      min = 0;
      max = 0;
    }
  }
  const slope = image.slope ?? 1;
  const intercept = image.intercept ?? 0;
  const low = min * slope + intercept;
  const high = max * slope + intercept;
  // A uniform image gets a width of 1 centred a little below its value, so it shows as white rather than as nothing.
  return high > low
    ? { windowWidth: high - low, windowCenter: (high + low) / 2 }
    : { windowWidth: 1, windowCenter: low - 0.5 };
}
