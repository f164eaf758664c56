import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { IniDocument } from '../../common/ini-document.ts';
import { SECTION } from '../config/server-settings.ts';
import { isDisabled, scriptSourceOf } from '../config/import-converters.ts';
import { checkExportConverter, checkImportConverter } from '../automation/converter-run.ts';
import { luaSyntaxError } from '../automation/lua-syntax.ts';
import { LUA_HOOKS, LUA_SECTION, hookChunk } from '../config/lua-hooks.ts';
import type {
  AutomationDto,
  ConverterCheckDto,
  ConverterDto,
  ConverterKind,
  ConverterTryDto,
} from './automation-dto.ts';
import { saveSettings } from './settings-routes.ts';
import type { SettingsService } from './services.ts';
import { ENDPOINTS } from './endpoints.ts';
import { HttpError, text as required, type RouteDef, route } from './router.ts';
import { msg } from '../../common/message.ts';

/**
 * The Automation screen's API: the converters of dicom.ini in order with their filters, a line checked as it is typed,
 * a line saved (or switched off: `ImportConverterDisabled<N> = 1`, ours) through the Settings screen's save (checked as
 * a start would, audited, applied at once), the `[lua]` hooks (each checked and saved the same way; an empty one is
 * taken out of dicom.ini), and "Try on an object" (automation-trial.ts).
 */
export interface AutomationService {
  settings: SettingsService;
  /** A node of acrnema.map by AE title (an export line's `forward to` must name one). */
  known(ae: string): boolean;
  tryOn(sopInstanceUid: string): Promise<ConverterTryDto>;
  /** The same on a dropped file, as if `callingAe` had sent it (nothing stored). */
  tryFile(bytes: Buffer, callingAe: string): Promise<ConverterTryDto>;
  /** A study's first object (as the index orders them), for "Try" from a study's row. */
  firstObjectOf(studyInstanceUid: string): Promise<string | undefined>;
}

const FILTERS: Record<ConverterKind, string[]> = {
  import: ['ImportModality', 'ImportStationName', 'ImportCalledAE', 'ImportCallingAE'],
  export: [
    'ExportModality',
    'ExportStationName',
    'ExportCalledAE',
    'ExportCallingAE',
    'ExportSOPClass',
    'ExportFilter',
    'ExportCommitment',
  ],
};

/** A `[lua]` hook's chunk as the editor checks it: the file it loads is there, and it compiles. */
async function checkHook(text: string, folder: string): Promise<ConverterCheckDto> {
  const loaded = await hookChunk(text, folder);
  if ('missing' in loaded) return { ok: false, column: 1, reason: `no file ${loaded.missing} beside dicom.ini` };
  if ('syntaxError' in loaded) return { ok: false, column: 1, reason: loaded.syntaxError };
  return { ok: true };
}

