import { useEffect, useState } from 'react';
import { apiBase, authHeaders } from './api.ts';
import { t } from './i18n.ts';

/**
 * A picture the core renders (a study's thumbnail, an object's frame), fetched with the install's secret in a header
 * (an <img src> could only carry it in the address) and shown from a blob: URL, released when it is no longer shown.
 */
export function Picture({
  route,
  alt,
  className,
  size,
}: {
  route: string;
  alt: string;
  className?: string;
  size: number;
}) {
  const [src, setSrc] = useState<string>();
  const [failed, setFailed] = useState('');
  useEffect(() => {
    let url: string | undefined;
    let current = true;
    setSrc(undefined);
    setFailed('');
    fetch(apiBase + route, { headers: authHeaders() })
      .then(async (res) => {
        if (!res.ok)
          throw new Error(((await res.json().catch(() => ({}))) as { error?: string }).error ?? `HTTP ${res.status}`);
        const blob = await res.blob();
        if (!current) return;
        url = URL.createObjectURL(blob);
        setSrc(url);
      })
      .catch((e: Error) => {
        if (current) setFailed(e.message);
      });
    return () => {
      current = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [route]);
  if (failed)
    return (
      <div className={`${className ?? ''} picture-failed`} title={failed} style={{ width: size, height: size }}>
        {t('no picture')}
      </div>
    );
  return src ? (
    <img className={className} src={src} alt={alt} style={{ maxWidth: size, maxHeight: size }} />
  ) : (
    <div className={className} style={{ width: size, height: size }} />
  );
}
