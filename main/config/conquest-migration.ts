import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IniDocument } from '../../common/ini-document.ts';
import { SECTION, findSetting } from './server-settings.ts';
import { seedConfig } from './load.ts';
import { AcrNemaMap } from './acrnema-map.ts';
import { scriptSourceOf } from './import-converters.ts';
import { checkExportConverter, checkImportConverter } from '../automation/converter-run.ts';
import { parseExportFilter } from '../automation/export-filter.ts';
import { LUA_HOOKS, hookChunk, hookFileOf } from './lua-hooks.ts';
import { parseDicomSql } from './dicom-sql.ts';
import { indexSchemaOf } from './index-schema.ts';
import { fileExists } from '../util/file-exists.ts';

/**
 * Take over a Conquest installation: its dicom.ini (AE title, port, storage folders, converters, every other key kept
 * as written) and acrnema.map become ours, its storage folders stay where they are (made absolute), and the index is
 * ours, rebuilt from the files afterwards (Conquest's database is not read). Returns what was changed, for the admin.
 */
/**
 * Conquest's dicom.sql (kFactorFile) comes over when this version can honour it: the attributes it indexes beyond ours
 * become columns, filled as the index is rebuilt from the files. One it cannot read is left behind with the reason, and
 * ours is used.
 */
async function takeIndexLayout(ini: IniDocument, conquestDir: string, configDir: string): Promise<string[]> {
  const name = ini.get(SECTION, 'kFactorFile')?.value.trim() || 'dicom.sql';
  const source = path.resolve(conquestDir, name.replace(/\\/g, '/'));
  ini.set(SECTION, 'kFactorFile', 'dicom.sql');
  if (!(await fileExists(source))) return [`${name}: not found; the index keeps its own columns (dicom.sql)`];
  try {
    const schema = indexSchemaOf(parseDicomSql(source, await readFile(source, 'latin1')));
    await copyFile(source, path.join(configDir, 'dicom.sql'));
    const added = schema.added.map((c) => `${c.conquestName} (${c.table})`);
    return [
      `${name}: copied; ${added.length ? `the index also keeps ${added.join(', ')}` : 'nothing beyond our own columns'}`,
    ];
  } catch (err) {
    return [`${name} left behind: ${(err as Error).message}; the index keeps its own columns (dicom.sql)`];
  }
}

/**
 * Conquest's converters come over as they are: every line this version runs is kept and runs; a line it does not run
 * (or whose ExportFilter it cannot test) is kept in dicom.ini but switched off (`ImportConverterDisabled<N> = 1`, ours),
 * so the archive starts, and the note says which and why; the Automation screen shows it to be changed and switched on.
 */
function takeConverters(
  ini: IniDocument,
  nodes: AcrNemaMap,
  conquestDir: string,
): { notes: string[]; files: string[] } {
  const notes: string[] = [];
  const sources = scriptSourceOf(ini, conquestDir);
  const kept: string[] = [];
  const off = (key: string, kind: 'Import' | 'Export', i: number, reason: string) => {
    ini.set(SECTION, `${kind}ConverterDisabled${i}`, '1');
    notes.push(`${key} switched off: ${reason} (the Automation screen shows it; switch it on once changed)`);
  };
  for (let i = 0; i < 100; i++) {
    const line = ini.get(SECTION, `ImportConverter${i}`);
    if (!line) continue;
    try {
      checkImportConverter(line.value, sources);
      kept.push(`ImportConverter${i}`);
    } catch (err) {
      off(
        `ImportConverter${i}`,
        'Import',
        i,
        `column ${(err as { column?: number }).column ?? 1}: ${(err as Error).message}`,
      );
    }
  }
  const exports = Number(ini.get(SECTION, 'ExportConverters')?.value ?? '0') || 0;
  for (let i = 0; i < exports; i++) {
    const line = ini.get(SECTION, `ExportConverter${i}`);
    if (!line) continue;
    try {
      checkExportConverter(line.value, (ae) => !!nodes.find(ae), sources);
      const filter = ini.get(SECTION, `ExportFilter${i}`)?.value.trim();
      if (filter) parseExportFilter(filter);
      kept.push(`ExportConverter${i}`);
    } catch (err) {
      off(
        `ExportConverter${i}`,
        'Export',
        i,
        `column ${(err as { column?: number }).column ?? 1}: ${(err as Error).message}`,
      );
    }
  }
  if (kept.length) notes.push(`converters kept and running: ${kept.join(', ')}`);
  notes.push(...takeLuaHooks(ini, sources));
  return { notes, files: [...new Set(sources.read)] };
}

/**
 * `[lua]` comes over: the hooks this version runs stay (the files they load come along); any other key is taken out,
 * with a note, so the archive starts. Whether each compiles in our Lua is checked once the files are in place.
 */
