import { useCallback, useEffect, useRef, useState } from 'react';
import { API_ROUTES, type FindAnswer, type HeaderRow } from '../../../main/api/contract.ts';
import { call } from '../api.ts';
import { ErrorText } from '../components.tsx';
import { date, personName } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { cornerstone, cornerstoneTools, setUpCornerstone } from '../viewer/cornerstone-setup.ts';
import { CT_PRESETS, LEFT_TOOLS, type LeftTool } from '../viewer/presets.ts';
import { seriesImages, studyInfo, studySeries, type ViewerImage } from '../viewer/study-images.ts';
import { Thumbnail } from '../viewer/Thumbnail.tsx';
import { REPORT_MODALITIES, ReportView } from '../viewer/ReportView.tsx';
import { autoWindow, isUsableWindow, type WindowedImage } from '../viewer/auto-window.ts';
import type { Viewport } from 'cornerstone-core';

/**
 * The viewer: a study's series as thumbnails, one stack in the viewport (cornerstone, images by WADO-URI), with scroll,
 * window/level and CT presets, zoom, pan, invert, reset, and the header of the image shown.
 */

const BUTTON = { left: 1, right: 2, middle: 4 };

interface Overlay { index: number; total: number; ww: number; wc: number; zoom: number }

/** Blank the canvas: after an error nothing of an earlier image (perhaps of another patient) stays on screen. */
function blank(el: HTMLElement): void {
  const canvas = el.querySelector('canvas');
  const ctx = canvas?.getContext('2d');
  if (canvas && ctx) { ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.fillStyle = '#000'; ctx.fillRect(0, 0, canvas.width, canvas.height); }
}

/**
 * The viewport: cornerstone and its tools on `element`. `onImageFailed` hears of an image of the stack that could not
 * be loaded (while scrolling or prefetching the one shown); `onImageShown` of each image displayed.
 */
function useViewport(element: React.RefObject<HTMLDivElement | null>, onImageFailed: (imageId: string, why: string) => void, onImageShown: () => void) {
  const [overlay, setOverlay] = useState<Overlay>({ index: 0, total: 0, ww: 0, wc: 0, zoom: 1 });
  const handlers = useRef({ onImageFailed, onImageShown });
  handlers.current = { onImageFailed, onImageShown };
  useEffect(() => {
    const el = element.current!;
    setUpCornerstone();
    cornerstone.enable(el);
    cornerstoneTools.addToolForElement(el, cornerstoneTools.WwwcTool);
    cornerstoneTools.addToolForElement(el, cornerstoneTools.PanTool);
    cornerstoneTools.addToolForElement(el, cornerstoneTools.ZoomTool);
    cornerstoneTools.addToolForElement(el, cornerstoneTools.StackScrollTool);
    cornerstoneTools.addToolForElement(el, cornerstoneTools.StackScrollMouseWheelTool);
    cornerstoneTools.setToolActiveForElement(el, 'Pan', { mouseButtonMask: BUTTON.middle });
    cornerstoneTools.setToolActiveForElement(el, 'Zoom', { mouseButtonMask: BUTTON.right });
    cornerstoneTools.setToolActiveForElement(el, 'Wwwc', { mouseButtonMask: BUTTON.left });
    cornerstoneTools.setToolActiveForElement(el, 'StackScrollMouseWheel', {});
    const onRendered = (e: Event) => {
      const { viewport } = (e as CustomEvent<{ viewport: { voi: { windowWidth: number; windowCenter: number }; scale: number } }>).detail;
      const stack = cornerstoneTools.getToolState(el, 'stack')?.data[0];
      setOverlay({ index: stack?.currentImageIdIndex ?? 0, total: stack?.imageIds.length ?? 0, ww: viewport.voi.windowWidth, wc: viewport.voi.windowCenter, zoom: viewport.scale });
    };
    el.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
    // Each new image is fitted to the viewport unless the user zoomed or panned the one before: a stack whose images
    // differ in size (a 3x3 localizer before 512x512 slices) would otherwise keep the first one's scale.
    let fitted: { rows: number; columns: number; scale: number; x: number; y: number } | undefined;
    const onNewImage = (e: Event) => {
      const { image, viewport } = (e as CustomEvent<{ image: WindowedImage & { rows: number; columns: number }; viewport: Viewport }>).detail;
      if (!isUsableWindow(viewport.voi)) cornerstone.setViewport(el, { voi: autoWindow(image) });
      const untouched = !fitted || (viewport.scale === fitted.scale && viewport.translation.x === fitted.x && viewport.translation.y === fitted.y);
      if (fitted && untouched && (image.rows !== fitted.rows || image.columns !== fitted.columns)) cornerstone.fitToWindow(el);
      const now = cornerstone.getViewport(el);
      if (untouched && now) fitted = { rows: image.rows, columns: image.columns, scale: now.scale, x: now.translation.x, y: now.translation.y };
      handlers.current.onImageShown();
    };
    el.addEventListener(cornerstone.EVENTS.NEW_IMAGE, onNewImage);
    const onLoadFailed = (e: Event) => {
      const { imageId, error } = (e as CustomEvent<{ imageId: string; error: unknown }>).detail;
      handlers.current.onImageFailed(imageId, reasonOf(error));
    };
    cornerstone.events.addEventListener(cornerstone.EVENTS.IMAGE_LOAD_FAILED, onLoadFailed);
    // The canvas follows the element's size (window resized, header panel shown or hidden).
    const resized = new ResizeObserver(() => cornerstone.resize(el));
    resized.observe(el);
    return () => {
      el.removeEventListener(cornerstone.EVENTS.NEW_IMAGE, onNewImage);
      cornerstone.events.removeEventListener(cornerstone.EVENTS.IMAGE_LOAD_FAILED, onLoadFailed);
      el.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
      resized.disconnect();
      cornerstoneTools.stackPrefetch.disable(el);
      cornerstone.disable(el);
    };
  }, [element]);
  return overlay;
}

