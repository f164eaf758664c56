import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/dcmtk.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { ALL_FEATURES } from '../../main/features/all.ts';
import { mpps } from '../../main/features/mpps.ts';
import { conformanceStatement } from '../../main/conformance/statement.ts';
import { conformanceFacts } from '../../main/conformance/facts.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));
const DOC = fileURLToPath(new URL('../../docs/conformance.md', import.meta.url));

/**
 * The conformance statement cannot drift (issue 33.6): docs/conformance.md is what `cli.ts conformance` writes for a
 * fresh installation, and what it writes comes from the running features' services, not from a list kept by hand.
 */
describe('the DICOM conformance statement', () => {
  let archive: TestArchive | undefined;
  let work: string | undefined;
  afterAll(async () => {
    await archive?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is docs/conformance.md, as cli.ts conformance writes it for a fresh installation', async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-conformance-'));
    const made = await run(process.execPath, [CLI, 'conformance', '--data', path.join(work, 'data')]);
    expect(made.code, made.stderr).toBe(0);
    const doc = await readFile(DOC, 'utf8');
    // On a difference: node main/cli.ts conformance --data "$(mktemp -d)" > docs/conformance.md, and read the diff.
    expect(made.stdout, 'docs/conformance.md is out of date: run cli.ts conformance on a fresh data folder').toBe(doc);
    expect(doc).toContain('| Modality Worklist Query | `1.2.840.10008.5.1.4.31` | C-FIND SCP | C-FIND |');
    expect(doc).toContain('| Study Root Get | `1.2.840.10008.5.1.4.1.2.2.3` | C-GET SCP | C-GET |');
    expect(doc).toMatch(/\| JPEG-LS Lossless \| `1\.2\.840\.10008\.1\.2\.4\.80` \| Yes \| Yes \| Yes \|/);
  });

  it('says what the running features provide: without the MPPS feature, no MPPS SCP', async () => {
    archive = await startArchive({}, [], 'TESTPACS', { features: ALL_FEATURES.filter((f) => f !== mpps) });
    const text = conformanceStatement(conformanceFacts(archive.server));
    expect(text).toContain('| Modality Performed Procedure Step | Yes | No |');
    expect(text).not.toContain('| MPPS SCP |');
    expect(text).toContain('| Study Root Q/R FIND, MOVE, GET | Yes | Yes |');
  });
});
