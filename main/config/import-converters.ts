import { ConfigError, ConfigErrors, type SkippedConverter } from './config-error.ts';
import type { IniDocument } from '../../common/ini-document.ts';
import { SECTION } from './server-settings.ts';
import { msg } from '../../common/message.ts';
import type { Statement } from '../automation/converter-script.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConverterCheckError, checkImportConverter, type ScriptSource } from '../automation/converter-run.ts';
import { luaSyntaxError } from '../automation/lua-syntax.ts';

/**
 * Conquest's `ImportConverter0` ... `ImportConverter99` in dicom.ini, in order (`ImportConverters = N` limits them to
 * the first N, as in Conquest; without it every one present counts), each with its filters `ImportModality<N>`,
 * `ImportStationName<N>`, `ImportCalledAE<N>` and `ImportCallingAE<N>`: `*` (the default) matches anything, an empty
 * value only an empty one, and `*` and `?` match as in AE titles. A line this version cannot run is refused here with
 * its line, column and reason.
 */
export interface ImportConverter {
  index: number;
  line: number;
  text: string;
  statements: Statement[];
  modality: string;
  stationName: string;
  calledAe: string;
  callingAe: string;
}

const MAX = 100;

/** `onSkipped`: a start leaves a converter with a problem out and reports it (readForwardRules says how). */
export function readImportConverters(doc: IniDocument, onSkipped?: SkippedConverter): ImportConverter[] {
  const limit = doc.get(SECTION, 'ImportConverters');
  const n = limit && /^\d+$/.test(limit.value) ? Math.min(Number(limit.value), MAX) : MAX;
  if (limit && !/^\d+$/.test(limit.value)) {
    throw new ConfigErrors([
      new ConfigError(
        doc.file,
        limit.line,
        msg('ImportConverters: "{value}" is not a whole number', { value: limit.value }),
      ),
    ]);
  }
  const errors: ConfigError[] = [];
  const converters: ImportConverter[] = [];
  const sources = scriptSourceOf(doc);
  for (let i = 0; i < n; i++) {
    const entry = doc.get(SECTION, `ImportConverter${i}`);
    // Switched off (ours: the Automation screen): not run and not checked, so a line this version refuses can be.
    if (!entry || isDisabled(doc, 'import', i)) continue;
    const filter = (key: string) => doc.get(SECTION, `${key}${i}`)?.value ?? '*';
    try {
      converters.push({
        index: i,
        line: entry.line,
        text: entry.value,
        statements: checkImportConverter(entry.value, sources),
        modality: filter('ImportModality'),
        stationName: filter('ImportStationName'),
        calledAe: filter('ImportCalledAE'),
        callingAe: filter('ImportCallingAE'),
      });
    } catch (err) {
      const column = (err as { column?: number }).column ?? 1;
      const error = new ConfigError(
        doc.file,
        entry.line,
        msg('ImportConverter{i}, column {column}: {reason}', {
          i: String(i),
          column: String(column),
          reason: (err as Error).message,
        }),
      );
      if (onSkipped) onSkipped(`ImportConverter${i}`, [error]);
      else errors.push(error);
    }
  }
  if (errors.length) throw new ConfigErrors(errors);
  return converters;
}

/**
 * Conquest's converters on requests: QueryConverter0 (C-FIND), WorkListQueryConverter0, RetrieveConverter0; and on each
 * answer of a C-FIND: QueryResultConverter0, ModalityWorkListQueryResultConverter0.
 */
export interface RequestConverter {
  key: string;
  line: number;
  text: string;
  statements: Statement[];
}

export type RequestConverters = Partial<
  Record<'query' | 'worklist' | 'retrieve' | 'queryResult' | 'worklistResult' | 'retrieveResult', RequestConverter>
>;

const REQUEST_KEYS = {
  query: 'QueryConverter0',
  worklist: 'WorkListQueryConverter0',
  retrieve: 'RetrieveConverter0',
  queryResult: 'QueryResultConverter0',
  worklistResult: 'ModalityWorkListQueryResultConverter0',
  retrieveResult: 'RetrieveResultConverter0',
};

/**
 * The request converters of dicom.ini: the converter language on a request's identifier (`set`/`delete` change a key,
 * `destroy`, `destroy2` and `reject` drop the request, `%s` is a C-MOVE's destination); what has no meaning on a request
 * (`forward`, `compression`) is refused with its column.
 */
