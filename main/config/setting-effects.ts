import { canonicalKey, type ServerSettings } from './server-settings.ts';
import { SETTING_KEYS, type KeyEffect, type SettingSpec } from './setting-keys.ts';

/**
 * When a changed dicom.ini key takes effect in a running server, as setting-keys.ts declares it (live, listener,
 * restart); the forwarding rules (ExportConverters, ExportConverter<i>, ...) and the import converters are live, the storage folders
 * (MAGDevice<i>, MIRRORDevice<i>) need a restart, and a key this server does not read (kept in the file, e.g. from Conquest) is unused.
 */
export type SettingEffect = KeyEffect | 'unused';

const SPECS = Object.entries(SETTING_KEYS) as [string, SettingSpec][];
const EFFECTS = new Map(SPECS.map(([key, spec]) => [key.toLowerCase(), spec.effect]));

export function settingEffect(key: string): SettingEffect {
  const k = canonicalKey(key).toLowerCase();
  if (/^export(converters|(converter|modality|callingae|calledae|sopclass|commitment)\d+)$/.test(k)) return 'live';
  if (/^import(converters|(converter|modality|stationname|calledae|callingae)\d+)$/.test(k)) return 'live';
  if (/^(mag|mirror)device\d+$/.test(k)) return 'restart';
  if (/^virtualserver(for|perseries)\d$/.test(k)) return 'live';
  return EFFECTS.get(k) ?? 'unused';
}

const fieldsOf = (effect: KeyEffect) =>
  SPECS.flatMap(([, spec]) => (spec.effect === effect && spec.field ? [spec.field] : []));

/** The settings fields each effect governs (what a live apply or a listener restart copies from a new dicom.ini). */
export const LIVE_FIELDS: readonly (keyof ServerSettings)[] = [
  ...fieldsOf('live'),
  // VirtualServerFor0..9 and VirtualServerPerSeries0..9, read together (virtual-servers.ts).
  'virtualServers',
];
export const LISTENER_FIELDS: readonly (keyof ServerSettings)[] = fieldsOf('listener');

export function withFields(
  base: ServerSettings,
  from: ServerSettings,
  fields: readonly (keyof ServerSettings)[],
): ServerSettings {
  const out = { ...base } as Record<keyof ServerSettings, unknown>;
  for (const f of fields) out[f] = from[f];
  return out as unknown as ServerSettings;
}
