import { describe, expect, it } from 'vitest';
import { SETTING_KEYS } from '../../main/config/server-settings.ts';
import { settingEffect } from '../../main/config/setting-effects.ts';
import { SETTING_GROUPS } from '../../renderer/src/setting-groups.ts';

describe('the settings screen', () => {
  it('shows every key the core reads, once, and knows when each takes effect', () => {
    const shown = SETTING_GROUPS.flatMap(([, keys]) => keys);
    expect([...shown].sort()).toEqual(Object.keys(SETTING_KEYS).sort());
    expect(new Set(shown).size).toBe(shown.length);
    expect(Object.keys(SETTING_KEYS).filter((k) => settingEffect(k) === 'unused')).toEqual([]);
  });
});
