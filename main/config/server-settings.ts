import path from 'node:path';
import { ConfigError, ConfigErrors } from './config-error.ts';
import type { IniDocument } from '../../common/ini-document.ts';
import { msg, saidOf } from '../../common/message.ts';
import { SETTING_KEYS, type KeyName, type SettingSpec } from './setting-keys.ts';
import type { IndexSettings, ServerSettings } from './settings-types.ts';
import { readVirtualServers } from './virtual-servers.ts';

export type { DuplicatePolicy, IndexSettings, ServerSettings } from './settings-types.ts';
export { SETTING_KEYS } from './setting-keys.ts';

export const SECTION = 'sscscp';

/** A key's line in dicom.ini under its name or one of its aliases (Conquest spells some two ways; case never matters). */
export function findSetting(
  doc: IniDocument,
  key: string,
): { value: string; line: number; spelling: string } | undefined {
  const spec = (SETTING_KEYS as Record<string, { aliases?: readonly string[] }>)[key];
  for (const name of [key, ...(spec?.aliases ?? [])]) {
    const found = doc.get(SECTION, name);
    if (found) return { ...found, spelling: name };
  }
  return undefined;
}

/** The key a name (or an alias, in any case) stands for; the name itself when it is no alias. */
export function canonicalKey(name: string): string {
  const lower = name.toLowerCase();
  for (const [key, spec] of Object.entries(SETTING_KEYS) as [string, { aliases?: readonly string[] }][]) {
    if (key.toLowerCase() === lower || spec.aliases?.some((a) => a.toLowerCase() === lower)) return key;
  }
  return name;
}

/** Read and check every known key; all problems are reported together, each with its line. */
export function readSettings(doc: IniDocument, configDir: string, dataDir: string): ServerSettings {
  const errors: ConfigError[] = [];
  const values = new Map<string, unknown>();
  for (const [key, spec] of Object.entries(SETTING_KEYS) as [KeyName, (typeof SETTING_KEYS)[KeyName]][]) {
    const found = findSetting(doc, key);
    try {
      values.set(key, spec.parse(found ? found.value : spec.def));
    } catch (err) {
      errors.push(new ConfigError(doc.file, found?.line ?? 0, msg('{key}: {reason}', { key, reason: saidOf(err) })));
    }
  }
  const devices: string[] = [];
  const count = (values.get('MAGDevices') as number | undefined) ?? 1;
  for (let i = 0; i < count; i++) {
    const found = doc.get(SECTION, `MAGDevice${i}`);
    if (!found && i > 0) {
      errors.push(
        new ConfigError(
          doc.file,
          doc.get(SECTION, 'MAGDevices')?.line ?? 0,
          msg('MAGDevices is {count} but MAGDevice{i} is not set', { count: String(count), i: String(i) }),
        ),
      );
      continue;
    }
    const value = found?.value || 'storage';
    devices.push(path.resolve(dataDir, value));
  }
  const mirrors: (string | undefined)[] = devices.map(() => undefined);
  const mirrorCount = (values.get('MIRRORDevices') as number | undefined) ?? 0;
  for (let i = 0; i < mirrorCount; i++) {
    const found = doc.get(SECTION, `MIRRORDevice${i}`);
    const line = found?.line ?? doc.get(SECTION, 'MIRRORDevices')?.line ?? 0;
    if (i >= devices.length)
      errors.push(
        new ConfigError(
          doc.file,
          line,
          msg('MIRRORDevice{i} has no storage folder to mirror (MAGDevices is {count})', {
            i: String(i),
            count: String(devices.length),
          }),
        ),
      );
    else if (!found?.value)
      errors.push(
        new ConfigError(
          doc.file,
          line,
          msg('MIRRORDevices is {count} but MIRRORDevice{i} is not set', { count: String(mirrorCount), i: String(i) }),
        ),
      );
    else if (path.resolve(dataDir, found.value) === devices[i])
      errors.push(new ConfigError(doc.file, line, msg('MIRRORDevice{i} is its own storage folder', { i: String(i) })));
    else mirrors[i] = path.resolve(dataDir, found.value);
  }
  if (values.get('PlainDICOM') === false && !values.get('TLSPort')) {
    errors.push(
      new ConfigError(
        doc.file,
        findSetting(doc, 'PlainDICOM')?.line ?? 0,
        msg('PlainDICOM: 0 needs TLSPort set (the TLS listener would be the only one)'),
      ),
    );
  }
  const virtualServers = readVirtualServers(
    doc,
    SECTION,
    (values.get('MyACRNema') as string | undefined) ?? '',
    errors,
  );
  if (errors.length) throw new ConfigErrors(errors.sort((a, b) => a.line - b.line));
  const get = <K extends KeyName>(k: K) => values.get(k) as ReturnType<(typeof SETTING_KEYS)[K]['parse']>;
  // Each key that sets a field by itself sets it here (a file name resolved against the configuration folder).
  const settings: Partial<Record<keyof ServerSettings, unknown>> = {
    devices,
    mirrors,
    virtualServers,
    index: indexSettings(
      get('MySQL'),
      get('SQLServer'),
      get('SQLHost'),
      get('SQLPort'),
      get('Username'),
      get('Password'),
      dataDir,
      doc,
    ),
  };
  for (const [key, spec] of Object.entries(SETTING_KEYS) as [KeyName, SettingSpec][]) {
    if (!spec.field) continue;
    const value = values.get(key);
    settings[spec.field] =
      spec.resolve && typeof value === 'string' && (value || spec.resolve === 'config-file')
        ? path.resolve(configDir, value)
        : value;
  }
  return settings as ServerSettings;
}

function indexSettings(
  mysql: boolean,
  server: string,
  host: string,
  port: number,
  user: string,
  password: string,
  dataDir: string,
  doc: IniDocument,
): IndexSettings {
  if (!mysql) return { engine: 'sqlite', file: path.resolve(dataDir, server) };
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(server)) {
    throw new ConfigErrors([
      new ConfigError(
        doc.file,
        doc.get(SECTION, 'SQLServer')?.line ?? 0,
        `SQLServer: "${server}" is not a MySQL database name (letters, digits, _ and $)`,
      ),
    ]);
  }
  const [h, p] = host.split(':');
  return { engine: 'mysql', host: h!, port: p ? Number(p) : port, user, password, database: server };
}
