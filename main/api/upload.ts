import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { importPath, type ImportResult } from '../importer.ts';
import type { ArchiveService } from './services.ts';

/**
 * An object uploaded from the UI (a browser has no path to give, and the API reads no path it is given): the request
 * body, one Part-10 file, goes to a temporary file in the data folder and is imported as a file from a CD would be
 * (checked, stored through the ingest, the duplicate policy applied), then the temporary file is removed.
 */
export async function importUpload(archive: ArchiveService, req: http.IncomingMessage, name: string): Promise<ImportResult> {
  const dir = archive.uploadDir();
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${randomUUID()}.dcm`);
  try {
    await pipeline(req, createWriteStream(file));
    const result = await importPath(file, archive.importTarget(), 'copy');
    // Reported by the name the user picked, not our temporary one.
    return { ...result, skipped: result.skipped.map((x) => ({ ...x, file: name })) };
  } finally {
    await rm(file, { force: true });
  }
}
