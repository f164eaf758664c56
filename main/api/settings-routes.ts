import { readLuaHooks } from '../config/lua-hooks.ts';
import {
  checkConverterLua,
  fileNameLua,
  readImportConverters,
  readRequestConverters,
} from '../config/import-converters.ts';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ConfigErrors } from '../config/config-error.ts';
import { readForwardRules } from '../config/forward-rules.ts';
import { IniDocument } from '../../common/ini-document.ts';
import { SECTION, SETTING_KEYS, findSetting, readSettings } from '../config/server-settings.ts';
import { VIRTUAL_SERVER_SLOTS } from '../config/virtual-servers.ts';
import { SETTING_GROUPS, type SettingSpec } from '../config/setting-keys.ts';
import { settingEffect } from '../config/setting-effects.ts';
import type { ListenerRestarted, SettingsDto, SettingsSaved } from './contract.ts';
import { HttpError, text as required, type RouteContext, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import { isLoopback } from './request-auth.ts';
import type { SettingsService } from './services.ts';
import { Refusal } from '../util/refusal.ts';
import { msg, type Message } from '../../common/message.ts';

/** A refused dicom.ini: every problem with its line, for the settings screen to point at. */
export class SettingsRefused extends Refusal {
  readonly problems: { line: number; reason: string; message: Message }[];
  constructor(errors: ConfigError[]) {
    super(
      400,
      errors
        .map((e) => msg('line {line}: {reason}', { line: String(e.line), reason: e.reasonSaid }))
        .reduce((all, one) => msg('{all}; {one}', { all, one })),
    );
    this.problems = errors.map((e) => ({ line: e.line, reason: e.reason, message: e.reasonSaid }));
  }
}

function iniFile(settings: SettingsService): string {
  return path.join(settings.config().configDir, 'dicom.ini');
}

/** dicom.ini as text, and every key the core reads with its value, default, line and help. */
export async function readSettingsDto(settings: SettingsService): Promise<SettingsDto> {
  const text = await readFile(iniFile(settings), 'utf8');
  const doc = new IniDocument(iniFile(settings), text);
  const keys: SettingsDto['keys'] = (Object.entries(SETTING_KEYS) as [string, SettingSpec][]).map(([key, spec]) => {
    const found = findSetting(doc, key);
    return {
      key,
      spelling: found?.spelling ?? key,
      value: found?.value ?? spec.def,
      default: spec.def,
      line: found?.line ?? 0,
      help: spec.help,
      effect: settingEffect(key),
      label: spec.label,
      input: spec.input ?? spec.parse.input ?? 'text',
      choices: spec.parse.choices && [...spec.parse.choices],
    };
  });
  // The storage folders, one key each (MAGDevice0 ... as many as MAGDevices says), shown with the storage keys.
  const count = Math.min(Math.max(Number(doc.get(SECTION, 'MAGDevices')?.value) || 1, 1), 10);
  for (let i = 0; i < count; i++) {
    const found = doc.get(SECTION, `MAGDevice${i}`);
    const def = i === 0 ? 'storage' : '';
    keys.push({
      key: `MAGDevice${i}`,
      spelling: `MAGDevice${i}`,
      value: found?.value ?? def,
      default: def,
      line: found?.line ?? 0,
      effect: settingEffect(`MAGDevice${i}`),
      help: `Storage folder ${i} (relative to the data folder, or a full path); new objects go to the first with free space above MAGDeviceFullThreshold.`,
      label: '',
      input: 'text',
    });
  }
  // Their mirrors (MIRRORDevice0 ... as many as MIRRORDevices says).
  const mirrors = Math.min(Math.max(Number(doc.get(SECTION, 'MIRRORDevices')?.value) || 0, 0), 10);
  for (let i = 0; i < mirrors; i++) {
    const found = doc.get(SECTION, `MIRRORDevice${i}`);
    keys.push({
      key: `MIRRORDevice${i}`,
      spelling: `MIRRORDevice${i}`,
      value: found?.value ?? '',
      default: '',
      line: found?.line ?? 0,
      effect: settingEffect(`MIRRORDevice${i}`),
      help: `The mirror of storage folder ${i} (relative to the data folder, or a full path; best on another disk): every object of MAGDevice${i} is written there too.`,
      label: '',
      input: 'text',
    });
  }
  // The virtual servers' upstreams (VirtualServerFor0..9): those set, and the next free one to add another.
  const slots = Array.from({ length: VIRTUAL_SERVER_SLOTS }, (_, i) => i);
  const used = slots.filter((i) => doc.get(SECTION, `VirtualServerFor${i}`)?.value.trim());
  const free = slots.find((i) => !used.includes(i));
  for (const i of [...used, ...(free === undefined ? [] : [free])]) {
    for (const [name, def] of [
      [`VirtualServerFor${i}`, ''],
      [`VirtualServerPerSeries${i}`, '0'],
    ] as const) {
      if (name.startsWith('VirtualServerPerSeries') && !used.includes(i)) continue;
      const found = doc.get(SECTION, name);
      keys.push({
        key: name,
        spelling: name,
        value: found?.value ?? def,
        default: def,
        line: found?.line ?? 0,
        effect: settingEffect(name),
        help: '',
        label: '',
        input: 'text',
      });
    }
  }
  const group = (key: string) =>
    /^VirtualServer(For|PerSeries)\d$/.test(key)
      ? 'sending'
      : ((SETTING_KEYS as Record<string, SettingSpec>)[key]?.group ?? 'storage');
  const groups = Object.entries(SETTING_GROUPS).map(([id, title]) => ({
    title,
    keys: keys.filter((k) => group(k.key) === id).map((k) => k.key),
  }));
  return { text, keys, groups };
}

/**
 * Check a new dicom.ini the way start-up does (every key, the forwarding rules against the nodes) and save it only if it
 * passes; then apply at once what can be. The answer lists the changed keys with when each takes effect.
 */
/** Whether the running archive left this converter out at its start or last save. */
function isSkippedNow(settings: SettingsService, key: string): boolean {
  return settings.config().skippedConverters.some((s) => s.key === key);
}

export async function saveSettings(
  settings: SettingsService,
  given: string,
  audit?: RouteContext['audit'],
): Promise<SettingsSaved> {
  const file = iniFile(settings);
  const current = await readFile(file, 'utf8');
  // A browser's text box gives LF line endings: a dicom.ini kept with CRLF (Windows, Conquest) stays CRLF.
  const text = current.includes('\r\n') ? given.replace(/\r?\n/g, '\r\n') : given;
  const doc = new IniDocument(file, text);
  const before = new IniDocument(file, current);
  const value = (d: IniDocument, key: string) => d.get(SECTION, key)?.value;
  // A converter the running archive already leaves out (a line it cannot run) may stay as it is: a save refuses only
  // the problems it brings, so one line can be switched off or mended while another still waits.
  const refused: ConfigError[] = [];
  const skip = (key: string, errors: ConfigError[]) => {
    if (value(doc, key) !== value(before, key) || !isSkippedNow(settings, key)) refused.push(...errors);
  };
  try {
    readSettings(doc, settings.config().configDir, settings.config().dataDir);
    const rules = readForwardRules(doc, settings.config().nodes, skip);
    const converters = readImportConverters(doc, skip);
    const requests = readRequestConverters(doc, skip);
    await checkConverterLua(
      file,
      [
        ...converters.map((c) => ({ ...c, kind: 'Import' as const })),
        ...rules.map((r) => ({ ...r, kind: 'Export' as const })),
        ...Object.values(requests).map((c) => ({ ...c, kind: 'Request' as const })),
        ...fileNameLua(doc),
      ],
      skip,
    );
    await readLuaHooks(doc);
    if (refused.length) throw new ConfigErrors(refused);
  } catch (err) {
    if (err instanceof ConfigErrors) throw new SettingsRefused(err.errors);
    if (err instanceof ConfigError) throw new SettingsRefused([err]);
    throw err;
  }
  const keys = new Set([...before.entries(SECTION).map((e) => e.key), ...doc.entries(SECTION).map((e) => e.key)]);
  const changed = [...keys].filter((k) => value(before, k) !== value(doc, k));
  await writeFile(file, doc.toString());
  // Values of secrets (the MySQL password) are not written into the audit trail.
  const shown = (k: string, v: string | undefined) =>
    /password/i.test(k) ? (v ? '(set)' : '(empty)') : JSON.stringify(v ?? null);
  for (const key of changed)
    audit?.({
      action: 'settings-changed',
      detail: `${key}: ${shown(key, value(before, key))} -> ${shown(key, value(doc, key))}`,
    });
  await settings.applySettings();
  return { saved: true, changed: changed.map((key) => ({ key, effect: settingEffect(key) })) };
}

export function settingsRoutes(settings: SettingsService): RouteDef[] {
  return [
    route(ENDPOINTS.settings, async () => readSettingsDto(settings)),
    route(ENDPOINTS.saveSettings, async ({ body, audit }) =>
      saveSettings(settings, required((body as { text?: unknown }).text, 'text'), audit),
    ),
    // Stop the whole program (`cli.ts stop`, a service manager): for the local administrator on this computer.
    route(ENDPOINTS.shutdown, async ({ source, audit }) => {
      if (!isLoopback(source)) throw new HttpError(403, msg('the archive is stopped from its own computer'));
      if (!settings.shutdown)
        throw new HttpError(
          409,
          msg('this archive runs inside another program (the desktop window, a test): stop that'),
        );
      audit({ action: 'application-stop', detail: 'stop asked through the API' });
      setImmediate(() => void settings.shutdown!());
      return { stopping: true };
    }),
    route(ENDPOINTS.restartListener, async () => {
      const dicomPort = await settings.restartListener();
      return { aeTitle: settings.config().settings.aeTitle, dicomPort } satisfies ListenerRestarted;
    }),
  ];
}
