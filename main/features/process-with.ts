import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { ExternalRunner } from '../automation/converter-run.ts';
import { ConverterFailed } from '../automation/converter-steps.ts';
import { objectBytesWith, objectHeadOf, writeObjectWith, type ObjectHead } from '../edit/object-rewrite.ts';
import { externalAllowed, runProgram } from './outside-programs.ts';

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
  return async (command, result, line) => {
    const converter = name(line);
    if (!externalAllowed(core, converter, `process with ${command}`)) return;
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-process-with-'));
    try {
      const file = path.join(dir, 'object.dcm');
      const { head, held } = source.current;
      if (held) await writeFile(file, objectBytesWith(held, head, result.dataSet));
      else await writeObjectWith(source.current.file, head, result.dataSet, file, false);
      const { exit } = await runProgram(core, `${command} "${file}"`, {
        user: converter,
        label: 'process with ',
        timeoutMs: core.settings.luaTimeoutSeconds * 1000,
      }).catch((err: Error) => {
        throw new ConverterFailed(`process with: ${err.message}`);
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
