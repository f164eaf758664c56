import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState } from 'react';
import type { FindAnswer } from '../../../main/api/contract.ts';
import type { Viewport } from 'cornerstone-core';
import {
  cornerstone,
  cornerstoneTools,
  setUpCornerstone,
  VIEWER_MODULE,
  type ViewerFacts,
} from './cornerstone-setup.ts';
import { autoWindow, isUsableWindow, type WindowedImage } from './auto-window.ts';
import { seriesImages, type ViewerImage, type ViewerSeries } from './study-images.ts';
import { REPORT_MODALITIES } from './report-modalities.ts';
import { ReportView } from './ReportView.tsx';
import { CornerOverlays, type ViewState } from './CornerOverlays.tsx';
import { MEASURE_TOOLS, type LeftTool } from './presets.ts';
import { cineFramesPerSecond } from './cine-rate.ts';
import { date, personName } from '../format.ts';
import { JUST_OPENED } from './sync.ts';
import { t } from '../i18n.ts';
import { askText } from '../ask-text.tsx';

/**
 * One viewport of the viewer's layout: a series as a stack (cornerstone, images by WADO-URI) with its tools, overlays
 * and cine, or a report series as text. The viewer drives it through `PaneApi` (keyboard, toolbar, synchronization).
 */

const BUTTON = { left: 1, right: 2, middle: 4 };

export interface PaneContent {
  studyUid: string;
  series: ViewerSeries;
}

export interface PaneApi {
  element(): HTMLDivElement | null;
  step(delta: number): void;
  goTo(where: 'first' | 'last'): void;
  invert(): void;
  reset(): void;
  setWindow(ww: number, wc: number): void;
  toggleCine(): void;
  setTool(tool: LeftTool): void;
  playing(): boolean;
}

export interface PaneStatus {
  playing: boolean;
  /** The rate the object asks for (frames per second), before the speed factor. */
  baseFps: number;
  sopInstanceUid: string;
  imageId: string;
}

/** Blank the canvas: after an error nothing of an earlier image (perhaps of another patient) stays on screen. */
function blank(el: HTMLElement): void {
  const canvas = el.querySelector('canvas');
  const ctx = canvas?.getContext('2d');
  if (canvas && ctx) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
}

/** The words of whatever a loader rejected with (an Error, an XHR, a string). */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    const e = error as { message?: string; error?: unknown; request?: { status?: number; statusText?: string } };
    if (e.message) return e.message;
    if (e.request?.status) return `the server answered ${e.request.status} ${e.request.statusText ?? ''}`.trim();
    if (e.error) return reasonOf(e.error);
  }
  return typeof error === 'string' ? error : t('unknown error');
}

interface Props {
  content: PaneContent | undefined;
  study: FindAnswer | undefined;
  active: boolean;
  overlays: boolean;
  speed: number;
  onActivate(): void;
  onStatus(status: PaneStatus): void;
  /** A measurement was made, moved or deleted in this viewport. */
  onMeasured(): void;
  /** Each series shown: its images (the viewer restores their saved measurements, and knows their study). */
  onImages(studyUid: string, images: ViewerImage[]): void;
  /** The pane's element is ready (or gone): the viewer adds it to its synchronizers. */
  onElement(el: HTMLDivElement | null): void;
}

