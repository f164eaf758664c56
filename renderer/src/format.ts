import { formatDate, locale, t, tm } from './i18n.ts';
import type { Message } from '../../common/message.ts';

/** How values read in the UI. */

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A duration in milliseconds, to a tenth below 10, in the language's number format. */
export function milliseconds(ms: number): string {
  return ms.toLocaleString(locale(), { maximumFractionDigits: ms < 10 ? 1 : 0 });
}

export function rate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

/** DICOM DA (YYYYMMDD) as the language writes dates (2026-11-25, 25. 11. 2026, 25.11.2026); anything else as it is. */
export function date(da: string): string {
  return /^\d{8}$/.test(da) ? formatDate(Number(da.slice(0, 4)), Number(da.slice(4, 6)), Number(da.slice(6))) : da;
}

/** An ISO time stamp as the language writes date and time. */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${formatDate(d.getFullYear(), d.getMonth() + 1, d.getDate())} ${d.toLocaleTimeString(locale())}`;
}

/** YYYY-MM-DD (an <input type=date>) as DICOM DA. */
export function toDicomDate(iso: string): string {
  return iso.replaceAll('-', '');
}

/**
 * A DICOM person name (Family^Given^Middle^Prefix^Suffix) as a clinic's lists read it, family name first:
 * "Dvořák, Jiří", "Novák, MUDr. Petr, Ph.D.".
 */
export function personName(pn: string): string {
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = (pn.split('=')[0] ?? '')
    .split('^')
    .map((p) => p.trim());
  const rest = [prefix, given, middle].filter(Boolean).join(' ');
  return [family, rest, suffix].filter(Boolean).join(', ') || pn;
}

export function time(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString(locale());
}

/** A send's Storage Commitment state in words ('' when it was not asked for). */
export function commitmentText(commitment: string): string {
  const words = (
    {
      asked: 'commitment to ask',
      requested: 'commitment requested',
      committed: 'committed',
      failed: 'not committed',
    } as Record<string, string>
  )[commitment];
  return words ? t(words) : '';
}

/** Why something failed as the core said it: its message in the user's language, or its English text. */
export function why(error: string | undefined, message?: Message): string {
  return message ? tm(message) : (error ?? '');
}
