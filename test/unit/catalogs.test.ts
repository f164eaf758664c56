import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { CS } from '../../renderer/src/i18n/cs.ts';
import { DE } from '../../renderer/src/i18n/de.ts';

/**
 * The language catalogs against the code (issue 28): every text the UI says with t() and every message the core says
 * with msg() has its Czech and German, each a well-formed ICU message whose parameters are the English text's.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CATALOGS = { cs: CS, de: DE };

function files(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.parentPath.includes('i18n'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The literal first arguments of `fn(...)` calls in the files (quoted with ' or "). */
function literals(dirs: string[], fn: string): Set<string> {
  const out = new Set<string>();
  const call = new RegExp(String.raw`\b${fn}\(\s*(['"])((?:\\.|(?!\1).)*)\1`, 'g');
  for (const file of dirs.flatMap(files)) {
    for (const m of readFileSync(file, 'utf8').matchAll(call))
      out.add(m[2]!.replace(/\\(['"\\])/g, '$1').replace(/\\n/g, '\n'));
  }
  return out;
}

function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const e of elements) {
    if ('value' in e && typeof e.value === 'string' && e.type !== 0 && e.type !== 8) into.add(e.value);
    if ('options' in e) for (const option of Object.values(e.options)) argumentsOf(option.value, into);
  }
  return into;
}

describe('the language catalogs', () => {
  it('translate every text the UI says', () => {
    const used = literals(['renderer/src'], 't');
    expect(used.size).toBeGreaterThan(300);
    for (const [lang, catalog] of Object.entries(CATALOGS))
      expect(
        [...used].filter((text) => catalog[text] === undefined),
        lang,
      ).toEqual([]);
  });

  it('translate every message the core says', () => {
    const said = literals(['main', 'common'], 'msg');
    for (const [lang, catalog] of Object.entries(CATALOGS))
      expect(
        [...said].filter((text) => catalog[text] === undefined),
        lang,
      ).toEqual([]);
  });

  it("hold well-formed messages with the English text's parameters", () => {
    for (const [lang, catalog] of Object.entries(CATALOGS)) {
      for (const [english, translation] of Object.entries(catalog)) {
        const want = [...argumentsOf(parse(english, { ignoreTag: true }))].sort();
        expect([...argumentsOf(parse(translation, { ignoreTag: true }))].sort(), `${lang}: ${english}`).toEqual(want);
      }
    }
  });
});
