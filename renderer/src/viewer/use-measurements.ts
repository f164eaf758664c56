import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AnnotationDto, PresentationStateSummary } from '../../../main/api/contract.ts';
import { api } from '../api.ts';
import { cornerstone, cornerstoneTools } from './cornerstone-setup.ts';
import { toAnnotations, toToolData, type ToolState } from './measurements.ts';
import type { ViewerImage } from './study-images.ts';
import { useUnsavedGuard } from '../hooks.ts';
import { t } from '../i18n.ts';

/**
 * The viewer's measurements across its viewports: the newest saved presentation state of each study shown is drawn on
 * its images as they are shown; what the user measures is saved as a new presentation state of each study, on request.
 * `dirty` says there is something unsaved (leaving asks first).
 */
export function useMeasurements() {
  const [dirty, setDirty] = useState(false);
  const [saved, setSaved] = useState<PresentationStateSummary | undefined>();
  const [error, setError] = useState('');
  /** Each study's saved annotations (loaded once), and the image ids of the images shown, by study. */
  const loaded = useRef(new Map<string, Promise<AnnotationDto[]>>());
  const imagesOf = useRef(new Map<string, Set<string>>());
  const restored = useRef(new Set<string>());
  const manager = cornerstoneTools.globalImageIdSpecificToolStateManager;

  const annotationsOf = useCallback((studyUid: string) => {
    let p = loaded.current.get(studyUid);
    if (!p) {
      p = api(ENDPOINTS.annotations, { params: [studyUid] }).then(
        (r) => r.annotations,
        (e: Error) => {
          setError(e.message);
          return [];
        },
      );
      loaded.current.set(studyUid, p);
    }
    return p;
  }, []);

  /** A viewport shows a series: its images' saved measurements are drawn (once per image). */
  const shown = useCallback(
    async (studyUid: string, images: ViewerImage[], element: HTMLElement | null) => {
      const ids = imagesOf.current.get(studyUid) ?? new Set<string>();
      imagesOf.current.set(studyUid, ids);
      for (const i of images) ids.add(i.imageId);
      const annotations = await annotationsOf(studyUid);
      const state = manager.saveToolState() as ToolState;
      let added = 0;
      for (const image of images) {
        if (restored.current.has(image.imageId)) continue;
        restored.current.add(image.imageId);
        const frame = /[?&]frame=(\d+)/.exec(image.imageId)?.[1];
        const mine = annotations.filter(
          (a) =>
            a.sopInstanceUid === image.sopInstanceUid &&
            (a.frame ?? 1) === (frame === undefined ? 1 : Number(frame) + 1),
        );
        for (const a of mine) {
          state[image.imageId] ??= {};
          const tools = state[image.imageId]!;
          tools[a.kind] ??= { data: [] };
          tools[a.kind]!.data.push(toToolData(a));
          added++;
        }
      }
      if (added) {
        manager.restoreToolState(state as never);
        if (element && cornerstone.getImage(element)) cornerstone.updateImage(element);
      }
    },
    [annotationsOf, manager],
  );

  const measured = useCallback(() => setDirty(true), []);

  /** Save each study's measurements (those of the images shown) as a new presentation state. */
  const save = useCallback(async () => {
    setError('');
    const state = manager.saveToolState() as ToolState;
    const hasSpacing = (imageId: string) =>
      !!(cornerstone.metaData.get('imagePlaneModule', imageId) as { rowPixelSpacing?: number } | undefined)
        ?.rowPixelSpacing;
    let last: PresentationStateSummary | undefined;
    for (const [studyUid, ids] of imagesOf.current) {
      const mine = Object.fromEntries(Object.entries(state).filter(([id]) => ids.has(id)));
      const annotations = toAnnotations(mine, hasSpacing);
      const before = await annotationsOf(studyUid);
      if (!annotations.length && !before.length) continue;
      last = await api(ENDPOINTS.saveAnnotations, { params: [studyUid], body: { annotations } });
      loaded.current.set(studyUid, Promise.resolve(annotations));
    }
    setSaved(last);
    setDirty(false);
  }, [annotationsOf, manager]);

  // Leaving the viewer (another screen, Esc, a reload) with unsaved measurements asks first.
  useUnsavedGuard(dirty, t('Leave the viewer without saving the measurements?'));

  // The tool state of this viewer's images is dropped when it closes (the next study starts clean).
  useEffect(
    () => () => {
      const state = manager.saveToolState() as ToolState;
      const mine = new Set([...imagesOf.current.values()].flatMap((s) => [...s]));
      manager.restoreToolState(Object.fromEntries(Object.entries(state).filter(([id]) => !mine.has(id))) as never);
    },
    [manager],
  );

  return { dirty, saved, error, shown, measured, save: () => save().catch((e: Error) => setError(e.message)) };
}