export function readRequestConverters(doc: IniDocument, onSkipped?: SkippedConverter): RequestConverters {
  const out: RequestConverters = {};
  const errors: ConfigError[] = [];
  for (const [kind, key] of Object.entries(REQUEST_KEYS) as [keyof RequestConverters, string][]) {
    const entry = doc.get(SECTION, key);
    if (!entry?.value.trim()) continue;
    try {
      const statements = checkImportConverter(entry.value, scriptSourceOf(doc));
      const visit = (list: Statement[]) => {
        for (const st of list) {
          if (st.kind === 'block') visit(st.body);
          else if (/^(forward|compression|storage|process\s+with)\b/i.test(st.text))
            throw new ConverterCheckError(
              `${st.text.split(/\s/)[0]} has no meaning on a request: a request converter changes or drops the request`,
              st.column,
            );
        }
      };
      visit(statements);
      out[kind] = { key, line: entry.line, text: entry.value, statements };
    } catch (err) {
      const error = new ConfigError(
        doc.file,
        entry.line,
        msg('{converter}, column {column}: {reason}', {
          converter: key,
          column: String((err as { column?: number }).column ?? 1),
          reason: (err as Error).message,
        }),
      );
      if (onSkipped) onSkipped(key, [error]);
      else errors.push(error);
    }
  }
  if (errors.length) throw new ConfigErrors(errors);
  return out;
}

/**
 * The Lua chunks of the converters compiled (nothing runs): a syntax error is refused like any other mistake in a
 * converter line, with its file, line, column and Lua's message.
 */
/**
 * `FileNameSyntax = lua:expression`, for checkConverterLua: its Lua compiled as `return expression` when dicom.ini is
 * read or saved, so a syntax error is said with the line (none when FileNameSyntax is a template).
 */
export function fileNameLua(
  doc: IniDocument,
): { kind: 'Request'; key: string; line: number; statements: Statement[] }[] {
  const entry = doc.get(SECTION, 'FileNameSyntax');
  const lua = entry ? /^\s*lua:(.*)$/is.exec(entry.value) : null;
  if (!entry || !lua?.[1]?.trim()) return [];
  const statements: Statement[] = [{ kind: 'command', text: `lua:return ${lua[1].trim()}`, column: 5 }];
  return [{ kind: 'Request', key: 'FileNameSyntax', line: entry.line, statements }];
}

export async function checkConverterLua(
  file: string,
  converters: readonly ({ line: number; statements: Statement[] } & (
    | { kind: 'Import' | 'Export'; index: number }
    | { kind: 'Request'; key: string }
  ))[],
  onSkipped?: SkippedConverter,
): Promise<Set<string>> {
  const errors: ConfigError[] = [];
  const skipped = new Set<string>();
  for (const c of converters) {
    const name = c.kind === 'Request' ? c.key : `${c.kind}Converter${c.index}`;
    const problem = await luaSyntaxError(name, c.statements);
    if (!problem) continue;
    const error = new ConfigError(
      file,
      c.line,
      msg('{converter}, column {column}: {reason}', {
        converter: name,
        column: String(problem.column),
        reason: problem.error,
      }),
    );
    if (onSkipped) {
      onSkipped(name, [error]);
      skipped.add(name);
    } else errors.push(error);
  }
  if (errors.length) throw new ConfigErrors(errors);
  return skipped;
}

/**
 * What `call NAME` and `file.lua` of converters find: dicom.ini's `[scripts]` entries, and files beside dicom.ini (or
 * in `folder`); `read` lists the files found (migration copies them).
 */
export function scriptSourceOf(doc: IniDocument, folder = path.dirname(doc.file)): ScriptSource & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    script: (name) => doc.get('scripts', name)?.value,
    file: (name) => {
      const file = path.resolve(folder, name.replace(/\\/g, '/'));
      if (!existsSync(file)) return undefined;
      read.push(file);
      return readFileSync(file, 'utf8');
    },
  };
}

/** `ImportConverterDisabled<N> = 1` / `ExportConverterDisabled<N> = 1` (ours): the converter is kept but not run. */
export function isDisabled(doc: IniDocument, kind: 'import' | 'export', index: number): boolean {
  return doc.get(SECTION, `${kind === 'import' ? 'Import' : 'Export'}ConverterDisabled${index}`)?.value.trim() === '1';
}

/** Whether a filter lets a value through: `*` anything, '' only '', otherwise as AE titles match (`*`, `?`, no case). */
export function filterMatches(filter: string, value: string): boolean {
  if (filter === '*') return true;
  if (filter === '') return value === '';
  const re = new RegExp(
    `^${filter
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(value.trim());
}
