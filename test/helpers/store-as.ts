import path from 'node:path';
import { run, type RunResult } from './dcmtk.ts';
import { uid, writeImages, type MadeImage } from './fixtures.ts';

/**
 * storescu (verbose: its log has each Store Response) sending `images` to an archive as `callingAe`, a modality of
 * that AE title; the files are written to a fresh folder under `folder`.
 */
export async function storeAs(
  to: { aeTitle: string; port: number },
  callingAe: string,
  images: MadeImage[],
  folder: string,
): Promise<RunResult> {
  return run('storescu', [
    '-v',
    '-aet',
    callingAe,
    '-aec',
    to.aeTitle,
    '127.0.0.1',
    String(to.port),
    ...(await writeImages(path.join(folder, uid()), images)),
  ]);
}
