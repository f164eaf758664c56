import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, link, lstat, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore, type LinkMakers } from '../../main/store/file-store.ts';
import { compileLayout } from '../../main/store/layout.ts';
import { Logger } from '../../main/util/log.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';

/**
 * Import by link on a Windows account that may not make symbolic links: the file system's own calls, except that a
 * symbolic link fails with EPERM as Windows answers then (and a hard link with EXDEV, as across volumes).
 */
describe('linking objects in place without the right to symbolic links', () => {
  let dir: string;
  let store: FileStore;
  const header = (n: number) =>
    ({
      patientId: 'L1',
      studyInstanceUid: '1.2',
      seriesInstanceUid: '1.2.3',
      sopInstanceUid: `1.2.3.${n}`,
    }) as InstanceHeader;
  const refuse = (code: string) => async () => {
    throw Object.assign(new Error(`${code}: operation not permitted`), { code });
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pacs-link-'));
    store = new FileStore(
      { devices: [path.join(dir, 'storage')], layout: compileLayout('%id/%sopuid.dcm'), thresholdMB: 0 },
      new Logger().child('store'),
    );
    await store.open();
    await writeFile(path.join(dir, 'object.dcm'), 'the object');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a symbolic link where it may, else a hard link on the same volume, else a copy', async () => {
    const source = path.join(dir, 'object.dcm');
    const linked = await store.link(source, header(1));
    expect(linked.how).toBe('symlink');
    expect((await lstat(store.absolutePath(linked.location))).isSymbolicLink()).toBe(true);

    const noSymlinks: LinkMakers = {
      symlink: refuse('EPERM'),
      link: (t, f) => link(t, f),
      copyFile: (t, f) => copyFile(t, f),
    };
    const hard = await store.link(source, header(2), noSymlinks);
    expect(hard.how).toBe('hardlink');
    expect((await stat(store.absolutePath(hard.location))).ino).toBe((await stat(source)).ino);

    const otherVolume: LinkMakers = { ...noSymlinks, link: refuse('EXDEV') };
    const copied = await store.link(source, header(3), otherVolume);
    expect(copied.how).toBe('copy');
    expect(await readFile(store.absolutePath(copied.location), 'utf8')).toBe('the object');
    expect((await stat(store.absolutePath(copied.location))).ino).not.toBe((await stat(source)).ino);

    await expect(store.link(source, header(4), { ...noSymlinks, symlink: refuse('ENOENT') })).rejects.toThrow('ENOENT');
  });
});
