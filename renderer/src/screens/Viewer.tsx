import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FindAnswer } from '../../../main/api/contract.ts';
import { ErrorText } from '../components.tsx';
import { date } from '../format.ts';
import { go, useLoad } from '../hooks.ts';
import { LEFT_TOOLS, MEASURE_TOOLS, type LeftTool } from '../viewer/presets.ts';
import { studyInfo, studySeries, type ViewerSeries } from '../viewer/study-images.ts';
import { Thumbnail } from '../viewer/Thumbnail.tsx';
import { HIDDEN_MODALITIES, REPORT_MODALITIES } from '../viewer/report-modalities.ts';
import { HeaderPanel } from '../viewer/HeaderPanel.tsx';
import { ViewportPane, type PaneApi, type PaneContent, type PaneStatus } from '../viewer/ViewportPane.tsx';
import { firstSeries } from '../viewer/first-series.ts';
import { keyAction, LAYOUTS, PAGE_STEP, presetsFor, SHORTCUTS, type Layout } from '../viewer/keymap.ts';
import { patientStudies, seriesFrames } from '../viewer/priors.ts';
import { ViewportSync } from '../viewer/sync.ts';
import { useMeasurements } from '../viewer/use-measurements.ts';
import { useMay } from '../permissions.ts';
import { t } from '../i18n.ts';
import { MenuButton } from '../menu-button.tsx';

/**
 * The viewer: a study's series as thumbnails and the patient's prior studies beside them; one, two or four viewports
 * (each a stack with window/level, zoom, pan, measurements, overlays and cine); synchronized scrolling and windowing;
 * the keyboard as peers have it; the header of the image shown.
 */

const PANES: Record<Layout, number> = { '1x1': 1, '1x2': 2, '2x2': 4 };
const SPEEDS = [0.25, 0.5, 1, 2, 4];

async function seriesWithFrames(studyUid: string): Promise<ViewerSeries[]> {
  const [series, frames] = await Promise.all([studySeries(studyUid), seriesFrames(studyUid)]);
  return series.filter((s) => !HIDDEN_MODALITIES.has(s.modality)).map((s) => ({ ...s, frames: frames.get(s.uid) }));
}

function SeriesButton({
  studyUid,
  s,
  active,
  onOpen,
}: {
  studyUid: string;
  s: ViewerSeries;
  active: boolean;
  onOpen: () => void;
}) {
  const frames =
    (s.frames ?? 0) > s.count ? ` · ${t('{n, plural, one {# frame} other {# frames}}', { n: s.frames ?? 0 })}` : '';
  return (
    <button type="button" className={`series ${active ? 'active' : ''}`} onClick={onOpen} title={s.description}>
      {REPORT_MODALITIES.has(s.modality) ? (
        <div className="thumb report-thumb">{t('Report')}</div>
      ) : (
        <Thumbnail studyUid={studyUid} seriesUid={s.uid} />
      )}
      <span>
        {s.modality} {s.number ? `#${s.number}` : ''} · {t('{n} img', { n: s.count })}
        {frames}
        <br />
        {s.description}
      </span>
    </button>
  );
}

