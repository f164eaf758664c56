import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedConfig } from '../../main/config/load.ts';
import { filesUnder, serveCli, setIniKey } from '../helpers/cli-server.ts';
import { run } from '../helpers/dcmtk.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

/**
 * A storage folder lost while the archive was stopped (its disk replaced by an empty one), rebuilt by `cli.ts regen`
 * from its mirror (issue 33.4): every file copied back byte for byte, then indexed, and the archive answers for them.
 */
describe('regen rebuilds a lost storage folder from its mirror', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-mirror-regen-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('copies back what the folder lacks, and indexes it', async () => {
    const data = path.join(work, 'data');
    await seedConfig(path.join(data, 'config'));
    await setIniKey(data, 'MIRRORDevices', '1');
    await setIniKey(data, 'MIRRORDevice0', 'mirror');
    const files = await writeImages(
      path.join(work, 'sent'),
      [1, 2, 3].map(() => makeImage({ patientId: 'REBUILT', rows: 16, columns: 16 })),
    );
    const first = serveCli(data);
    const { port } = await first.started;
    const ae = /LISTENING (\S+)/.exec(first.output())![1]!;
    expect((await run('storescu', ['-aec', ae, '127.0.0.1', String(port), ...files])).code).toBe(0);
    first.child.kill('SIGTERM');
    await first.exited;
    const mirrored = (await filesUnder(path.join(data, 'mirror'))).sort();
    expect(mirrored).toHaveLength(3);

    await rm(path.join(data, 'storage'), { recursive: true, force: true });
    const regen = await run(process.execPath, [CLI, 'regen', '--data', data]);
    expect(regen.code, regen.stderr).toBe(0);
    expect(regen.stdout).toMatch(/regen: 3 file\(s\) \(3 copied back from the mirror\), 3 indexed, 0 skipped/);
    const rebuilt = (await filesUnder(path.join(data, 'storage'))).sort();
    expect(rebuilt.map((f) => path.relative(path.join(data, 'storage'), f))).toEqual(
      mirrored.map((f) => path.relative(path.join(data, 'mirror'), f)),
    );
    for (const [n, f] of rebuilt.entries()) expect((await readFile(f)).equals(await readFile(mirrored[n]!))).toBe(true);

    const again = serveCli(data);
    try {
      const { port: p } = await again.started;
      const found = await findscu(p, ae, ['-S'], ['QueryRetrieveLevel=IMAGE', 'PatientID=REBUILT', 'SOPInstanceUID']);
      expect(found.answers).toHaveLength(3);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  }, 120_000);
});
