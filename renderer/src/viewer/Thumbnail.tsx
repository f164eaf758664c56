import { useEffect, useRef, useState } from 'react';
import { cornerstone } from './cornerstone-setup.ts';
import { seriesImages } from './study-images.ts';

/** A series' first image, drawn small. */
export function Thumbnail({ studyUid, seriesUid }: { studyUid: string; seriesUid: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState('');
  useEffect(() => {
    let current = true;
    (async () => {
      const [first] = await seriesImages(studyUid, seriesUid);
      if (!first) throw new Error('no images');
      const image = await cornerstone.loadAndCacheImage(first.imageId);
      if (current && canvas.current) cornerstone.renderToCanvas(canvas.current, image);
    })().catch((e: Error) => { if (current) setFailed(e.message ?? String(e)); });
    return () => { current = false; };
  }, [studyUid, seriesUid]);
  return failed ? <div className="thumb failed" title={failed}>cannot show</div> : <canvas ref={canvas} className="thumb" width={96} height={96} />;
}