/** The viewer of one study; App mounts a new one for each study, so nothing of one study survives into the next. */
export function Viewer({ studyUid }: { studyUid: string }) {
  const study = useLoad<FindAnswer | undefined>(() => studyInfo(studyUid), [studyUid]);
  const series = useLoad(() => seriesWithFrames(studyUid), [studyUid]);
  const priors = useLoad(() => (study.data ? patientStudies(studyUid) : Promise.resolve([])), [study.data]);
  const [openPrior, setOpenPrior] = useState<{ uid: string; series: ViewerSeries[] } | undefined>();
  const [layout, setLayout] = useState<Layout>('1x1');
  const [panes, setPanes] = useState<(PaneContent | undefined)[]>([undefined, undefined, undefined, undefined]);
  const [activePane, setActivePane] = useState(0);
  const [tool, setTool] = useState<LeftTool>('Wwwc');
  const measuring = MEASURE_TOOLS.find(([id]) => id === tool);
  const [overlays, setOverlays] = useState(true);
  const [synced, setSynced] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [showHeader, setShowHeader] = useState(false);
  const [showKeys, setShowKeys] = useState(false);
  const [status, setStatus] = useState<PaneStatus[]>([]);
  const apis = useRef<(PaneApi | null)[]>([]);
  const elements = useRef<(HTMLDivElement | null)[]>([]);
  const sync = useMemo(() => new ViewportSync(), []);
  useEffect(() => () => sync.destroy(), [sync]);
  const count = PANES[layout];
  const measurements = useMeasurements();
  const mayEdit = useMay('edit');
  const studies = useRef(new Map<string, FindAnswer>());
  if (study.data) studies.current.set(studyUid, study.data);

  const open = useCallback((pane: number, content: PaneContent) => {
    setPanes((p) => p.map((x, i) => (i === pane ? content : x)));
    setActivePane(pane);
  }, []);

  // The study opens with its largest image series in the first viewport.
  useEffect(() => {
    const first = series.data && firstSeries(series.data);
    if (first && !panes[0]) open(0, { studyUid, series: first });
  }, [series.data, studyUid, panes, open]);

  useEffect(() => {
    sync.setElements(elements.current.slice(0, count).filter((e): e is HTMLDivElement => !!e));
    sync.enable(synced && count > 1);
  }, [sync, synced, count, panes]);

  useEffect(() => {
    apis.current[activePane]?.setTool(tool);
  }, [activePane, tool]);

  const api = () => apis.current[activePane];
  const activeContent = panes[activePane];
  const modality = activeContent?.series.modality ?? '';

  const openPriorStudy = async (prior: FindAnswer) => {
    const uid = prior.StudyInstanceUID!;
    studies.current.set(uid, { ...study.data, ...prior });
    const list = await seriesWithFrames(uid);
    setOpenPrior({ uid, series: list });
    const first = firstSeries(list);
    if (!first) return;
    // Beside the current study: a single viewport becomes two.
    const target = count === 1 ? 1 : (activePane + 1) % count;
    if (count === 1) setLayout('1x2');
    open(target, { studyUid: uid, series: first });
  };

  const onKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    // Typing goes to fields, a dialog keeps its keys, and a focused button takes Space and Enter as its click.
    if (target.closest?.('input, select, textarea, dialog') || document.querySelector('dialog[open]')) return;
    if (target.closest?.('button, a') && (e.key === ' ' || e.key === 'Enter')) return;
    const action = keyAction(e, modality);
    if (!action) return;
    e.preventDefault();
    const p = api();
    switch (action.kind) {
      case 'step':
        p?.step(action.delta);
        break;
      case 'first':
        p?.goTo('first');
        break;
      case 'last':
        p?.goTo('last');
        break;
      case 'cine':
        p?.toggleCine();
        break;
      case 'invert':
        p?.invert();
        break;
      case 'reset':
        p?.reset();
        break;
      case 'overlays':
        setOverlays((o) => !o);
        break;
      case 'back':
        go('studies');
        break;
      case 'preset':
        p?.setWindow(action.ww, action.wc);
        break;
      case 'layout':
        chooseLayout(action.layout);
        break;
    }
  };

  // The keys work as soon as the viewer opens, wherever the focus was left (the View button is gone by then).
  const latestKey = useRef(onKey);
  latestKey.current = onKey;
  useEffect(() => {
    const listener = (e: KeyboardEvent) => latestKey.current(e);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);

  // A layout with fewer viewports keeps an active one among those shown: the tools and keys act on what is seen (in the
  // same render as the layout, so there is never a moment with none active).
  function chooseLayout(l: Layout): void {
    setLayout(l);
    if (activePane >= PANES[l]) setActivePane(0);
  }

  const s = study.data;
  const current = status[activePane];
  const presets = presetsFor(modality);

  // A link to a study this archive does not hold (deleted since, or mistyped) says so instead of an empty viewer.
  if (!study.loading && !study.error && !s) {
    return (
      <div className="viewer-missing" role="alert">
        <p className="error">{t('This study is not in this archive (deleted, or the link is wrong).')}</p>
        <p>
          <a href="#/studies">{t('Back to the studies')}</a>
        </p>
      </div>
    );
  }

  return (
    <div className="viewer">
      <aside className="series-list">
        <ErrorText error={series.error} />
        {(series.data ?? []).map((x) => (
          <SeriesButton
            key={x.uid}
            studyUid={studyUid}
            s={x}
            active={activeContent?.series.uid === x.uid}
            onOpen={() => open(activePane, { studyUid, series: x })}
          />
        ))}
        <h3 className="priors-title">{t('Other studies of this patient')}</h3>
        {priors.data?.length === 0 && <p className="help">{t('None in this archive.')}</p>}
        <ul className="priors" aria-label={t('Other studies of this patient')}>
          {(priors.data ?? []).map((p) => (
            <li key={p.StudyInstanceUID}>
              <button
                type="button"
                className={openPrior?.uid === p.StudyInstanceUID ? 'active' : ''}
                onClick={() => void openPriorStudy(p)}
              >
                {date(p.StudyDate ?? '')} · {p.ModalitiesInStudy}
                <br />
                {p.StudyDescription} ({t('{n} img', { n: p.NumberOfStudyRelatedInstances ?? '' })})
              </button>
              {openPrior?.uid === p.StudyInstanceUID &&
                openPrior.series.map((x) => (
                  <SeriesButton
                    key={x.uid}
                    studyUid={p.StudyInstanceUID!}
                    s={x}
                    active={activeContent?.series.uid === x.uid}
                    onOpen={() => open(activePane, { studyUid: p.StudyInstanceUID!, series: x })}
                  />
                ))}
            </li>
          ))}
        </ul>
      </aside>
      <div className="viewport-column">
        <div className="toolbar" role="toolbar" aria-label={t('Viewer tools')}>
          {LEFT_TOOLS.map(([id, label]) => (
            <button
              type="button"
              key={id}
              className={tool === id ? 'active' : ''}
              aria-pressed={tool === id}
              onClick={() => setTool(id)}
            >
              {t(label)}
            </button>
          ))}
          <span className="sep" />
          {/* Measurements and presets each behind one button: the toolbar stays one row on a 1366-pixel screen. */}
          <MenuButton label={t('Measure')} active={!!measuring} title={measuring ? t(measuring[1]) : undefined}>
            {(close) =>
              MEASURE_TOOLS.map(([id, label]) => (
                <button
                  type="button"
                  key={id}
                  className={tool === id ? 'active' : ''}
                  aria-pressed={tool === id}
                  onClick={() => {
                    setTool(id);
                    close();
                  }}
                >
                  {t(label)}
                </button>
              ))
            }
          </MenuButton>
          {presets.length > 0 && (
            <MenuButton label={t('Presets')}>
              {(close) =>
                presets.map(([name, ww, wc], i) => (
                  <button
                    type="button"
                    key={name}
                    title={`W ${ww} / L ${wc}`}
                    onClick={() => {
                      api()?.setWindow(ww, wc);
                      close();
                    }}
                  >
                    {t(name)} <kbd>{i + 1}</kbd>
                  </button>
                ))
              }
            </MenuButton>
          )}
          <span className="sep" />
          <button type="button" onClick={() => api()?.invert()} title="I">
            {t('Invert')}
          </button>
          <button type="button" onClick={() => api()?.reset()} title="R">
            {t('Reset')}
          </button>
          <button
            type="button"
            className={overlays ? 'active' : ''}
            aria-pressed={overlays}
            onClick={() => setOverlays(!overlays)}
            title="O"
          >
            {t('Overlays')}
          </button>
          <span className="sep" />
          <button
            type="button"
            className={current?.playing ? 'active' : ''}
            aria-pressed={!!current?.playing}
            onClick={() => api()?.toggleCine()}
            title={`${current?.playing ? t('Pause') : t('Play')} (${t('Space')})`}
            aria-label={current?.playing ? t('Pause') : t('Play')}
          >
            <span aria-hidden="true">{current?.playing ? '❚❚' : '▶'}</span>
          </button>
          <label className="speed">
            <select
              aria-label={t('Cine speed')}
              title={t('Cine speed')}
              value={speed}
              onChange={(e) => setSpeed(Number(e.target.value))}
            >
              {SPEEDS.map((x) => (
                <option key={x} value={x}>
                  {x}×{current ? ` (${(current.baseFps * x).toFixed(0)} fps)` : ''}
                </option>
              ))}
            </select>
          </label>
          <span className="sep" />
          {LAYOUTS.map((l) => (
            <button
              type="button"
              key={l}
              className={layout === l ? 'active' : ''}
              aria-pressed={layout === l}
              aria-label={`Layout ${l}`}
              onClick={() => chooseLayout(l)}
            >
              {l}
            </button>
          ))}
          <button
            type="button"
            className={synced ? 'active' : ''}
            aria-pressed={synced}
            onClick={() => setSynced(!synced)}
            title={t(
              'Scroll and window/level the viewports together. Scroll them to the same anatomy first: a study of another frame of reference keeps that offset.',
            )}
          >
            {t('Sync')}
          </button>
          <span className="sep" />
          {mayEdit && (measurements.dirty || measurements.saved) && (
            <button
              type="button"
              className={measurements.dirty ? 'primary' : ''}
              disabled={!measurements.dirty}
              onClick={() => void measurements.save()}
              title={t('Keep the measurements in the archive (a presentation state other workstations show too)')}
            >
              {measurements.dirty
                ? t('Save measurements')
                : measurements.saved
                  ? t('Measurements saved')
                  : t('Measurements')}
            </button>
          )}
          <button type="button" className={showHeader ? 'active' : ''} onClick={() => setShowHeader(!showHeader)}>
            {t('Header')}
          </button>
          <button
            type="button"
            className={showKeys ? 'active' : ''}
            aria-expanded={showKeys}
            aria-label={t('Keys')}
            title={t('Keys')}
            onClick={() => setShowKeys(!showKeys)}
          >
            ?
          </button>
        </div>
        {measurements.error && (
          <p className="error" role="alert">
            {measurements.error}
          </p>
        )}
        {showKeys && (
          <table className="shortcuts" aria-label={t('Keyboard and mouse')}>
            <tbody>
              {SHORTCUTS.map(([k, what]) => (
                <tr key={k}>
                  <th scope="row">{t(k)}</th>
                  <td>{t(what, { n: PAGE_STEP })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className={`viewport-grid layout-${layout}`} data-layout={layout}>
          {[0, 1, 2, 3].slice(0, count).map((i) => (
            <ViewportPane
              key={i}
              ref={(a) => {
                apis.current[i] = a;
              }}
              content={panes[i]}
              study={panes[i] ? (studies.current.get(panes[i]!.studyUid) ?? s) : s}
              active={i === activePane}
              overlays={overlays}
              speed={speed}
              onActivate={() => setActivePane(i)}
              onStatus={(st) =>
                setStatus((all) => {
                  const next = [...all];
                  next[i] = st;
                  return next;
                })
              }
              onElement={(el) => {
                elements.current[i] = el;
              }}
              onMeasured={measurements.measured}
              onImages={(study, list) => void measurements.shown(study, list, elements.current[i] ?? null)}
            />
          ))}
        </div>
      </div>
      {showHeader && current?.sopInstanceUid && <HeaderPanel sopInstanceUid={current.sopInstanceUid} />}
    </div>
  );
}
