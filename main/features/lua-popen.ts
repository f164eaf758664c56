import { spawn } from 'node:child_process';
import type { ArchiveCore } from '../core/archive-core.ts';

/** The most of a program's output io.popen gives a script. */
const MAX_OUTPUT = 1 << 20;

/**
 * io.popen: a command line through the system's shell in the data folder, its output (at most 1 MB) when it exits,
 * within LuaTimeout; only where AllowExternalCommands = 1, and audited as a converter's `system` is.
 */
export function programOutput(core: ArchiveCore, command: string): Promise<string> {
  if (!core.settings.allowExternalCommands)
    return Promise.reject(new Error('io.popen runs a program only where AllowExternalCommands = 1'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      cwd: core.dataDir,
      stdio: ['ignore', 'pipe', 'ignore'],
      windowsHide: true,
    });
    const parts: Buffer[] = [];
    let size = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (size < MAX_OUTPUT) parts.push(chunk.subarray(0, MAX_OUTPUT - size));
      size += chunk.length;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), core.settings.luaTimeoutSeconds * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      core.audit.record({
        action: 'converter-command',
        user: 'lua',
        source: 'converters',
        outcome: code === 0 ? 'success' : 'failure',
        detail: `io.popen ${command} -> ${signal ? `ended (${signal})` : `exit ${code}`} in ${Date.now() - started} ms`,
      });
      if (signal) reject(new Error(`${command}: ran longer than ${core.settings.luaTimeoutSeconds} s (LuaTimeout)`));
      else resolve(Buffer.concat(parts).toString('utf8'));
    });
  });
}
