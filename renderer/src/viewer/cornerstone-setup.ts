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
    beforeSend: (xhr) => {
      if (currentToken()) xhr.setRequestHeader('Authorization', `Bearer ${currentToken()}`);
    },
    decodeConfig: { convertFloatPixelDataToInt: false, use16BitDataType: true },
  });
  startDecoderWorkers();
  cornerstoneTools.external.cornerstone = cornerstone;
  cornerstoneTools.external.cornerstoneMath = cornerstoneMath;
  cornerstoneTools.external.Hammer = Hammer;
  cornerstoneTools.init({ showSVGCursors: false, globalToolSyncEnabled: false });
  // Measurements in yellow (green while being drawn), as peers draw them: they stand out on a grey image.
  cornerstoneTools.toolColors.setToolColor('rgb(255, 255, 0)');
  cornerstoneTools.toolColors.setActiveColor('rgb(0, 255, 0)');
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
      if (type === VIEWER_MODULE) return viewerFacts(imageId);
      const module = provider(type, imageId) as Record<string, unknown> | undefined;
      return type === 'imagePlaneModule' && module ? withImagerSpacing(module, imageId) : module;
    } catch {
      return undefined;
    }
  });
}

/** What the viewer's overlays and cine read of an image beyond the loader's modules (`cornerstone.metaData.get(VIEWER_MODULE, id)`). */
export const VIEWER_MODULE = 'pacsViewerModule';

export interface ViewerFacts {
  instanceNumber?: number;
  seriesDescription: string;
  modality: string;
  sliceThickness?: number;
  sliceLocation?: number;
  frameTime?: number;
  frameTimeVector?: number[];
  recommendedDisplayFrameRate?: number;
  cineRate?: number;
  numberOfFrames: number;
  /** Burned In Annotation (0028,0301) is YES: the pixels carry text of their own. */
  burnedIn: boolean;
  /** Lengths come from Imager Pixel Spacing (at the detector), not Pixel Spacing (PS3.3 10.7.1.1). */
  imagerSpacing: boolean;
}

function dataSetOf(imageId: string):
  | {
      string(tag: string): string | undefined;
      floatString(tag: string, i?: number): number | undefined;
      intString(tag: string): number | undefined;
    }
  | undefined {
  if (!imageId.startsWith('wadouri:')) return undefined;
  const { url } = wadoLoader.wadouri.parseImageId(imageId);
  return wadoLoader.wadouri.dataSetCacheManager.get(url);
}

function viewerFacts(imageId: string): ViewerFacts | undefined {
  const ds = dataSetOf(imageId);
  if (!ds) return undefined;
  const num = (tag: string) => {
    const v = ds.floatString(tag);
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  const vector = (ds.string('x00181065') ?? '')
    .split('\\')
    .map(Number)
    .filter((n) => Number.isFinite(n));
  return {
    instanceNumber: ds.intString('x00200013'),
    seriesDescription: ds.string('x0008103e') ?? '',
    modality: ds.string('x00080060') ?? '',
    sliceThickness: num('x00180050'),
    sliceLocation: num('x00201041'),
    frameTime: num('x00181063'),
    frameTimeVector: vector.length ? vector : undefined,
    recommendedDisplayFrameRate: num('x00082144'),
    cineRate: num('x00180040'),
    numberOfFrames: ds.intString('x00280008') ?? 1,
    burnedIn: (ds.string('x00280301') ?? '').toUpperCase() === 'YES',
    imagerSpacing: !ds.string('x00280030') && !!ds.string('x00181164'),
  };
}

/** Projection radiographs often carry only Imager Pixel Spacing: lengths are measured with it then, and the overlay says so. */
function withImagerSpacing(module: Record<string, unknown>, imageId: string): Record<string, unknown> {
  if (module.rowPixelSpacing) return module;
  const ds = dataSetOf(imageId);
  const row = ds?.floatString('x00181164', 0);
  const column = ds?.floatString('x00181164', 1);
  return row && column
    ? { ...module, pixelSpacing: [row, column], rowPixelSpacing: row, columnPixelSpacing: column }
    : module;
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
      if (/^(blob|data):/.test(String(url)))
        throw new DOMException('decoder workers start from their file', 'SecurityError');
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