function HeaderPanel({ sopInstanceUid }: { sopInstanceUid: string }) {
  const header = useLoad(() => call<HeaderRow[]>('GET', API_ROUTES.objectHeader(sopInstanceUid)), [sopInstanceUid]);
  const [filter, setFilter] = useState('');
  const f = filter.toLowerCase();
  const rows = (header.data ?? []).filter((r) => !f || r.keyword.toLowerCase().includes(f) || r.tag.toLowerCase().includes(f) || r.value.toLowerCase().includes(f));
  return (
    <aside className="header-panel">
      <input placeholder="Filter (name, tag, value)" value={filter} onChange={(e) => setFilter(e.target.value)} />
      <ErrorText error={header.error} />
      <table className="dicom-header">
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td className="tag">({r.tag})</td>
              <td className="vr">{r.vr}</td>
              <td style={{ paddingLeft: `${r.depth * 12}px` }}>{r.keyword || <i>private</i>}</td>
              <td className="value">{r.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}

/** The words of whatever a loader rejected with (an Error, an XHR, a string). */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    const e = error as { message?: string; error?: unknown; request?: { status?: number; statusText?: string } };
    if (e.message) return e.message;
    if (e.request?.status) return `the server answered ${e.request.status} ${e.request.statusText ?? ''}`.trim();
    if (e.error) return reasonOf(e.error);
  }
  return typeof error === 'string' ? error : 'unknown error';
}

