import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The install's API secret: made once, kept readable by its owner only in the data folder. */
export async function apiSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'api-secret');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (/^[0-9a-f]{64}$/.test(existing.trim())) return existing.trim();
  const secret = randomBytes(32).toString('hex');
  await writeFile(file, secret + '\n', { mode: 0o600 });
  return secret;
}
