import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { ExternalRunner } from '../automation/converter-run.ts';
import { ConverterFailed } from '../automation/converter-steps.ts';
import { objectBytesWith, objectHeadOf, writeObjectWith, type ObjectHead } from '../edit/object-rewrite.ts';
import { msg } from '../../common/message.ts';

/** An arriving object as the converters have it: its head parsed, its bytes held in memory or in its file. */
export interface ConvertedSource {
  head: ObjectHead;
  held?: readonly Uint8Array[];
  file: string;
}

/**
 * Conquest's `process with command` (import converters): the object, as the converters before it left it, is written
 * to a temporary file, `command "file"` runs (only where AllowExternalCommands = 1; audited; within LuaTimeout), and
 * the object it leaves in that file is the object from then on (`source` is updated: its bytes are held from then on,
 * its syntax may be another). A program that fails (exit code other than 0, out of time) or leaves no readable object
 * fails the converters: the object is stored as received, or refused (ConverterErrorPolicy), never half-changed.
 */
export function processWithRunner(
  core: ArchiveCore,
  source: { current: ConvertedSource },
  name: (line: number) => string,
): ExternalRunner {
  const log = core.child('converters');
  return async (command, result, line) => {
    const converter = name(line);
    if (!core.settings.allowExternalCommands) {
      log.error(`${converter}: "process with ${command}" not run: AllowExternalCommands is 0`);
      core.activity.problem(
        msg('{converter}: an outside program was not run (AllowExternalCommands = 0)', { converter }),
      );
      return;
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-process-with-'));
    try {
      const file = path.join(dir, 'object.dcm');
      const { head, held } = source.current;
      if (held) await writeFile(file, objectBytesWith(held, head, result.dataSet));
      else await writeObjectWith(source.current.file, head, result.dataSet, file, false);
      const started = Date.now();
      const line = `${command} "${file}"`;
      const exit = await runLine(line, core.dataDir, core.settings.luaTimeoutSeconds * 1000);
      core.audit.record({
        action: 'converter-command',
        user: converter,
        source: 'converters',
        outcome: exit === 0 ? 'success' : 'failure',
        detail: `process with ${line} -> ${exit === 'timeout' ? 'out of time' : `exit ${exit}`} in ${Date.now() - started} ms`,
      });
      if (exit !== 0)
        throw new ConverterFailed(
          `process with ${command}: ${exit === 'timeout' ? `ran longer than ${core.settings.luaTimeoutSeconds} s (LuaTimeout)` : `exit ${exit}`}`,
        );
      const bytes = await readFile(file);
      let processed: ObjectHead;
      try {
        processed = await objectHeadOf([bytes], 'the processed object');
      } catch (err) {
        throw new ConverterFailed(`process with ${command} left no DICOM object: ${(err as Error).message}`);
      }
      source.current = { head: processed, held: [bytes], file: source.current.file };
      result.dataSet = processed.dataSet;
      result.changed = true;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** A command line through the system's shell, in `cwd`; its exit code, or 'timeout' (it is then killed). */
function runLine(line: string, cwd: string, timeoutMs: number): Promise<number | 'timeout'> {
  return new Promise((resolve, reject) => {
    const child = spawn(line, { shell: true, cwd, stdio: 'ignore', windowsHide: true });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timeout');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new ConverterFailed(`process with: ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}
