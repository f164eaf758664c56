import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './storescp.ts';

/**
 * Debian's Orthanc with its DICOMweb plugin as a real peer, on free ports, with its own storage, and with our archive's
 * DICOMweb root as its DICOMweb server "ours". Orthanc 1.10 has no bind-address setting: it listens on every interface
 * but, with RemoteAccessAllowed false, answers only requests from this computer.
 */
export interface RunningOrthanc {
  url: string;
  dicomPort: number;
  /** Orthanc's REST API: a JSON answer, or the raw bytes. */
  rest<T = unknown>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T>;
  bytes(route: string): Promise<Buffer>;
  stop(): Promise<void>;
}

export const ORTHANC = '/usr/sbin/Orthanc';
const PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** `extra`: more of Orthanc's configuration (DicomModalities, ...), merged over ours; `env` its environment. */
export async function startOrthanc(
  ours: { url: string; secret: string },
  extra: Record<string, unknown> = {},
  env = process.env,
): Promise<RunningOrthanc> {
  const dir = await mkdtemp(path.join(tmpdir(), 'orthanc-'));
  const httpPort = await freePort();
  const dicomPort = typeof extra.DicomPort === 'number' ? extra.DicomPort : await freePort();
  const config = {
    Name: 'TESTORTHANC',
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: 'ORTHANC',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'storage'),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpTimeout: 60,
    Plugins: [PLUGIN],
    DicomWeb: {
      Enable: true,
      Root: '/dicom-web/',
      EnableWado: false,
      Servers: { ours: { Url: `${ours.url}/`, HttpHeaders: { Authorization: `Bearer ${ours.secret}` } } },
    },
    ...extra,
  };
  const file = path.join(dir, 'orthanc.json');
  await writeFile(file, JSON.stringify(config));
  let output = '';
  const proc = spawn(ORTHANC, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => {
    output += d;
  });
  proc.stderr!.on('data', (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`Orthanc exited: ${output.slice(-2000)}`);
    const up = await fetch(`${url}/system`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 600) throw new Error(`Orthanc did not answer on ${httpPort}: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const call = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${url}${route}`, {
      method,
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`Orthanc ${method} ${route}: ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    url,
    dicomPort,
    rest: async <T>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown) =>
      (await (await call(method, route, body)).json()) as T,
    bytes: async (route) => Buffer.from(await (await call('GET', route)).arrayBuffer()),
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill();
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
