import { useEffect, useRef, useState } from 'react';
import { formatDate, language, t } from './i18n.ts';

/**
 * A date typed and shown as the UI's language writes dates (25. 11. 2026, 25.11.2026, 2026-11-25), whatever the
 * browser's or the system's language: the browser's own date field follows those and showed mm/dd/yyyy to a Czech
 * user. Its value is ISO (YYYY-MM-DD, '' for none); the calendar button opens the browser's date picker.
 */

/** The ISO date a text names (ISO, or day. month. year with or without spaces), '' for none, undefined if not a date. */
export function parseDate(text: string): string | undefined {
  const v = text.trim();
  if (!v) return '';
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v);
  const dotted = /^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})$/.exec(v);
  if (!iso && !dotted) return undefined;
  const [year, month, day] = iso
    ? [iso[1], iso[2], iso[3]].map(Number)
    : [dotted![3], dotted![2], dotted![1]].map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day));
  if (month! < 1 || month! > 12 || day! < 1 || date.getUTCMonth() !== month! - 1) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** An ISO date as the language writes it. */
export function showDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return y && m && d ? formatDate(y, m, d) : iso;
}

export function DateField({
  name,
  value,
  onChange,
  label,
}: {
  name: string;
  value: string;
  onChange: (iso: string) => void;
  label?: string;
}) {
  const [text, setText] = useState(value ? showDate(value) : '');
  const picker = useRef<HTMLInputElement>(null);
  const lang = language();
  useEffect(() => {
    setText(value ? showDate(value) : '');
  }, [value, lang]);
  const pattern = ({ en: 'YYYY-MM-DD', cs: 'D. M. RRRR', de: 'TT.MM.JJJJ' } as const)[lang];
  return (
    <span className="date-field">
      <input
        name={name}
        aria-label={label}
        value={text}
        placeholder={pattern}
        size={11}
        inputMode="numeric"
        aria-invalid={parseDate(text) === undefined}
        onChange={(e) => {
          setText(e.target.value);
          const iso = parseDate(e.target.value);
          if (iso !== undefined) onChange(iso);
        }}
        onBlur={() => setText(value ? showDate(value) : '')}
      />
      <input
        ref={picker}
        type="date"
        className="date-picker"
        tabIndex={-1}
        aria-hidden="true"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <button
        type="button"
        className="calendar"
        title={t('Choose a date')}
        aria-label={t('Choose a date')}
        onClick={() => picker.current?.showPicker?.()}
      >
        {/* Drawn, not an emoji: a computer without an emoji font (Linux without one) showed an empty box. */}
        <svg
          width="14"
          height="14"
          viewBox="0 0 14 14"
          aria-hidden="true"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.4"
        >
          <rect x="1.5" y="2.5" width="11" height="10" rx="1" />
          <path d="M1.5 5.5h11M4.5 1v3M9.5 1v3" />
        </svg>
      </button>
    </span>
  );
}
