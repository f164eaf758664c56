import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import type { ReportItem } from '../../../main/api/contract.ts';
import { api } from '../api.ts';
import { ErrorText } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { t } from '../i18n.ts';

/** Modalities whose objects are documents to read, not pixels to show (PS3.3 C.17.1: SR, key object selection). */
export { REPORT_MODALITIES } from './report-modalities.ts';

function Item({ item }: { item: ReportItem }) {
  const value = item.value + (item.unit ? ` ${item.unit}` : '');
  return (
    <li className={`report-item ${item.valueType.toLowerCase()}`}>
      {item.valueType === 'CONTAINER' ? (
        <b>{item.name}</b>
      ) : (
        <>
          <span className="name">{item.name}</span>
          {value && (
            <>
              : <span className="value">{value}</span>
            </>
          )}
        </>
      )}
      {item.children.length > 0 && (
        <ul>
          {item.children.map((c, i) => (
            <Item key={i} item={c} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** A structured report as text: its title, flags, and the tree of headings and values. */
export function ReportView({ sopInstanceUid }: { sopInstanceUid: string }) {
  const report = useLoad(() => api(ENDPOINTS.objectReport, { params: [sopInstanceUid] }), [sopInstanceUid]);
  const r = report.data;
  return (
    <article className="report" data-testid="report">
      <ErrorText error={report.error} />
      {r && (
        <>
          <h3>{r.title || t('Structured report')}</h3>
          <p className="flags">{[r.completion, r.verification].filter(Boolean).join(' · ')}</p>
          <ul>
            {r.items.map((c, i) => (
              <Item key={i} item={c} />
            ))}
          </ul>
        </>
      )}
    </article>
  );
}
