import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useState } from 'react';
import { api } from '../api.ts';
import { ErrorText } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { t } from '../i18n.ts';

/** The DICOM header of the object shown, filtered by name, tag or value. */
export function HeaderPanel({ sopInstanceUid }: { sopInstanceUid: string }) {
  const header = useLoad(() => api(ENDPOINTS.objectHeader, { params: [sopInstanceUid] }), [sopInstanceUid]);
  const [filter, setFilter] = useState('');
  const f = filter.toLowerCase();
  const rows = (header.data ?? []).filter(
    (r) =>
      !f || r.keyword.toLowerCase().includes(f) || r.tag.toLowerCase().includes(f) || r.value.toLowerCase().includes(f),
  );
  return (
    <aside className="header-panel">
      <input placeholder={t('Filter (name, tag, value)')} value={filter} onChange={(e) => setFilter(e.target.value)} />
      <ErrorText error={header.error} />
      <table className="dicom-header">
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td className="tag">({r.tag})</td>
              <td className="vr">{r.vr}</td>
              <td style={{ paddingLeft: `${r.depth * 12}px` }}>{r.keyword || <i>{t('private')}</i>}</td>
              <td className="value">{r.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}
