import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IniDocument } from '../../common/ini-document.ts';
import { SECTION, findSetting } from './server-settings.ts';
import { seedConfig } from './load.ts';

/**
 * Take over a Conquest installation: its dicom.ini (AE title, port, storage folders, forwarding, every other key kept
 * as written) and acrnema.map become ours, its storage folders stay where they are (made absolute), and the index is
 * ours, rebuilt from the files afterwards (Conquest's database is not read). Returns what was changed, for the admin.
 */
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

  const converters = Number(ini.get(SECTION, 'ExportConverters')?.value ?? '0') || 0;
  const unsupported: string[] = [];
  for (let i = 0; i < converters; i++) {
    const v = ini.get(SECTION, `ExportConverter${i}`)?.value ?? '';
    if (!/^forward(\s+compressed\s+as\s+\S+)?\s+to\s+\S+$/i.test(v.trim()))
      unsupported.push(`ExportConverter${i} = ${v}`);
  }
  if (unsupported.length) {
    ini.set(SECTION, 'ExportConverters', '0');
    notes.push(
      `forwarding switched off (ExportConverters = 0): this version runs only "forward to AE" rules, not ${unsupported.join('; ')}`,
    );
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

  const mapName = ini.get(SECTION, 'ACRNemaMap')?.value || 'acrnema.map';
  ini.set(SECTION, 'ACRNemaMap', 'acrnema.map');
  await copyFile(path.join(conquestDir, mapName), path.join(configDir, 'acrnema.map'));
  await writeFile(path.join(configDir, 'dicom.ini'), ini.toString());
  await seedConfig(configDir);
  notes.push(
    `AE title ${ini.get(SECTION, 'MyACRNema')?.value}, port ${ini.get(SECTION, 'TCPPort')?.value}, nodes from ${mapName}`,
  );
  return notes;
}
