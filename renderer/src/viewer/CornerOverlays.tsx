import type { FindAnswer } from '../../../main/api/contract.ts';
import { date, personName } from '../format.ts';
import { cornerstone, VIEWER_MODULE, type ViewerFacts } from './cornerstone-setup.ts';
import { orientationLabels } from './orientation.ts';
import { scaleBar } from './scale-bar.ts';
import type { ViewerSeries } from './study-images.ts';
import { locale, t } from '../i18n.ts';

/** What a viewport shows of the image on screen, as peers show it: four corners, orientation markers, a scale bar. */
export interface ViewState {
  index: number;
  total: number;
  ww: number;
  wc: number;
  zoom: number;
  imageId: string;
  /** Frames per second reached while cine plays (0 when it does not). */
  fps: number;
  width: number;
}

/** A measure as a reader wants it: no grouping, and as many decimals as it has (1.25 mm stays 1.25; 0.42 Gy too). */
const num = (n: number | undefined, digits = 2) =>
  n === undefined ? '' : n.toLocaleString(locale(), { useGrouping: false, maximumFractionDigits: digits });
/** A window's width or level: whole numbers for CT's hundreds, decimals where the values are small (an RT Dose in Gy). */
const level = (n: number) => num(n, Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 1 ? 1 : 3);

export function CornerOverlays({
  state,
  study,
  series,
  visible,
}: {
  state: ViewState;
  study: FindAnswer | undefined;
  series: ViewerSeries | undefined;
  visible: boolean;
}) {
  const facts = state.imageId
    ? (cornerstone.metaData.get(VIEWER_MODULE, state.imageId) as ViewerFacts | undefined)
    : undefined;
  const plane = state.imageId
    ? (cornerstone.metaData.get('imagePlaneModule', state.imageId) as
        | { rowCosines?: number[]; columnCosines?: number[]; rowPixelSpacing?: number }
        | undefined)
    : undefined;
  const edges = orientationLabels(plane?.rowCosines ?? undefined, plane?.columnCosines ?? undefined);
  const bar = plane?.rowPixelSpacing
    ? scaleBar(plane.rowPixelSpacing, state.zoom, Math.max(40, state.width / 4))
    : undefined;
  // The state line stays even with the overlays off: what the user does to the image (window, zoom) stays visible.
  const stateLine = (
    <div className="overlay bottom-left" data-testid="viewport-state">
      {visible && facts && (facts.sliceLocation !== undefined || facts.sliceThickness !== undefined) && (
        <>
          {facts.sliceLocation !== undefined && t('Loc {mm} mm', { mm: num(facts.sliceLocation) })}
          {facts.sliceThickness !== undefined && ` · ${t('Thick {mm} mm', { mm: num(facts.sliceThickness) })}`}
          <br />
        </>
      )}
      {t('Image {n}/{total} · W {ww} L {wc} · Zoom {zoom}', {
        n: String(state.total ? state.index + 1 : 0),
        total: String(state.total),
        ww: level(state.ww),
        wc: level(state.wc),
        zoom: num(state.zoom),
      })}
    </div>
  );
  if (!visible) return stateLine;
  // Text burned into the pixels sits in the corners: the patient and study corners give way to it.
  const burned = facts?.burnedIn ?? false;
  return (
    <>
      {!burned && study && (
        <div className="overlay top-left" data-corner="patient">
          {personName(study.PatientName ?? '')}
          <br />
          {study.PatientID}
          {study.PatientBirthDate ? ` · ${date(study.PatientBirthDate)}` : ''}
          {study.PatientSex ? ` · ${study.PatientSex}` : ''}
        </div>
      )}
      {!burned && (
        <div className="overlay top-right" data-corner="study">
          {study && (
            <>
              {date(study.StudyDate ?? '')} · {study.StudyDescription}
              <br />
            </>
          )}
          {series && (
            <>
              {t('Se {n}', { n: series.number })}
              {series.description || facts?.seriesDescription
                ? ` · ${series.description || facts?.seriesDescription}`
                : ''}
              <br />
            </>
          )}
          {facts?.instanceNumber !== undefined && (
            <>
              {t('Im {n}', { n: facts.instanceNumber })}
              {facts.numberOfFrames > 1
                ? ` · ${t('{n, plural, one {# frame} other {# frames}}', { n: facts.numberOfFrames })}`
                : ''}
            </>
          )}
        </div>
      )}
      {stateLine}
      <div className="overlay bottom-right" data-corner="image">
        {state.fps > 0 && (
          <span data-testid="cine-fps">
            {t('{n} fps', { n: state.fps.toFixed(0) })}
            <br />
          </span>
        )}
        {facts?.imagerSpacing && (
          <span
            title={t(
              'Imager Pixel Spacing: measured at the detector, not corrected for geometric magnification (PS3.3 10.7.1.1)',
            )}
          >
            {t('Lengths at detector')}
            <br />
          </span>
        )}
        {bar && (
          <span className="scale-bar" data-testid="scale-bar" style={{ width: `${bar.px}px` }}>
            {bar.label}
          </span>
        )}
      </div>
      {edges && (
        <>
          <div className="orientation left" data-testid="orientation-left">
            {edges.left}
          </div>
          <div className="orientation right">{edges.right}</div>
          <div className="orientation top">{edges.top}</div>
          <div className="orientation bottom">{edges.bottom}</div>
        </>
      )}
    </>
  );
}
