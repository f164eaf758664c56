import { objectPicture } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { Picture } from '../picture.tsx';
import { seriesImages } from './study-images.ts';
import { t } from '../i18n.ts';

/** A series' first image, rendered small by the core (WADO-URI's image/jpeg). */
export function Thumbnail({ studyUid, seriesUid }: { studyUid: string; seriesUid: string }) {
  const first = useLoad(async () => (await seriesImages(studyUid, seriesUid))[0], [studyUid, seriesUid]);
  if (first.error || (!first.loading && !first.data))
    return (
      <div className="thumb failed" title={first.error || 'no images'}>
        {t('cannot show')}
      </div>
    );
  return first.data ? (
    <Picture className="thumb" route={objectPicture(first.data.sopInstanceUid, 96)} alt={t('series')} size={96} />
  ) : (
    <div className="thumb" />
  );
}