export const ViewportPane = forwardRef<PaneApi, Props>(function ViewportPane(
  { content, study, active, overlays, speed, onActivate, onStatus, onElement, onMeasured, onImages },
  ref,
) {
  const element = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<ViewState>({
    index: 0,
    total: 0,
    ww: 0,
    wc: 0,
    zoom: 1,
    imageId: '',
    fps: 0,
    width: 0,
  });
  const [error, setError] = useState('');
  const [images, setImages] = useState<ViewerImage[]>([]);
  const [reports, setReports] = useState<string[]>([]);
  const [playing, setPlaying] = useState(false);
  const [baseFps, setBaseFps] = useState(10);
  const frames = useRef<number[]>([]);
  const handlers = useRef({ onStatus, onElement, onMeasured, onImages });
  handlers.current = { onStatus, onElement, onMeasured, onImages };
  const showError = useCallback((why: string) => {
    setError(why);
    if (element.current) blank(element.current);
  }, []);

  // cornerstone on the element, with its tools; the overlays follow each rendering.
  useEffect(() => {
    const el = element.current!;
    setUpCornerstone();
    cornerstone.enable(el);
    for (const tool of [
      cornerstoneTools.WwwcTool,
      cornerstoneTools.PanTool,
      cornerstoneTools.ZoomTool,
      cornerstoneTools.StackScrollTool,
      cornerstoneTools.StackScrollMouseWheelTool,
      cornerstoneTools.LengthTool,
      cornerstoneTools.AngleTool,
      cornerstoneTools.CobbAngleTool,
      cornerstoneTools.EllipticalRoiTool,
      cornerstoneTools.RectangleRoiTool,
      cornerstoneTools.ProbeTool,
      cornerstoneTools.EraserTool,
    ]) {
      cornerstoneTools.addToolForElement(el, tool);
    }
    // The arrow's text asked for in the page (cornerstone-tools would use window.prompt, which Electron lacks).
    cornerstoneTools.addToolForElement(el, cornerstoneTools.ArrowAnnotateTool, {
      configuration: {
        getTextCallback: (done: (text: string | null) => void) => void askText(t('Text of the arrow:')).then(done),
        changeTextCallback: (
          data: { text?: string },
          _event: unknown,
          done: (text: string | null | undefined) => void,
        ) => void askText(t('Text of the arrow:'), { value: data.text ?? '' }).then((text) => done(text ?? data.text)),
      },
    });
    cornerstoneTools.setToolActiveForElement(el, 'Pan', { mouseButtonMask: BUTTON.middle });
    cornerstoneTools.setToolActiveForElement(el, 'Zoom', { mouseButtonMask: BUTTON.right });
    cornerstoneTools.setToolActiveForElement(el, 'Wwwc', { mouseButtonMask: BUTTON.left });
    cornerstoneTools.setToolActiveForElement(el, 'StackScrollMouseWheel', {});
    // Measurements stay visible (passive) whatever tool the left button has.
    for (const [id] of MEASURE_TOOLS) if (id !== 'Eraser') cornerstoneTools.setToolPassiveForElement(el, id);
    const onRendered = (e: Event) => {
      const { viewport, image } = (e as CustomEvent<{ viewport: Viewport; image: { imageId: string } }>).detail;
      // The synchronizers have seen this rendering too: from the next one on, this viewport leads again (sync.ts).
      if (el.dataset[JUST_OPENED])
        requestAnimationFrame(() => {
          delete el.dataset[JUST_OPENED];
        });
      const stack = cornerstoneTools.getToolState(el, 'stack')?.data[0];
      setState((s) => ({
        ...s,
        index: stack?.currentImageIdIndex ?? 0,
        total: stack?.imageIds.length ?? 0,
        ww: viewport.voi.windowWidth,
        wc: viewport.voi.windowCenter,
        zoom: viewport.scale,
        imageId: image?.imageId ?? '',
        width: el.clientWidth,
      }));
    };
    el.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
    // Each new image is fitted to the viewport unless the user zoomed or panned the one before: a stack whose images
    // differ in size (a 3x3 localizer before 512x512 slices) would otherwise keep the first one's scale.
    let fitted: { rows: number; columns: number; scale: number; x: number; y: number } | undefined;
    const onNewImage = (e: Event) => {
      const { image, viewport } = (
        e as CustomEvent<{
          image: WindowedImage & { rows: number; columns: number; imageId: string };
          viewport: Viewport;
        }>
      ).detail;
      if (!isUsableWindow(viewport.voi)) cornerstone.setViewport(el, { voi: autoWindow(image) });
      const untouched =
        !fitted ||
        (viewport.scale === fitted.scale && viewport.translation.x === fitted.x && viewport.translation.y === fitted.y);
      if (fitted && untouched && (image.rows !== fitted.rows || image.columns !== fitted.columns))
        cornerstone.fitToWindow(el);
      const now = cornerstone.getViewport(el);
      if (untouched && now)
        fitted = {
          rows: image.rows,
          columns: image.columns,
          scale: now.scale,
          x: now.translation.x,
          y: now.translation.y,
        };
      frames.current.push(performance.now());
      setError('');
    };
    el.addEventListener(cornerstone.EVENTS.NEW_IMAGE, onNewImage);
    const onLoadFailed = (e: Event) => {
      const { imageId, error: why } = (e as CustomEvent<{ imageId: string; error: unknown }>).detail;
      const stack = cornerstoneTools.getToolState(el, 'stack')?.data[0];
      // Only the image the user is looking at: a failed prefetch of another one is said when it is scrolled to.
      if (stack && stack.imageIds[stack.currentImageIdIndex] === imageId)
        showError(t('Image {n} cannot be shown: {why}', { n: stack.currentImageIdIndex + 1, why: reasonOf(why) }));
    };
    cornerstone.events.addEventListener(cornerstone.EVENTS.IMAGE_LOAD_FAILED, onLoadFailed);
    // Ctrl + wheel zooms (the wheel alone scrolls the stack).
    const onWheel = (e: WheelEvent) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      const v = cornerstone.getViewport(el);
      if (v)
        cornerstone.setViewport(el, {
          scale: Math.min(Math.max(v.scale * (e.deltaY < 0 ? 1.15 : 1 / 1.15), 0.05), 40),
        });
    };
    el.addEventListener('wheel', onWheel, { capture: true, passive: false });
    const onMeasurement = () => handlers.current.onMeasured();
    const measurementEvents = [
      cornerstoneTools.EVENTS.MEASUREMENT_COMPLETED,
      cornerstoneTools.EVENTS.MEASUREMENT_MODIFIED,
      cornerstoneTools.EVENTS.MEASUREMENT_REMOVED,
    ];
    for (const name of measurementEvents) el.addEventListener(name, onMeasurement);
    const resized = new ResizeObserver(() => cornerstone.resize(el));
    resized.observe(el);
    handlers.current.onElement(el);
    return () => {
      handlers.current.onElement(null);
      for (const name of measurementEvents) el.removeEventListener(name, onMeasurement);
      cornerstoneTools.stopClip(el);
      el.removeEventListener('wheel', onWheel, { capture: true });
      el.removeEventListener(cornerstone.EVENTS.NEW_IMAGE, onNewImage);
      cornerstone.events.removeEventListener(cornerstone.EVENTS.IMAGE_LOAD_FAILED, onLoadFailed);
      el.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
      resized.disconnect();
      cornerstoneTools.stackPrefetch.disable(el);
      cornerstone.disable(el);
    };
  }, [showError]);

  const isReport = !!content && REPORT_MODALITIES.has(content.series.modality);

  // Show a series: its first image, and the whole series as the stack to scroll; a report series as text.
  useEffect(() => {
    const el = element.current!;
    cornerstoneTools.stopClip(el);
    setPlaying(false);
    if (!content) return;
    let live = true;
    setError('');
    setReports([]);
    (async () => {
      const list = await seriesImages(content.studyUid, content.series.uid);
      if (!list.length) throw new Error(t('This series has no images.'));
      if (isReport) {
        if (!live) return;
        cornerstoneTools.stackPrefetch.disable(el);
        blank(el);
        setReports([...new Set(list.map((i) => i.sopInstanceUid))]);
        return;
      }
      const image = await cornerstone.loadAndCacheImage(list[0]!.imageId);
      if (!live) return;
      handlers.current.onImages(content.studyUid, list);
      cornerstoneTools.stackPrefetch.disable(el);
      cornerstoneTools.clearToolState(el, 'stack');
      cornerstoneTools.addStackStateManager(el, ['stack', 'playClip']);
      cornerstoneTools.addToolState(el, 'stack', { currentImageIdIndex: 0, imageIds: list.map((i) => i.imageId) });
      setImages(list);
      setBaseFps(cineFramesPerSecond((cornerstone.metaData.get(VIEWER_MODULE, list[0]!.imageId) as ViewerFacts) ?? {}));
      // A series just opened moves no other viewport, and takes its own window (sync.ts).
      el.dataset[JUST_OPENED] = 'yes';
      cornerstone.displayImage(el, image, cornerstone.getDefaultViewportForImage(el, image));
      // Load the rest of the series in the background, nearest images first, so scrolling does not wait.
      cornerstoneTools.stackPrefetch.enable(el);
    })().catch((e: unknown) => {
      if (live) showError(t('The image cannot be shown: {why}', { why: reasonOf(e) }));
    });
    return () => {
      live = false;
    };
  }, [content, isReport, showError]);

  // Cine: the rate the object asks for times the speed chosen; the rate reached is measured from the images shown.
  useEffect(() => {
    const el = element.current!;
    if (!playing) {
      cornerstoneTools.stopClip(el);
      setState((s) => ({ ...s, fps: 0 }));
      return;
    }
    frames.current = [];
    cornerstoneTools.playClip(el, baseFps * speed);
    const timer = setInterval(() => {
      const now = performance.now();
      frames.current = frames.current.filter((t) => now - t < 2000);
      const span =
        frames.current.length > 1 ? (frames.current[frames.current.length - 1]! - frames.current[0]!) / 1000 : 0;
      setState((s) => ({ ...s, fps: span > 0 ? (frames.current.length - 1) / span : 0 }));
    }, 500);
    return () => {
      clearInterval(timer);
      cornerstoneTools.stopClip(el);
    };
  }, [playing, baseFps, speed]);

  const current = reports.length ? reports[0]! : (images[state.index]?.sopInstanceUid ?? '');
  useEffect(() => {
    handlers.current.onStatus({ playing, baseFps, sopInstanceUid: current, imageId: state.imageId });
  }, [playing, baseFps, current, state.imageId]);

  useImperativeHandle(
    ref,
    () => ({
      element: () => element.current,
      step: (delta) => {
        const el = element.current!;
        const stack = cornerstoneTools.getToolState(el, 'stack')?.data[0];
        if (!stack) return;
        const next = Math.min(Math.max(stack.currentImageIdIndex + delta, 0), stack.imageIds.length - 1);
        if (next !== stack.currentImageIdIndex) cornerstoneTools.importInternal('util/scrollToIndex')(el, next);
      },
      goTo: (where) => {
        const el = element.current!;
        const stack = cornerstoneTools.getToolState(el, 'stack')?.data[0];
        if (stack)
          cornerstoneTools.importInternal('util/scrollToIndex')(el, where === 'first' ? 0 : stack.imageIds.length - 1);
      },
      invert: () => {
        const el = element.current!;
        const v = cornerstone.getViewport(el);
        if (v) cornerstone.setViewport(el, { invert: !v.invert });
      },
      reset: () => cornerstone.reset(element.current!),
      setWindow: (ww, wc) => cornerstone.setViewport(element.current!, { voi: { windowWidth: ww, windowCenter: wc } }),
      toggleCine: () => setPlaying((p) => !p && images.length > 1),
      setTool: (tool) => {
        const el = element.current!;
        cornerstoneTools.setToolActiveForElement(el, tool, { mouseButtonMask: BUTTON.left });
        // Zoom and pan keep their own buttons when another tool takes the left one.
        if (tool !== 'Pan') cornerstoneTools.setToolActiveForElement(el, 'Pan', { mouseButtonMask: BUTTON.middle });
        if (tool !== 'Zoom') cornerstoneTools.setToolActiveForElement(el, 'Zoom', { mouseButtonMask: BUTTON.right });
        for (const [id] of MEASURE_TOOLS)
          if (id !== tool && id !== 'Eraser') cornerstoneTools.setToolPassiveForElement(el, id);
      },
      playing: () => playing,
    }),
    [images.length, playing],
  );

  return (
    <div className={`pane ${active ? 'active' : ''}`} onMouseDownCapture={onActivate}>
      <div
        className="viewport"
        ref={element}
        tabIndex={0}
        data-image-index={state.index}
        data-playing={playing ? 'yes' : 'no'}
        data-series={content?.series.uid ?? ''}
        onContextMenu={(e) => e.preventDefault()}
        onFocus={onActivate}
      >
        <CornerOverlays state={state} study={study} series={content?.series} visible={overlays} />
        {error && (
          <div className="viewport-message" role="alert">
            {error}
          </div>
        )}
        {!content && (
          <div className="viewport-message empty-pane">{t('Choose a series or a prior study for this viewport.')}</div>
        )}
      </div>
      {/* Beside the viewport, not in it: the viewport's scroll and drag tools never reach the report. */}
      {reports.length > 0 && (
        <div className="report-panel">
          {study && (
            <p className="report-patient">
              {personName(study.PatientName ?? '')} · {study.PatientID} · {date(study.StudyDate ?? '')}
            </p>
          )}
          {reports.map((uid) => (
            <ReportView key={uid} sopInstanceUid={uid} />
          ))}
        </div>
      )}
    </div>
  );
});
