import cornerstone from 'cornerstone-core';
import cornerstoneTools from 'cornerstone-tools';
import cornerstoneMath from 'cornerstone-math';
import Hammer from 'hammerjs';
import dicomParser from 'dicom-parser';
// The loader's bundle with its codecs (JPEG baseline/lossless, JPEG-LS, JPEG 2000, RLE) decoding in this thread:
// WebAssembly embedded in the script, so it works under the page's CSP ('wasm-unsafe-eval') with no worker files to serve.
import wadoLoader from 'cornerstone-wado-image-loader/dist/cornerstoneWADOImageLoaderNoWebWorkers.bundle.min.js';
import { currentToken } from '../api.ts';

/** Wire cornerstone, its tools and the WADO-URI loader together, once. */

let ready = false;

export function setUpCornerstone(): void {
  if (ready) return;
  ready = true;
  wadoLoader.external.cornerstone = cornerstone;
  wadoLoader.external.dicomParser = dicomParser;
  wadoLoader.configure({
    useWebWorkers: false,
    // The API wants the install's secret; WADO requests carry it as a header, never in the image id.
    beforeSend: (xhr) => xhr.setRequestHeader('Authorization', `Bearer ${currentToken()}`),
    decodeConfig: { convertFloatPixelDataToInt: false, use16BitDataType: true },
  });
  cornerstoneTools.external.cornerstone = cornerstone;
  cornerstoneTools.external.cornerstoneMath = cornerstoneMath;
  cornerstoneTools.external.Hammer = Hammer;
  cornerstoneTools.init({ showSVGCursors: false, globalToolSyncEnabled: false });
}

export { cornerstone, cornerstoneTools };
