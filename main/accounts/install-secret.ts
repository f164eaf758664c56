import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const SECRET_FILE = 'api-secret';

/** The install's API secret: made once, kept readable by its owner only in the data folder. */
export async function apiSecret(dataDir: string): Promise<string> {
  const existing = await readFile(path.join(dataDir, SECRET_FILE), 'utf8').catch(() => '');
  if (/^[0-9a-f]{64}$/.test(existing.trim())) return existing.trim();
  return newApiSecret(dataDir);
}

/**
 * A new secret in place of the old one (`rotate-secret`): written to a temporary file readable by its owner only, then
 * renamed over the old one, so that the file never holds half a secret.
 */
export async function newApiSecret(dataDir: string): Promise<string> {
  const secret = randomBytes(32).toString('hex');
  const file = path.join(dataDir, SECRET_FILE);
  await rm(`${file}.new`, { force: true });
  await writeFile(`${file}.new`, secret + '\n', { mode: 0o600 });
  await rename(`${file}.new`, file);
  return secret;
}
