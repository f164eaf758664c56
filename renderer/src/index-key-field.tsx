import type { IndexKeyDto } from '../../main/api/contract.ts';
import { t } from './i18n.ts';

/** A key dicom.sql added to the index and the value searched for (none chosen: ''). */
export interface IndexKeyValue {
  keyword: string;
  value: string;
}

const LEVEL_WORDS: Record<IndexKeyDto['level'], string> = {
  PATIENT: 'patient level',
  STUDY: 'study level',
  SERIES: 'series level',
  IMAGE: 'image level',
  WORKLIST: 'worklist',
};

export const NO_INDEX_KEY: IndexKeyValue = { keyword: '', value: '' };

/** The search key it makes: the value as typed (C-FIND's matching: `*` and `?` are wildcards). */
export function indexKeySearch(v: IndexKeyValue): Record<string, string> {
  return v.keyword && v.value.trim() ? { [v.keyword]: v.value.trim() } : {};
}

/**
 * One more search field for the keys dicom.sql added (a series' protocol, an image's type): which key, and its value.
 * Shown only where there are such keys.
 */
export function IndexKeyField({
  keys,
  value,
  onChange,
}: {
  keys: readonly IndexKeyDto[];
  value: IndexKeyValue;
  onChange: (v: IndexKeyValue) => void;
}) {
  if (!keys.length) return null;
  const chosen = keys.find((k) => k.keyword === value.keyword);
  return (
    <span className="field compact index-key">
      <label>
        <span className="label">{t('Other key')}</span>
        <select name="indexKey" value={value.keyword} onChange={(e) => onChange({ ...value, keyword: e.target.value })}>
          <option value="">—</option>
          {keys.map((k) => (
            <option key={k.keyword} value={k.keyword}>
              {k.name} ({t(LEVEL_WORDS[k.level])})
            </option>
          ))}
        </select>
      </label>
      <input
        name="indexKeyValue"
        aria-label={t('Value')}
        size={12}
        value={value.value}
        disabled={!value.keyword}
        onChange={(e) => onChange({ ...value, value: e.target.value })}
      />
      {chosen?.filling && (
        <span className="help">{t('still being read from the objects stored before: some may not match yet')}</span>
      )}
    </span>
  );
}
