import cornerstone from 'cornerstone-core';
import cornerstoneTools from 'cornerstone-tools';
import cornerstoneMath from 'cornerstone-math';
import Hammer from 'hammerjs';
import dicomParser from 'dicom-parser';
// The loader decodes (RLE, JPEG baseline and lossless, JPEG-LS, JPEG 2000) in Web Workers: the page's CSP allows
// workers only from this origin, so the loader starts them from assets/index.worker.bundle.min.worker.js (copied there
// by vite.config.ts), whose own CSP lets the WebAssembly codecs' glue code run; the page itself never evaluates code.
import wadoLoader from 'cornerstone-wado-image-loader';
import { currentToken } from '../api.ts';
import { registerInteger32Loader } from './integer-32bit.ts';

/** Wire cornerstone, its tools and the WADO-URI loader together, once. */

let ready = false;

export function setUpCornerstone(): void {
  if (ready) return;
  ready = true;
  wadoLoader.external.cornerstone = cornerstone;
  wadoLoader.external.dicomParser = dicomParser;
  tolerateMissingMetadata();
  registerInteger32Loader();
  wadoLoader.configure({
    useWebWorkers: true,
    // The API wants the install's secret; WADO requests carry it as a header, never in the image id.
    beforeSend: (xhr) => { if (currentToken()) xhr.setRequestHeader('Authorization', `Bearer ${currentToken()}`); },
    decodeConfig: { convertFloatPixelDataToInt: false, use16BitDataType: true },
  });
  startDecoderWorkers();
  cornerstoneTools.external.cornerstone = cornerstone;
  cornerstoneTools.external.cornerstoneMath = cornerstoneMath;
  cornerstoneTools.external.Hammer = Hammer;
  cornerstoneTools.init({ showSVGCursors: false, globalToolSyncEnabled: false });
}

/**
 * The loader's metadata provider throws on objects without some attributes (no Modality (0008,0060) and no Image
 * Orientation: scanned documents, some secondary captures), and the throw makes the whole image fail to display.
 * A module it cannot describe is one it does not have: the wrapped provider answers undefined instead.
 */
function tolerateMissingMetadata(): void {
  const provider = wadoLoader.wadouri.metaData.metaDataProvider;
  cornerstone.metaData.removeProvider(provider);
  cornerstone.metaData.addProvider((type, imageId) => {
    try {
      return provider(type, imageId);
    } catch {
      return undefined;
    }
  });
}

/**
 * Start the loader's decoder workers now, from their file. The loader first tries a blob: and then a data: URL of an
 * inlined copy, which the page's CSP blocks — but only after the constructor has returned, so the loader would never
 * fall back to the file. While the workers start, a Worker constructor that refuses those URLs makes it fall back.
 */
function startDecoderWorkers(): void {
  const NativeWorker = window.Worker;
  window.Worker = class FileOnlyWorker extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      if (/^(blob|data):/.test(String(url))) throw new DOMException('decoder workers start from their file', 'SecurityError');
      super(url, options);
    }
  };
  try {
    wadoLoader.webWorkerManager.initialize({
      maxWebWorkers: Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4)),
      startWebWorkersOnDemand: false,
      taskConfiguration: { decodeTask: { initializeCodecsOnStartup: false, strict: false } },
    });
  } finally {
    window.Worker = NativeWorker;
  }
}

export { cornerstone, cornerstoneTools };
