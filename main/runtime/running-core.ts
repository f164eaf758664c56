import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { newApiSecret } from '../accounts/install-secret.ts';
import { processAlive } from '../util/process-alive.ts';

/**
 * The running core of a data folder, as others find it: `serve` writes DATA/server.json (process, AE title, ports, the
 * API's address) when it listens and removes it when it stops. The desktop window attaches to a core that runs (a
 * Windows service, a systemd unit) instead of starting a second one on the same data; `cli.ts stop` (what a service
 * manager runs to stop the service, and what works where signals do not, as on Windows) asks it to stop through the
 * API with the install's secret, from this computer.
 */

export const CORE_FILE = 'server.json';

export interface CoreRecord {
  pid: number;
  aeTitle: string;
  dicomPort: number;
  apiUrl: string;
  startedAt: string;
}

export async function writeCoreRecord(dataDir: string, record: CoreRecord): Promise<void> {
  await writeFile(path.join(dataDir, CORE_FILE), JSON.stringify(record, null, 2) + '\n');
}

export async function removeCoreRecord(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, CORE_FILE), { force: true });
}

/** A request to the local core's API with the install's secret (trusting its own HTTPS certificate, if it has one). */
async function localRequest(
  dataDir: string,
  url: string,
  secret: string,
  method: 'GET' | 'POST',
  timeoutMs: number,
): Promise<number> {
  return (await localAnswer(dataDir, url, secret, method, timeoutMs)).status;
}

/** Like localRequest, with the answer's body. */
async function localAnswer(
  dataDir: string,
  url: string,
  secret: string,
  method: 'GET' | 'POST',
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const secure = url.startsWith('https:');
  const ca = secure ? await readFile(path.join(dataDir, 'https', 'certificate.pem')).catch(() => undefined) : undefined;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      { method, ca, headers: secret ? { authorization: `Bearer ${secret}` } : {}, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The core DATA/server.json names, when its process still runs, and the install's secret ('' when this user cannot read it). */
async function coreOnRecord(dataDir: string): Promise<{ record: CoreRecord; secret: string } | undefined> {
  const record = JSON.parse(
    await readFile(path.join(dataDir, CORE_FILE), 'utf8').catch(() => 'null'),
  ) as CoreRecord | null;
  if (!record || !processAlive(record.pid)) return undefined;
  const secret = (await readFile(path.join(dataDir, 'api-secret'), 'utf8').catch(() => '')).trim();
  return { record, secret };
}

/** The core serving `dataDir`, if one runs and answers with this folder's secret. */
export async function findRunningCore(
  dataDir: string,
  timeoutMs = 2000,
): Promise<{ record: CoreRecord; secret: string } | undefined> {
  const found = await coreOnRecord(dataDir);
  if (!found?.secret) return undefined;
  const { record, secret } = found;
  const status = await localRequest(dataDir, `${record.apiUrl}/api/session`, secret, 'GET', timeoutMs).catch(() => 0);
  return status === 200 ? { record, secret } : undefined;
}

/**
 * The running core's /metrics (features/metrics.ts), asked with the install's secret where this user may read it (so
 * an API on a network address answers too); undefined when no core runs on `dataDir`.
 */
export async function metricsOfRunningCore(dataDir: string, timeoutMs = 10_000): Promise<string | undefined> {
  const found = await coreOnRecord(dataDir);
  if (!found) return undefined;
  const { record, secret } = found;
  const answer = await localAnswer(dataDir, `${record.apiUrl}/metrics`, secret, 'GET', timeoutMs);
  if (answer.status !== 200) throw new Error(`/metrics answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  return answer.body;
}

/** Ask the core of `dataDir` to stop, and wait until its process has ended (or `timeoutMs` passed). */
export async function stopRunningCore(
  dataDir: string,
  timeoutMs = 30_000,
): Promise<'stopped' | 'not running' | 'still running'> {
  const core = await findRunningCore(dataDir);
  if (!core) return 'not running';
  const status = await localRequest(dataDir, `${core.record.apiUrl}/api/shutdown`, core.secret, 'POST', 5000);
  if (status !== 200) throw new Error(`the core (process ${core.record.pid}) refused to stop: HTTP ${status}`);
  const deadline = Date.now() + timeoutMs;
  while (processAlive(core.record.pid)) {
    if (Date.now() > deadline) return 'still running';
    await new Promise((r) => setTimeout(r, 100));
  }
  return 'stopped';
}

/** A sign-in link from the core of `dataDir` (for this computer's browser, once, within 10 minutes). */
export async function signInLinkOfRunningCore(dataDir: string): Promise<string | undefined> {
  const core = await findRunningCore(dataDir);
  if (!core) return undefined;
  const answer = await localAnswer(dataDir, `${core.record.apiUrl}/api/sign-in-link`, core.secret, 'POST', 5000);
  if (answer.status !== 200)
    throw new Error(`the core (process ${core.record.pid}) made no sign-in link: HTTP ${answer.status} ${answer.body}`);
  return (JSON.parse(answer.body) as { url: string }).url;
}

/** Replace the install's secret: through the running core (which takes the new one at once), or in the file. */
export async function rotateSecret(dataDir: string): Promise<'running core' | 'file'> {
  const core = await findRunningCore(dataDir);
  if (!core) {
    await newApiSecret(dataDir);
    return 'file';
  }
  const answer = await localAnswer(dataDir, `${core.record.apiUrl}/api/rotate-secret`, core.secret, 'POST', 5000);
  if (answer.status !== 200)
    throw new Error(
      `the core (process ${core.record.pid}) did not replace its secret: HTTP ${answer.status} ${answer.body}`,
    );
  return 'running core';
}
