import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, mkdir, writeFile, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import { until } from '../helpers/wait.ts';
import { TransferSyntax } from '../../common/uids.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

function serve(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /LISTENING \S+ (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  listening.catch(() => undefined); // a test that expects the exit does not wait for LISTENING
  return { child, exited, listening, output: () => out + err };
}

/** The headless server as the README starts it. */
describe('serve (headless)', () => {
  it('starts on its defaults in a fresh data folder, answers C-ECHO, and stops on SIGTERM', async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'pacs-cli-'));
    try {
      const s = serve(['--data', data, '--port', '0', '--api-port', '0', '--listen', '127.0.0.1']);
      const port = await s.listening;
      // The API's address and where the secret is, and a one-time sign-in link: never the secret itself (issue 30.4).
      const API_LINE = /API (http:\/\/127\.0\.0\.1:\d+\/) \(the local administrator's secret is in (.+)\)/;
      const SIGN_IN = /SIGN-IN (http:\/\/127\.0\.0\.1:\d+\/)\?signin=([\w-]+) /;
      await until(
        'the API address and the sign-in link are printed',
        () => API_LINE.test(s.output()) && SIGN_IN.test(s.output()),
      );
      const [, base, secretFile] = API_LINE.exec(s.output())!;
      expect(secretFile).toBe(path.join(data, 'api-secret'));
      const secret = (await readFile(secretFile!, 'utf8')).trim();
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(s.output()).not.toContain(secret);
      const status = await fetch(`${base}api/status`, { headers: { authorization: `Bearer ${secret}` } });
      expect(await status.json()).toMatchObject({ aeTitle: 'PACSWS', dicomPort: port });
      expect((await fetch(`${base}api/status`)).status).toBe(401);
      expect((await fetch(`${base}api/status?token=${secret}`)).status).toBe(401);
      // The sign-in link's code is traded once, on this computer, for a session of the local administrator in an
      // HttpOnly cookie: the page never holds the secret.
      const code = SIGN_IN.exec(s.output())![2];
      const trade = () =>
        fetch(`${base}api/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code }),
        });
      const traded = await trade();
      expect(traded.status).toBe(200);
      expect(await traded.json()).toEqual({ signedIn: true });
      const localCookie = /^(pacs_session=[\w-]+);.*HttpOnly/.exec(traded.headers.get('set-cookie') ?? '')?.[1];
      expect(localCookie).toBeDefined();
      expect(
        JSON.stringify(await (await fetch(`${base}api/session`, { headers: { cookie: localCookie! } })).json()),
      ).toMatch(/"local":true/);
      expect((await fetch(`${base}api/status`, { headers: { cookie: localCookie! } })).status).toBe(200);
      expect((await trade()).status).toBe(403);
      expect(await readFile(path.join(data, 'config', 'dicom.ini'), 'utf8')).toMatch(/MyACRNema\s+= PACSWS/);
      const echo = await run('echoscu', ['-aec', 'PACSWS', '127.0.0.1', String(port)]);
      expect(echo.code, echo.stderr).toBe(0);

      // Another sign-in link from the running archive; the secret replaced while it runs (the old one refused at once).
      const link = await run(process.execPath, [CLI, 'sign-in-link', '--data', data]);
      expect(link.code, link.stderr).toBe(0);
      expect(link.stdout).toMatch(SIGN_IN);
      expect(link.stdout).not.toContain(secret);
      const rotated = await run(process.execPath, [CLI, 'rotate-secret', '--data', data]);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/in force at once in the running archive/);
      const fresh = (await readFile(secretFile!, 'utf8')).trim();
      expect(fresh).toMatch(/^[0-9a-f]{64}$/);
      expect(fresh).not.toBe(secret);
      expect((await fetch(`${base}api/status`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
      expect((await fetch(`${base}api/status`, { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(200);
      // The browser sessions the old secret's sign-in links opened end with it.
      expect((await fetch(`${base}api/status`, { headers: { cookie: localCookie! } })).status).toBe(401);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      // Stopped: rotate-secret writes the file, sign-in-link says nothing runs.
      expect((await run(process.execPath, [CLI, 'rotate-secret', '--data', data])).stdout).not.toMatch(
        /running archive/,
      );
      expect((await readFile(secretFile!, 'utf8')).trim()).not.toBe(fresh);
      const none = await run(process.execPath, [CLI, 'sign-in-link', '--data', data]);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/no archive runs on/);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it('refuses a bad dicom.ini with the line and the reason', async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'pacs-cli-'));
    try {
      await mkdir(path.join(data, 'config'));
      await writeFile(path.join(data, 'config', 'dicom.ini'), '[sscscp]\nMyACRNema = OK\nTCPPort = eleven\n');
      const s = serve(['--data', data]);
      expect(await s.exited).toBe(1);
      expect(s.output()).toMatch(/configuration refused:\n.*dicom.ini:3: TCPPort: "eleven" is not a whole number/);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it('imports a folder from the command line, compressed as DroppedFileCompression says, before it exits', async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'pacs-cli-'));
    try {
      await mkdir(path.join(data, 'config'));
      await writeFile(path.join(data, 'config', 'dicom.ini'), '[sscscp]\nDroppedFileCompression = js\n');
      const images = [makeImage({ patientId: 'CLI1' }), makeImage({ patientId: 'CLI2' })];
      const folder = path.join(data, 'cd');
      await writeImages(folder, images);
      const r = await runCli(['import', folder, '--data', data]);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/import: 2 file\(s\), 2 imported/);
      const stored = await findFiles(path.join(data, 'storage'));
      expect(stored).toHaveLength(2);
      for (const f of stored) expect(await transferSyntaxOf(f)).toBe(TransferSyntax.JpegLsLossless);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});

function runCli(args: string[]): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, output })));
}

async function findFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.dcm')).map((e) => path.join(e.parentPath, e.name));
}
