import { spawn } from 'node:child_process';
import type { ArchiveCore } from '../core/archive-core.ts';
import { msg } from '../../common/message.ts';

/**
 * Outside programs that converters and scripts run (`system`, `process with`, a program as an export converter,
 * io.popen): only where the admin set AllowExternalCommands = 1, through the system's shell in the data folder, each
 * run written to the audit trail with its command line and outcome.
 */

/** Whether `converter` may run `what`; when not, the refusal is logged and put on the Monitor. */
export function externalAllowed(core: ArchiveCore, converter: string, what: string): boolean {
  if (core.settings.allowExternalCommands) return true;
  core.child('converters').error(`${converter}: "${what}" not run: AllowExternalCommands is 0`);
  core.activity.problem(msg('{converter}: an outside program was not run (AllowExternalCommands = 0)', { converter }));
  return false;
}

/** How a run ended: its exit code, 'timeout' (killed when its time ran out) or 'signal' (ended by another). */
export interface ProgramRun {
  exit: number | 'timeout' | 'signal';
  /** What it wrote to its standard output, at most MAX_OUTPUT bytes, when asked to capture it. */
  output: string;
}

/** The most of a program's output kept. */
const MAX_OUTPUT = 1 << 20;

/**
 * `line` through the shell in the data folder; audited as `user`, the detail `label` + line + outcome. `timeoutMs`
 * kills it when it runs longer; `capture` keeps its output. Rejects only when it cannot be started.
 */
export function runProgram(
  core: ArchiveCore,
  line: string,
  options: { user: string; label?: string; timeoutMs?: number; capture?: boolean },
): Promise<ProgramRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(line, {
      shell: true,
      cwd: core.dataDir,
      stdio: ['ignore', options.capture ? 'pipe' : 'ignore', 'ignore'],
      windowsHide: true,
    });
    const parts: Buffer[] = [];
    let size = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (size < MAX_OUTPUT) parts.push(chunk.subarray(0, MAX_OUTPUT - size));
      size += chunk.length;
    });
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const exit = timedOut ? 'timeout' : (code ?? 'signal');
      core.audit.record({
        action: 'converter-command',
        user: options.user,
        source: 'converters',
        outcome: exit === 0 ? 'success' : 'failure',
        detail: `${options.label ?? ''}${line} -> ${exit === 'timeout' ? 'out of time' : `exit ${exit}`} in ${Date.now() - started} ms`,
      });
      resolve({ exit, output: Buffer.concat(parts).toString('utf8') });
    });
  });
}