export function automationRoutes(service: AutomationService): RouteDef[] {
  const iniFile = () => path.join(service.settings.config().configDir, 'dicom.ini');
  const list = async (): Promise<AutomationDto> => {
    const doc = new IniDocument(iniFile(), await readFile(iniFile(), 'utf8'));
    const converters: ConverterDto[] = [];
    const one = (kind: ConverterKind, i: number) => {
      const prefix = kind === 'import' ? 'Import' : 'Export';
      const entry = doc.get(SECTION, `${prefix}Converter${i}`);
      if (!entry) return;
      const filters: Record<string, string> = {};
      for (const f of FILTERS[kind]) {
        const v = doc.get(SECTION, `${f}${i}`)?.value;
        if (v !== undefined) filters[f] = v;
      }
      converters.push({
        kind,
        index: i,
        key: `${prefix}Converter${i}`,
        text: entry.value,
        line: entry.line,
        enabled: !isDisabled(doc, kind, i),
        filters,
      });
    };
    for (let i = 0; i < 100; i++) one('import', i);
    const exports = Number(doc.get(SECTION, 'ExportConverters')?.value) || 0;
    for (let i = 0; i < Math.min(exports, 100); i++) one('export', i);
    const hooks = LUA_HOOKS.map((name) => {
      const entry = doc.get(LUA_SECTION, name);
      return { name, text: entry?.value ?? '', line: entry?.line ?? 0 };
    });
    return { converters, hooks };
  };
  return [
    route(ENDPOINTS.automation, list),
    route(ENDPOINTS.checkConverter, async ({ body }) => {
      const given = body as { kind?: unknown; text?: unknown };
      // An empty hook is fine (it is taken out); an empty converter line is not.
      if (given.kind === 'lua' && given.text === '') return { ok: true } satisfies ConverterCheckDto;
      const text = required(given.text, 'text');
      if (given.kind === 'lua') return checkHook(text, path.dirname(iniFile()));
      const sources = scriptSourceOf(new IniDocument(iniFile(), await readFile(iniFile(), 'utf8')));
      try {
        const statements =
          given.kind === 'export'
            ? checkExportConverter(text, service.known, sources)
            : checkImportConverter(text, sources);
        const lua = await luaSyntaxError(given.kind === 'export' ? 'ExportConverter' : 'ImportConverter', statements);
        if (lua) return { ok: false, column: lua.column, reason: lua.error } satisfies ConverterCheckDto;
        return { ok: true } satisfies ConverterCheckDto;
      } catch (err) {
        return { ok: false, column: (err as { column?: number }).column ?? 1, reason: (err as Error).message };
      }
    }),
    route(ENDPOINTS.saveConverter, async ({ params: [key], body, audit }) => {
      const hook = /^lua\.(\w+)$/.exec(key!);
      if (hook) {
        const name = LUA_HOOKS.find((h) => h === hook[1]);
        if (!name)
          throw new HttpError(
            400,
            msg('[lua] {key}: not a hook this version runs ({hooks})', { key: hook[1]!, hooks: LUA_HOOKS.join(', ') }),
          );
        const text =
          typeof (body as { text?: unknown }).text === 'string' ? (body as { text: string }).text.trim() : '';
        const doc = new IniDocument(iniFile(), await readFile(iniFile(), 'utf8'));
        if (text) doc.set(LUA_SECTION, name, text);
        else doc.remove(LUA_SECTION, name);
        await saveSettings(service.settings, doc.toString(), audit);
        return list();
      }
      const m = /^(Import|Export)Converter(\d{1,2})$/.exec(key!);
      if (!m) throw new HttpError(400, msg('{key} is not ImportConverter<N> or ExportConverter<N>', { key: key! }));
      const given = body as { text?: unknown; enabled?: unknown };
      const text = required(given.text, 'text');
      const doc = new IniDocument(iniFile(), await readFile(iniFile(), 'utf8'));
      if (m[1] === 'Export') {
        const count = Number(doc.get(SECTION, 'ExportConverters')?.value) || 0;
        const index = Number(m[2]);
        if (index > count)
          throw new HttpError(
            400,
            msg('ExportConverters is {n}: the next export converter is ExportConverter{n}', {
              n: String(count),
            }),
          );
        if (index === count) doc.set(SECTION, 'ExportConverters', String(count + 1));
      }
      doc.set(SECTION, key!, text);
      const off = `${m[1]}ConverterDisabled${m[2]}`;
      if (given.enabled === false) doc.set(SECTION, off, '1');
      else if (doc.get(SECTION, off)) doc.set(SECTION, off, '0');
      await saveSettings(service.settings, doc.toString(), audit);
      return list();
    }),
    route(ENDPOINTS.tryConverters, async ({ body }) => {
      const given = body as { sopInstanceUid?: unknown; studyInstanceUid?: unknown };
      if (given.studyInstanceUid !== undefined) {
        const study = required(given.studyInstanceUid, 'studyInstanceUid');
        const first = await service.firstObjectOf(study);
        if (!first) throw new HttpError(404, msg('no study {uid} in the archive', { uid: study }));
        return service.tryOn(first);
      }
      return service.tryOn(required(given.sopInstanceUid, 'sopInstanceUid'));
    }),
    // A file dropped on the screen (one Part-10 object, up to TRY_FILE_BYTES); ?callingAe= as if that node sent it.
    route(
      ENDPOINTS.tryConvertersOnFile,
      async ({ url, upload }) => {
        const parts: Buffer[] = [];
        let size = 0;
        for await (const part of upload!) {
          size += part.length;
          if (size > TRY_FILE_BYTES)
            throw new HttpError(413, msg('a file to try is at most {n} MB', { n: String(TRY_FILE_BYTES >> 20) }));
          parts.push(part);
        }
        return service.tryFile(Buffer.concat(parts), url.searchParams.get('callingAe') ?? '');
      },
      { rawBody: true },
    ),
  ];
}

/** The largest file the Automation screen tries (an object is held in memory while it is tried). */
const TRY_FILE_BYTES = 64 << 20;
