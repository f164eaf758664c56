import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import { serveCli } from '../helpers/cli-server.ts';
import { findRunningCore } from '../../main/runtime/running-core.ts';
import { chooseDesktopCore, machineDataDir } from '../../main/runtime/data-location.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

/**
 * Every way the program is ended stops the core cleanly (jobs saved, index closed, the core's record removed): `stop`
 * (what a Windows service manager runs, since no signal reaches a service there), SIGHUP (a closed console window or a
 * logoff on Windows; a closed terminal), and the others; the desktop window finds a running core to attach to.
 */
describe('stopping the headless core', () => {
  it('is found by the desktop window while it runs, stops on `stop`, and comes back with nothing lost', async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'pacs-stop-'));
    try {
      const first = serveCli(data);
      const { port } = await first.started;
      const core = await findRunningCore(data);
      expect(core?.record).toMatchObject({ pid: first.child.pid, aeTitle: 'PACSWS', dicomPort: port });
      // The desktop window attaches to it rather than running a second core on the same data.
      const choose = (running: boolean) =>
        chooseDesktopCore({
          machineDir: data,
          userDir: '/home/someone/data',
          running: (dir) => (running ? findRunningCore(dir) : Promise.resolve(undefined)),
          writable: async () => false,
        });
      expect(await choose(true)).toEqual({
        kind: 'attach',
        dataDir: data,
        apiUrl: core!.record.apiUrl,
        secret: core!.secret,
      });
      const files = await writeImages(
        path.join(data, 'sent'),
        [1, 2, 3].map((i) =>
          makeImage({ patientId: 'STOP1', studyUid: '1.2.826.0.1.3680043.8.498.77', instanceNumber: i }),
        ),
      );
      expect((await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(port), ...files])).code).toBe(0);
      const stopped = await cli(['stop', '--data', data]);
      expect(stopped).toEqual({ code: 0, out: 'stop: the archive has stopped\n' });
      await first.exited;
      expect(first.child.exitCode).toBe(0);
      expect(first.output()).toMatch(/stop asked through the API: stopping/);
      await expect(access(path.join(data, 'server.json'))).rejects.toThrow();
      // The index was closed cleanly: SQLite left no write-ahead log behind.
      await expect(access(path.join(data, 'index', 'archive.db3-wal'))).rejects.toThrow();
      expect(await findRunningCore(data)).toBeUndefined();
      expect(await choose(true)).toEqual({ kind: 'run', dataDir: '/home/someone/data' });
      expect(
        await chooseDesktopCore({
          machineDir: data,
          userDir: '/x',
          running: findRunningCore,
          writable: async () => true,
        }),
      ).toEqual({ kind: 'run', dataDir: data });
      expect(machineDataDir('win32', { ProgramData: 'D:\\ProgramData' })).toBe('D:\\ProgramData\\PACS Workstation');
      expect(machineDataDir('linux', {})).toBe('/var/lib/pacs-workstation');
      expect(await cli(['stop', '--data', data])).toEqual({ code: 0, out: `stop: no archive runs on ${data}\n` });

      const second = serveCli(data);
      const again = await second.started;
      const found = await run('findscu', [
        '-S',
        '-aec',
        'PACSWS',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        'PatientID=STOP1',
        '-k',
        'NumberOfStudyRelatedInstances',
        '127.0.0.1',
        String(again.port),
      ]);
      expect(found.stdout + found.stderr, found.stdout + found.stderr).toMatch(/\(0020,1208\) IS \[3 \]/);
      second.child.kill('SIGHUP');
      await second.exited;
      expect(second.child.exitCode).toBe(0);
      expect(second.output()).toMatch(/SIGHUP: stopping/);
      await expect(access(path.join(data, 'server.json'))).rejects.toThrow();
      const audit = await readFile(path.join(data, 'index', 'archive.db3'), 'latin1');
      expect(audit).toContain('application-stop');
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
