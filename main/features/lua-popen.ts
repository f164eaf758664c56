import type { ArchiveCore } from '../core/archive-core.ts';
import { runProgram } from './outside-programs.ts';

/**
 * io.popen: a command line's output (at most 1 MB) when it exits, within LuaTimeout; only where
 * AllowExternalCommands = 1, and audited as a converter's `system` is (outside-programs.ts).
 */
export async function programOutput(core: ArchiveCore, command: string): Promise<string> {
  if (!core.settings.allowExternalCommands)
    throw new Error('io.popen runs a program only where AllowExternalCommands = 1');
  const { exit, output } = await runProgram(core, command, {
    user: 'lua',
    label: 'io.popen ',
    timeoutMs: core.settings.luaTimeoutSeconds * 1000,
    capture: true,
  });
  if (exit === 'timeout')
    throw new Error(`${command}: ran longer than ${core.settings.luaTimeoutSeconds} s (LuaTimeout)`);
  return output;
}
