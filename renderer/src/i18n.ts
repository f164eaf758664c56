import { say, type Message } from '../../common/message.ts';
import { CS } from './i18n/cs.ts';
import { DE } from './i18n/de.ts';

/**
 * The UI's languages: English (the source strings), Czech and German. `t` looks a string up in the current language's
 * catalog ({name} placeholders filled from `vars`); the choice is made in the top bar and remembered in this browser,
 * the system's language until then. A string a catalog lacks is shown in English and listed in `missing` (the tests
 * walk every screen in each language and expect none).
 */

export type Language = 'en' | 'cs' | 'de';
export const LANGUAGES: [Language, string][] = [
  ['en', 'English'],
  ['cs', 'Čeština'],
  ['de', 'Deutsch'],
];
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

/** The current language's text for an English one (recorded in `missing` when the catalog lacks it). */
function translated(text: string): string {
  if (current === 'en') return text;
  const found = CATALOGS[current][text];
  if (found === undefined) missing.add(text);
  return found ?? text;
}

/**
 * A UI text in the current language: an ICU message (common/message.ts), {name} filled from `vars`, plurals by the
 * language's rules ("{n, plural, one {# image} other {# images}}"), numbers in its format.
 */
export function t(text: string, vars?: Record<string, string | number>): string {
  return say({ text, params: vars }, locale(), translated);
}

/** A message from the core (an API refusal, a job's error) in the current language. */
export function tm(message: Message): string {
  return say(message, locale(), translated);
}

/** A number as the language writes it (2 231,21 in Czech, 2.231,21 in German). */
export function formatNumber(n: number, fractionDigits = 0): string {
  return n.toLocaleString(locale(), { maximumFractionDigits: fractionDigits, minimumFractionDigits: 0 });
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
