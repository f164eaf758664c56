import {
  formatPrefetchRule,
  parsePrefetchRules,
  type PrefetchRule,
  type PrefetchTrigger,
} from '../../../common/prefetch-rules.ts';
import { useRef, useState } from 'react';
import { t } from '../i18n.ts';

type Row = Omit<PrefetchRule, 'text'>;

const TRIGGERS: [PrefetchTrigger, string][] = [
  ['order', 'a worklist entry is made (HL7 order, or by hand)'],
  ['mpps', 'a procedure step starts (MPPS)'],
  ['arrival', 'a new study arrives here'],
];
const NEW_RULE: Row = { trigger: 'order', sources: [], newest: 3, modalities: [], bodyParts: [], maxAgeDays: 0 };
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const minutes = (v: string) => {
  const [h, m] = v.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};
const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim().toUpperCase())
    .filter(Boolean);

/**
 * PrefetchRules on the Settings screen as a form: one row per rule (when, from which nodes, which priors, at what time
 * of day), written back as the rule's words; rules the form cannot read stay as text for the admin to mend.
 */
export function PrefetchRulesForm({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  // The rows being edited: a row may be incomplete while typed (no node yet); the text follows each change, and a text
  // changed elsewhere (the Text view) is read again.
  const [edited, setEdited] = useState<Row[]>();
  const written = useRef<string | undefined>(undefined);
  let rows: Row[];
  if (edited && written.current === value) rows = edited;
  else
    try {
      rows = parsePrefetchRules(value);
    } catch (err) {
      return (
        <span className="prefetch-rules">
          <input type="text" value={value} onChange={(e) => onChange(e.target.value)} />
          <span className="error inline">{(err as Error).message}</span>
        </span>
      );
    }
  const write = (next: Row[]) => {
    const text = next.map(formatPrefetchRule).join('; ');
    setEdited(next);
    written.current = text;
    onChange(text);
  };
  const change = (n: number, patch: Partial<Row>) => write(rows.map((r, i) => (i === n ? { ...r, ...patch } : r)));
  return (
    <span className="prefetch-rules" data-testid="prefetch-rules">
      {rows.map((r, n) => (
        <span className="prefetch-rule" key={n} data-prefetch-rule={n}>
          <label>
            {t('When')}{' '}
            <select value={r.trigger} onChange={(e) => change(n, { trigger: e.target.value as PrefetchTrigger })}>
              {TRIGGERS.map(([v, words]) => (
                <option key={v} value={v}>
                  {t(words)}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            {t('ask (AE titles)')}{' '}
            <input
              name="sources"
              value={r.sources.join(',')}
              onChange={(e) => change(n, { sources: list(e.target.value) })}
            />
          </label>{' '}
          <label>
            {t('newest')}{' '}
            <input
              name="newest"
              type="number"
              min={1}
              max={50}
              value={r.newest}
              onChange={(e) => change(n, { newest: Math.max(1, Number(e.target.value) || 1) })}
            />
          </label>{' '}
          <label>
            {t('modalities')}{' '}
            <input
              name="modalities"
              value={r.modalities.join(',')}
              onChange={(e) => change(n, { modalities: list(e.target.value) })}
            />
          </label>{' '}
          <label>
            {t('body parts')}{' '}
            <input
              name="bodyParts"
              value={r.bodyParts.join(',')}
              onChange={(e) => change(n, { bodyParts: list(e.target.value) })}
            />
          </label>{' '}
          <label>
            {t('at most years old (0: any)')}{' '}
            <input
              name="years"
              type="number"
              min={0}
              max={100}
              value={Math.round(r.maxAgeDays / 365)}
              onChange={(e) => change(n, { maxAgeDays: Math.max(0, Number(e.target.value) || 0) * 365 })}
            />
          </label>{' '}
          <label>
            <input
              type="checkbox"
              name="windowed"
              checked={r.window !== undefined}
              onChange={(e) => change(n, { window: e.target.checked ? [19 * 60, 6 * 60] : undefined })}
            />{' '}
            {t('only between')}
          </label>{' '}
          {r.window && (
            <>
              <input
                name="from"
                type="time"
                value={hhmm(r.window[0])}
                onChange={(e) => change(n, { window: [minutes(e.target.value), r.window![1]] })}
              />
              –
              <input
                name="to"
                type="time"
                value={hhmm(r.window[1])}
                onChange={(e) => change(n, { window: [r.window![0], minutes(e.target.value)] })}
              />
            </>
          )}{' '}
          <button type="button" onClick={() => write(rows.filter((_, i) => i !== n))}>
            {t('Remove')}
          </button>
        </span>
      ))}
      <button type="button" onClick={() => write([...rows, { ...NEW_RULE }])}>
        {t('Add a prefetch rule')}
      </button>
    </span>
  );
}
