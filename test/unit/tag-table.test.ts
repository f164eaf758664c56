import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tag } from '../../main/dicom/tags.ts';
import { keywordTag } from '../../main/dicom/dictionary.ts';

/**
 * One table of named tags (issue 29.3): every entry of main/dicom/tags.ts is the tag the data dictionary gives its
 * keyword, and no other file of main/ writes a tag as an 8-digit number in its code. Likewise the standard's UIDs
 * (SOP classes, transfer syntaxes) come from common/uids.ts, in the core, the UI and the tests' fixtures (29.4).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** 8-digit numbers that are no tags: the undefined length, and Windows' SIO_TCP_SET_ACK_FREQUENCY ioctl code. */
const NOT_TAGS = new Set(['0xffffffff', '0x98000017']);

describe('the tag table', () => {
  it('names each tag by its PS3.6 keyword', () => {
    const wrong = Object.entries(Tag)
      .filter(([name, tag]) => keywordTag(name)?.tag !== tag)
      .map(([name]) => name);
    expect(wrong).toEqual([]);
    expect(Object.keys(Tag).length).toBeGreaterThan(200);
  });

  it('is where main/ takes every tag from: no tag written as a number elsewhere', () => {
    const files = readdirSync(path.join(ROOT, 'main'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => path.join(e.parentPath, e.name))
      .filter((f) => !/dicom[\\/](tags|dictionary)\.ts$/.test(f));
    const bare: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/|\/\*)/.test(line)) return;
          const code = line.replace(/\/\/.*$/, '');
          for (const m of code.matchAll(/\b0x[0-9a-fA-F]{8}\b/g)) {
            if (!NOT_TAGS.has(m[0].toLowerCase())) bare.push(`${path.relative(ROOT, file)}:${i + 1} ${m[0]}`);
          }
        });
    }
    expect(bare).toEqual([]);
  });

  it("leaves the standard's UIDs to common/uids.ts: none written out in main/, renderer/src/ or test/helpers/", () => {
    const written: string[] = [];
    for (const dir of ['main', 'renderer/src', 'test/helpers']) {
      const files = readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
        .map((e) => path.join(e.parentPath, e.name));
      for (const file of files) {
        // A prefix ending in a dot ('1.2.840.10008.5.1.4.1.1.': every storage class) is a rule, not a UID.
        for (const m of readFileSync(file, 'utf8').matchAll(/['"`](1\.2\.840\.10008\.[0-9.]*[0-9])['"`]/g))
          written.push(`${path.relative(ROOT, file)} ${m[1]}`);
      }
    }
    expect(written).toEqual([]);
  });
});
