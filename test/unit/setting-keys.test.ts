import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SETTING_GROUPS, SETTING_KEYS, type SettingSpec } from '../../main/config/setting-keys.ts';
import { readSettings } from '../../main/config/server-settings.ts';
import { LISTENER_FIELDS, LIVE_FIELDS, settingEffect } from '../../main/config/setting-effects.ts';
import { IniDocument } from '../../common/ini-document.ts';
import { CS } from '../../renderer/src/i18n/cs.ts';
import { DE } from '../../renderer/src/i18n/de.ts';

/**
 * dicom.ini keys declared once (issue 29.3): every key of setting-keys.ts has its group, words and effect, sets a field
 * of the running settings (or is read with others), and has its Czech and German words; the core's effects and the
 * fields a live apply copies come from the same table.
 */
const SPECS = Object.entries(SETTING_KEYS) as [string, SettingSpec][];

describe('the dicom.ini keys', () => {
  it('each has a group of the form, plain words, an effect and a help text', () => {
    for (const [key, spec] of SPECS) {
      expect(Object.keys(SETTING_GROUPS), key).toContain(spec.group);
      expect(spec.label.length, key).toBeGreaterThan(3);
      expect(spec.help.length, key).toBeGreaterThan(10);
      expect(settingEffect(key), key).toBe(spec.effect);
    }
    expect(new Set(SPECS.map(([, s]) => s.group)).size).toBe(Object.keys(SETTING_GROUPS).length);
    expect(settingEffect('ExportConverter3')).toBe('live');
    expect(settingEffect('ImportConverter3')).toBe('live');
    expect(settingEffect('ImportCallingAE12')).toBe('live');
    expect(settingEffect('MAGDevice2')).toBe('restart');
    expect(settingEffect('SomethingConquestHas')).toBe('unused');
  });

  it('give every field of the running settings a value from its defaults, and each field one key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pacs-keys-'));
    const file = path.join(dir, 'dicom.ini');
    writeFileSync(file, '[sscscp]\n');
    const settings = readSettings(new IniDocument(file, '[sscscp]\n'), dir, dir);
    const fields = SPECS.flatMap(([, s]) => (s.field ? [s.field] : []));
    expect(new Set(fields).size).toBe(fields.length);
    expect(Object.keys(settings).sort()).toEqual([...fields, 'devices', 'mirrors', 'virtualServers', 'index'].sort());
    for (const [field, value] of Object.entries(settings)) expect(value, field).not.toBeUndefined();
    // Each field a save applies is set by a key, or by the numbered keys read together (VirtualServerFor0..9).
    expect([...LIVE_FIELDS, ...LISTENER_FIELDS].filter((f) => !fields.includes(f))).toEqual(['virtualServers']);
    // A file named by a key is resolved against the configuration folder; an optional one left empty stays empty.
    expect(settings.acrNemaMap).toBe(path.join(dir, 'acrnema.map'));
    expect(settings.tlsCertificate).toBe('');
  });

  it('have their words, help and group titles in Czech and German', () => {
    const texts = [...SPECS.flatMap(([, s]) => [s.label, s.help]), ...Object.values(SETTING_GROUPS)];
    for (const [lang, catalog] of Object.entries({ cs: CS, de: DE })) {
      expect(
        texts.filter((text) => (catalog as Record<string, string>)[text] === undefined),
        lang,
      ).toEqual([]);
    }
  });
});
