import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { makeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until } from '../helpers/wait.ts';

/**
 * dicom.ini's `[lua]` hooks (Conquest's Windows manual, "association", "command", "endassociation", "clienterror";
 * dgate's startup, nightly and background), driven by echoscu as the peers: an association the script rejects is
 * refused to that peer and accepted for others, each command and each end is seen, an aborted association runs
 * clienterror, a file loaded by `require` runs at start, the background hook keeps running; a hook that does not
 * compile, names a file that is not there, or is not a hook at all is refused with its line.
 */
describe('[lua] hooks', () => {
  let archive: TestArchive;

  beforeAll(async () => {
    archive = await startArchive();
    const config = path.join(archive.dataDir, 'config');
    await writeFile(
      path.join(config, 'hooks.lua'),
      "print('started as', Association.Called)\nfunction greet(ae) return 'hello ' .. ae end\n",
    );
    await appendFile(
      path.join(config, 'dicom.ini'),
      [
        '',
        '[lua]',
        "startup = require('hooks')",
        "association = if Association.Calling == 'BLOCKED' then reject() end print('association from', Association.Calling, Association.ConnectedIP)",
        "command = print('command', Command.CommandField, Association.Calling)",
        "endassociation = print('end of', Association.Calling)",
        "clienterror = print('client error from', Association.Calling)",
        "background = ticks = (ticks or 0) + 1 if ticks == 2 then print('background ran twice') end",
        '',
      ].join('\n'),
    );
    await archive.restart();
  });
  afterAll(async () => {
    await archive?.stop();
  });

  const echo = (callingAe: string, ...extra: string[]) =>
    run('echoscu', ['-aet', callingAe, '-aec', archive.aeTitle, ...extra, '127.0.0.1', String(archive.port)]);

  it('runs the startup file once the archive serves, and the background hook again and again', async () => {
    expect(archive.logText()).toContain(`[lua] startup (global): started as\t${archive.aeTitle}`);
    await until('the background hook ran twice', () => archive.logText().includes('background ran twice'));
  });

  it("refuses an association its script rejects, and sees each command and each end of the others'", async () => {
    const refused = await echo('BLOCKED');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/Association Rejected/i);
    const accepted = await echo('FRIEND');
    expect(accepted.code).toBe(0);
    await until('the end of the association was seen', () => archive.logText().includes('end of\tFRIEND'));
    const log = archive.logText();
    expect(log).toContain('association from\tFRIEND\t127.0.0.1');
    // C-ECHO-RQ is command field 0x0030.
    expect(log).toContain('command\t48\tFRIEND');
    expect(log).not.toContain('command\t48\tBLOCKED');
    expect(log).not.toContain('client error from\tFRIEND');
  });

  it('runs clienterror when a peer aborts instead of releasing', async () => {
    expect((await echo('ABORTER', '--abort')).code).toBe(0);
    await until('clienterror ran', () => archive.logText().includes('client error from\tABORTER'));
  });

  it('refuses a [lua] section with a hook that does not compile, a missing file, or a key that is no hook', async () => {
    const settings = await apiFetch(archive, 'GET', '/api/settings');
    const text = ((await settings.json()) as { text: string }).text;
    for (const [line, reason] of [
      ["nightly = print('x'", "[lua] nightly: Lua: [lua] nightly:1: ')' expected"],
      ["nightly = require('nothere')", '[lua] nightly: no file nothere.lua beside dicom.ini'],
      ["printserver = print('x')", '[lua] printserver: not a hook this version runs'],
    ]) {
      const saved = await apiFetch(archive, 'PUT', '/api/settings', { text: `${text}\n${line}\n` });
      expect(saved.status).toBe(400);
      expect(JSON.stringify(await saved.json())).toContain(reason);
    }
  });

  it("lets the converters use what the startup and association hooks define, as Conquest's association state does", async () => {
    await archive.setIni('ImportConverter0', 'lua "Data.InstitutionName = greet(Association.Calling)"');
    const image = makeImage({ rows: 8, columns: 8 });
    const work = await mkdtemp(path.join(tmpdir(), 'pacs-lua-hooks-'));
    try {
      expect((await storeAs(archive, 'FRIEND', [image], work)).code).toBe(0);
      const row = (await archive.server.index.findInstance(image.sopUid))!;
      expect(await dumpDataSet(archive.server.store.absolutePath(row.location))).toContain(
        '(0008,0080) LO [hello FRIEND]',
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