/** The viewer of one study; App mounts a new one for each study, so nothing of one study survives into the next. */
export function Viewer({ studyUid }: { studyUid: string }) {
  const element = useRef<HTMLDivElement>(null);
  const [error, setError] = useState('');
  const showError = useCallback((why: string) => {
    setError(why);
    if (element.current) blank(element.current);
  }, []);
  const overlay = useViewport(element, (imageId, why) => {
    const el = element.current;
    const stack = el ? cornerstoneTools.getToolState(el, 'stack')?.data[0] : undefined;
    // Only the image the user is looking at: a failed prefetch of another one is said when it is scrolled to.
    if (stack && stack.imageIds[stack.currentImageIdIndex] === imageId) showError(`Image ${stack.currentImageIdIndex + 1} cannot be shown: ${why}`);
  }, () => setError(''));
  const study = useLoad<FindAnswer | undefined>(() => studyInfo(studyUid), [studyUid]);
  const series = useLoad(() => studySeries(studyUid), [studyUid]);
  const [seriesUid, setSeriesUid] = useState('');
  const [images, setImages] = useState<ViewerImage[]>([]);
  /** The objects of a report series on show (read as text), instead of images. */
  const [reports, setReports] = useState<string[]>([]);
  const [tool, setTool] = useState<LeftTool>('Wwwc');
  const [showHeader, setShowHeader] = useState(false);
  const current = reports.length ? reports[0] : images[overlay.index]?.sopInstanceUid;

  useEffect(() => { if (!seriesUid && series.data?.[0]) setSeriesUid(series.data[0].uid); }, [series.data, seriesUid]);
  const isReport = REPORT_MODALITIES.has(series.data?.find((x) => x.uid === seriesUid)?.modality ?? '');

  // Show a series: its first image, and the whole series as the stack to scroll.
  useEffect(() => {
    if (!seriesUid) return;
    const el = element.current!;
    let live = true;
    setError('');
    setReports([]);
    (async () => {
      const list = await seriesImages(studyUid, seriesUid);
      if (!list.length) throw new Error('This series has no images.');
      // A report series is read as text (the report panel); nothing of the last image stays under it.
      if (isReport) {
        if (!live) return;
        cornerstoneTools.stackPrefetch.disable(el);
        blank(el);
        setReports([...new Set(list.map((i) => i.sopInstanceUid))]);
        return;
      }
      const image = await cornerstone.loadAndCacheImage(list[0]!.imageId);
      if (!live) return;
      cornerstoneTools.stackPrefetch.disable(el);
      cornerstoneTools.clearToolState(el, 'stack');
      cornerstoneTools.addStackStateManager(el, ['stack']);
      cornerstoneTools.addToolState(el, 'stack', { currentImageIdIndex: 0, imageIds: list.map((i) => i.imageId) });
      setImages(list);
      cornerstone.displayImage(el, image, cornerstone.getDefaultViewportForImage(el, image));
      // Load the rest of the series in the background, nearest images first, so scrolling does not wait.
      cornerstoneTools.stackPrefetch.enable(el);
    })().catch((e: unknown) => { if (live) showError(`The image cannot be shown: ${reasonOf(e)}`); });
    return () => { live = false; };
  }, [studyUid, seriesUid, isReport, showError]);

  const chooseTool = (t: LeftTool) => {
    const el = element.current!;
    cornerstoneTools.setToolActiveForElement(el, t, { mouseButtonMask: BUTTON.left });
    // Zoom and pan keep their own buttons when another tool takes the left one.
    if (t !== 'Pan') cornerstoneTools.setToolActiveForElement(el, 'Pan', { mouseButtonMask: BUTTON.middle });
    if (t !== 'Zoom') cornerstoneTools.setToolActiveForElement(el, 'Zoom', { mouseButtonMask: BUTTON.right });
    setTool(t);
  };
  const setWindow = (ww: number, wc: number) => {
    const el = element.current!;
    cornerstone.setViewport(el, { voi: { windowWidth: ww, windowCenter: wc } });
  };
  const step = useCallback((delta: number) => {
    const el = element.current!;
    const stack = cornerstoneTools.getToolState(el, 'stack')?.data[0];
    if (!stack) return;
    const next = Math.min(Math.max(stack.currentImageIdIndex + delta, 0), stack.imageIds.length - 1);
    if (next !== stack.currentImageIdIndex) cornerstoneTools.importInternal('util/scrollToIndex')(el, next);
  }, []);
  const s = study.data;

  return (
    <div className="viewer">
      <aside className="series-list">
        <ErrorText error={series.error} />
        {(series.data ?? []).map((x) => (
          <button type="button" key={x.uid} className={`series ${x.uid === seriesUid ? 'active' : ''}`} onClick={() => setSeriesUid(x.uid)} title={x.description}>
            {REPORT_MODALITIES.has(x.modality) ? <div className="thumb report-thumb">Report</div> : <Thumbnail studyUid={studyUid} seriesUid={x.uid} />}
            <span>{x.modality} {x.number ? `#${x.number}` : ''} · {x.count} img<br />{x.description}</span>
          </button>
        ))}
      </aside>
      <div className="viewport-column">
        <div className="toolbar">
          {LEFT_TOOLS.map(([id, label]) => (
            <button type="button" key={id} className={tool === id ? 'active' : ''} onClick={() => chooseTool(id)}>{label}</button>
          ))}
          <span className="sep" />
          {CT_PRESETS.map(([name, ww, wc]) => (
            <button type="button" key={name} title={`W ${ww} / L ${wc}`} onClick={() => setWindow(ww, wc)}>{name}</button>
          ))}
          <span className="sep" />
          <button type="button" onClick={() => { const el = element.current!; const v = cornerstone.getViewport(el); if (v) cornerstone.setViewport(el, { invert: !v.invert }); }}>Invert</button>
          <button type="button" onClick={() => cornerstone.reset(element.current!)}>Reset</button>
          <button type="button" className={showHeader ? 'active' : ''} onClick={() => setShowHeader(!showHeader)}>Header</button>
        </div>
        <div className="viewport-area">
        <div
          className="viewport"
          ref={element}
          tabIndex={0}
          data-image-index={overlay.index}
          onContextMenu={(e) => e.preventDefault()}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' || e.key === 'PageDown') { e.preventDefault(); step(1); }
            if (e.key === 'ArrowUp' || e.key === 'PageUp') { e.preventDefault(); step(-1); }
          }}
        >
          <div className="overlay top-left">
            {s && <>{personName(s.PatientName ?? '')}<br />{s.PatientID} · {date(s.StudyDate ?? '')}<br />{s.StudyDescription}</>}
          </div>
          {error && <div className="viewport-message" role="alert">{error}</div>}
          <div className="overlay bottom-left" data-testid="viewport-state">
            Image {overlay.total ? overlay.index + 1 : 0}/{overlay.total} · W {Math.round(overlay.ww)} L {Math.round(overlay.wc)} · Zoom {overlay.zoom.toFixed(2)}
          </div>
        </div>
        {/* Beside the viewport, not in it: the viewport's scroll and drag tools never reach the report. */}
        {reports.length > 0 && (
          <div className="report-panel">
            {s && <p className="report-patient">{personName(s.PatientName ?? '')} · {s.PatientID} · {date(s.StudyDate ?? '')}</p>}
            {reports.map((uid) => <ReportView key={uid} sopInstanceUid={uid} />)}
          </div>
        )}
        </div>
      </div>
      {showHeader && current && <HeaderPanel sopInstanceUid={current} />}
    </div>
  );
}
