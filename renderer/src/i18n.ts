import { CS } from './i18n/cs.ts';
import { DE } from './i18n/de.ts';

/**
 * The UI's languages: English (the source strings), Czech and German. `t` looks a string up in the current language's
 * catalog ({name} placeholders filled from `vars`); the choice is made in the top bar and remembered in this browser,
 * the system's language until then. A string a catalog lacks is shown in English and listed in `missing` (the tests
 * walk every screen in each language and expect none).
 */

export type Language = 'en' | 'cs' | 'de';
export const LANGUAGES: [Language, string][] = [['en', 'English'], ['cs', 'Čeština'], ['de', 'Deutsch']];
const CATALOGS: Record<Exclude<Language, 'en'>, Record<string, string>> = { cs: CS, de: DE };
const KEY = 'pacs-language';

function initial(): Language {
  const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'cs' || saved === 'de') return saved;
  const system = typeof navigator === 'undefined' ? 'en' : (navigator.language || 'en').slice(0, 2);
  return system === 'cs' || system === 'de' ? system : 'en';
}

let current: Language = initial();
/** Strings asked for that the current catalog lacks (for the tests; shown in English meanwhile). */
export const missing = new Set<string>();

export function language(): Language {
  return current;
}

export function setLanguage(lang: Language): void {
  current = lang;
  missing.clear();
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

export function t(text: string, vars?: Record<string, string | number>): string {
  let out = text;
  if (current !== 'en') {
    const found = CATALOGS[current][text];
    if (found === undefined) missing.add(text);
    else out = found;
  }
  return vars ? out.replace(/\{(\w+)\}/g, (m, k: string) => (vars[k] === undefined ? m : String(vars[k]))) : out;
}

/** Dates and times as the language writes them: ISO (2026-11-25) in English, 25. 11. 2026 in Czech, 25.11.2026 in German. */
export function formatDate(year: number, month: number, day: number): string {
  const dd = String(day).padStart(2, '0');
  const mm = String(month).padStart(2, '0');
  if (current === 'cs') return `${day}. ${month}. ${year}`;
  if (current === 'de') return `${dd}.${mm}.${year}`;
  return `${year}-${mm}-${dd}`;
}

export function locale(): string {
  return ({ en: 'en-GB', cs: 'cs-CZ', de: 'de-DE' } as const)[current];
}

if (typeof window !== 'undefined') (window as unknown as { pacsI18n: unknown }).pacsI18n = { missing, language };
