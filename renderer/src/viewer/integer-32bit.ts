import cornerstone, { type Image } from 'cornerstone-core';
import wadoLoader from 'cornerstone-wado-image-loader';

/**
 * The WADO-URI loader reads every 32-bit Pixel Data as 32-bit floats, so integer grids (an RT Dose's 32-bit unsigned
 * doses) come out as denormal numbers: a black image with window 0. Float data has its own element (7FE0,0008 Float
 * Pixel Data), so 32-bit Pixel Data (7FE0,0010) is integer (PS3.3 C.7.6.3.1.4). This loader wraps the WADO-URI one and
 * reads such frames as the integers they are, quantized to 16 bits for display (cornerstone sizes its lookup table by
 * the value range), with slope and intercept so that values on screen and the window stay in real units (Gy for an RT
 * Dose, through Dose Grid Scaling (3004,000E)).
 */

const DISPLAY_LEVELS = 65535;

function readAsIntegers(image: Image, signed: boolean, scaling: number): void {
  const floats = image.getPixelData();
  const raw = signed
    ? new Int32Array(floats.buffer, floats.byteOffset, floats.length)
    : new Uint32Array(floats.buffer, floats.byteOffset, floats.length);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max > min ? max - min : 1;
  const shown = new Uint16Array(raw.length);
  for (let i = 0; i < raw.length; i++) shown[i] = Math.round(((raw[i]! - min) * DISPLAY_LEVELS) / span);
  image.getPixelData = () => shown;
  image.minPixelValue = 0;
  image.maxPixelValue = max > min ? DISPLAY_LEVELS : 0;
  image.slope = (span * scaling) / DISPLAY_LEVELS;
  image.intercept = min * scaling;
  // The object's window, if any, was read against the float misreading: the full range instead.
  image.windowWidth = span * scaling;
  image.windowCenter = (min + span / 2) * scaling;
  image.sizeInBytes = shown.byteLength;
}

export function registerInteger32Loader(): void {
  const wadouri = wadoLoader.wadouri;
  cornerstone.registerImageLoader('wadouri', (imageId: string) => {
    const loading = wadouri.loadImage(imageId);
    const promise = loading.promise.then((loaded) => {
      const ds = wadouri.dataSetCacheManager.get(wadouri.parseImageId(imageId).url);
      if (ds?.uint16('x00280100') !== 32 || !ds.elements['x7fe00010'] || ds.elements['x7fe00008']) return loaded;
      readAsIntegers(
        loaded,
        ds.uint16('x00280103') === 1,
        ds.floatString('x3004000e') || ds.floatString('x00281053') || 1,
      );
      return loaded;
    });
    return { promise, cancelFn: loading.cancelFn };
  });
}
