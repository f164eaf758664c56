import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_MARKER } from '../../main/store/storage-roots.ts';
import { IniDocument } from '../../common/ini-document.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

/** The headless server as a separate process on a data folder (to be killed as a power cut would), on free ports. */
export function serveCli(data: string) {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--data', data, '--port', '0', '--api-port', '0', '--listen', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const started = new Promise<{ port: number; origin: string; token: string }>((resolve, reject) => {
    child.stdout.on('data', () => {
      const port = /LISTENING \S+ (\d+)/.exec(out);
      const api = /^API (http\S+) \(the local administrator's secret is in (.+)\)$/m.exec(out);
      if (port && api) {
        const url = new URL(api[1]!);
        void readFile(api[2]!, 'utf8').then(
          (secret) => resolve({ port: Number(port[1]), origin: url.origin, token: secret.trim() }),
          reject,
        );
      }
    });
    void exited.then(() => reject(new Error(`exited: ${out}`)));
  });
  started.catch(() => undefined);
  return { child, exited, started, output: () => out };
}

/** Set one dicom.ini key of a data folder's configuration. */
export async function setIniKey(data: string, key: string, value: string): Promise<void> {
  const file = path.join(data, 'config', 'dicom.ini');
  const ini = new IniDocument(file, await readFile(file, 'utf8'));
  ini.set('sscscp', key, value);
  await writeFile(file, ini.toString());
}

/** Every file under a folder, recursively, leaving out the storage folders' temporary folder and marker. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.name === '.incoming' || e.name === ROOT_MARKER) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}
