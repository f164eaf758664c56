/** The Automation screen's records (automation-routes.ts): the converters of dicom.ini, a line's check, a dry run. */

export type ConverterKind = 'import' | 'export';
/** What the editor checks: a converter line, or a `[lua]` hook's chunk. */
export type CheckedKind = ConverterKind | 'lua';

export interface ConverterDto {
  kind: ConverterKind;
  index: number;
  /** The dicom.ini key: `ImportConverter3`. */
  key: string;
  text: string;
  /** Its line in dicom.ini. */
  line: number;
  /** `ImportConverterDisabled<N> = 1` (ours) switches a line off without removing it. */
  enabled: boolean;
  /** Its filters as dicom.ini says them (`ImportModality3` ...), only those set. */
  filters: Record<string, string>;
}

/** One of dicom.ini's `[lua]` hooks (every hook this version runs, '' and line 0 when not set). */
export interface LuaHookDto {
  name: string;
  text: string;
  line: number;
}

export interface AutomationDto {
  converters: ConverterDto[];
  hooks: LuaHookDto[];
}

/** A line as the editor checks it: fine, or the column and reason of its first problem. */
export type ConverterCheckDto = { ok: true } | { ok: false; column: number; reason: string };

export interface ConverterSaveDto {
  text: string;
  enabled: boolean;
}

/** What one converter would do to the object tried. */
export interface ConverterTrialDto {
  key: string;
  /** Whether it ran: its filters let the object through (and no converter before it dropped the object). */
  ran: boolean;
  /** Why it did not run: the filter that stopped it, or the converter that dropped the object first. */
  skipped?: string;
  /** import: what the object would come to; export: '' */
  decision?: 'store' | 'destroy' | 'reject';
  /** Forwards, files, compression, notes it would cause, in words (English, like the log). */
  actions: string[];
  prints: string[];
  error?: string;
}

export interface ConverterTryDto {
  sopInstanceUid: string;
  patientName: string;
  modality: string;
  /** The object's attributes that the import converters would change: before and after (absent: ''). */
  changes: { tag: string; name: string; before: string; after: string }[];
  outcome: 'store' | 'destroy' | 'reject';
  converters: ConverterTrialDto[];
}