function takeLuaHooks(ini: IniDocument, sources: ReturnType<typeof scriptSourceOf>): string[] {
  const notes: string[] = [];
  for (const { key, value } of ini.entries('lua')) {
    if (!LUA_HOOKS.some((h) => h === key.toLowerCase())) {
      ini.remove('lua', key);
      notes.push(`[lua] ${key} taken out: not a hook this version runs (it was: ${value.slice(0, 80)})`);
      continue;
    }
    const file = hookFileOf(value);
    if (file && sources.file(file) === undefined) {
      ini.remove('lua', key);
      notes.push(`[lua] ${key} taken out: it loads ${file}, which is not beside Conquest's dicom.ini`);
    }
  }
  return notes;
}

/** A hook that does not compile in this version's Lua is taken out, with Lua's reason (the archive would not start). */
async function compiledHooks(ini: IniDocument, configDir: string): Promise<string[]> {
  const notes: string[] = [];
  const kept: string[] = [];
  for (const { key, value } of ini.entries('lua')) {
    // A file it loads was copied here with the converters' (takeLuaHooks took out a hook whose file is not there).
    const loaded = await hookChunk(value, configDir, `[lua] ${key}`);
    if ('syntaxError' in loaded) {
      ini.remove('lua', key);
      notes.push(`[lua] ${key} taken out: ${loaded.syntaxError}`);
    } else kept.push(key);
  }
  if (kept.length) notes.push(`[lua] hooks kept and running: ${kept.join(', ')}`);
  return notes;
}

export async function migrateConquest(conquestDir: string, configDir: string): Promise<string[]> {
  const notes: string[] = [];
  const iniFile = path.join(conquestDir, 'dicom.ini');
  const ini = new IniDocument(path.join(configDir, 'dicom.ini'), await readFile(iniFile, 'latin1'));
  await mkdir(configDir, { recursive: true });

  const devices = Number(ini.get(SECTION, 'MAGDevices')?.value ?? '1') || 1;
  for (let i = 0; i < devices; i++) {
    const key = `MAGDevice${i}`;
    const value = ini.get(SECTION, key)?.value;
    if (!value) continue;
    const absolute = path.resolve(conquestDir, value.replace(/\\/g, '/'));
    ini.set(SECTION, key, absolute);
    notes.push(`${key}: ${value} -> ${absolute} (files stay where they are)`);
  }
  const wasMysql = ini.get(SECTION, 'MySQL')?.value === '1';
  ini.set(SECTION, 'SqLite', '1');
  ini.set(SECTION, 'MySQL', '0');
  ini.set(SECTION, 'SQLServer', 'index/archive.db3');
  notes.push(
    `index: a new SQLite index in the data folder, rebuilt from the files${wasMysql ? ' (Conquest used MySQL; set MySQL = 1 and the SQL keys to use a server again)' : ''}`,
  );
  ini.set(SECTION, 'SOPClassList', 'dgatesop.lst');

  const mapName = ini.get(SECTION, 'ACRNemaMap')?.value || 'acrnema.map';
  const nodes = new AcrNemaMap(mapName, await readFile(path.join(conquestDir, mapName), 'latin1'));
  const converters = takeConverters(ini, nodes, conquestDir);
  notes.push(...converters.notes);
  // The files converters call (`call name`, `file.lua`) come along, beside the new dicom.ini.
  for (const file of converters.files) {
    const relative = path.relative(conquestDir, file);
    const target = path.join(configDir, relative.startsWith('..') ? path.basename(file) : relative);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(file, target);
    notes.push(`copied ${relative} for the converters that call it`);
  }

  // Conquest's disk keys (either spelling, any case) mean here what they mean there: say so, since earlier versions of
  // this archive read MAGDeviceThreshHold as the stop-writing limit.
  const clean = findSetting(ini, 'MAGDeviceThreshold');
  if (clean && Number(clean.value) > 0)
    notes.push(
      `${clean.spelling} = ${clean.value}: clean-up is on, as in Conquest: below ${clean.value} MB free the least recently used patients are deleted (protect studies on the Studies screen to keep them)`,
    );
  const full = findSetting(ini, 'MAGDeviceFullThreshold');
  notes.push(
    `${full ? `${full.spelling} = ${full.value}` : "MAGDeviceFullThreshold = 30 (Conquest's default)"}: a storage folder with less free space takes no new objects`,
  );

  notes.push(...(await takeIndexLayout(ini, conquestDir, configDir)));
  notes.push(...(await compiledHooks(ini, configDir)));
  ini.set(SECTION, 'ACRNemaMap', 'acrnema.map');
  await copyFile(path.join(conquestDir, mapName), path.join(configDir, 'acrnema.map'));
  await writeFile(path.join(configDir, 'dicom.ini'), ini.toString());
  await seedConfig(configDir);
  notes.push(
    `AE title ${ini.get(SECTION, 'MyACRNema')?.value}, port ${ini.get(SECTION, 'TCPPort')?.value}, nodes from ${mapName}`,
  );
  return notes;
}
