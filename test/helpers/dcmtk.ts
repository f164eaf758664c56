import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fail loudly when a DCMTK tool (or another peer, by its full path) is missing: these tests never pass empty. */
export function requireTool(name: string): string {
  if (path.isAbsolute(name)) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      throw new Error(`${name} not found: install its Debian package (scripts/test-deps.sh lists them); .ci/run does`);
    }
  }
  // Windows: PATH is separated by ";" and programs end in ".exe".
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const n of names) {
      const candidate = path.join(dir, n);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        /* next */
      }
    }
  }
  throw new Error(`${name} not found on PATH: install DCMTK (Debian package "dcmtk"); .ci/run does`);
}

export function run(tool: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const bin = requireTool(tool);
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as NodeJS.ErrnoException).code === 'number'
          ? Number((err as NodeJS.ErrnoException).code)
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** dcmdump of the data set only, with length and encoding annotations removed so equal content compares equal. */
export async function dumpDataSet(file: string): Promise<string> {
  const r = await run('dcmdump', ['-q', '+L', file]);
  if (r.code !== 0) throw new Error(`dcmdump ${file} failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('(') || l.startsWith(' '))
    .filter((l) => !l.trimStart().startsWith('(0002,'))
    .map((l) =>
      l
        .replace(/\((Sequence|Item) with (explicit|undefined) length #=(\d+)\)/, '($1 #=$3)')
        .replace(/ for re-encod(ing|\.)/, '')
        .replace(/\s+# .*$/, ''),
    )
    .join('\n');
}

/** The Transfer Syntax UID in a file's meta header, as DCMTK reads it. */
export async function transferSyntaxOf(file: string): Promise<string> {
  const r = await run('dcmdump', ['-q', '-Un', '+P', '0002,0010', file]);
  return /\[([0-9.]+)\]/.exec(r.stdout)?.[1] ?? '';
}
