import { existsSync, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where a converter's file is: a relative name is in the data folder; nothing outside it (folders resolved, links
 * included), nor in the archive's own folders inside it (`protectedDirs`), is given out. `folder`: the name is a folder.
 * Converters' file commands use the async form; Lua's `io` (which cannot wait) the sync one.
 */
export async function confinedPath(
  dataDir: string,
  file: string,
  protectedDirs: readonly string[],
  folder = false,
): Promise<string> {
  const root = await realpath(dataDir);
  const guarded = await Promise.all(protectedDirs.map((d) => realpath(d).catch(() => path.resolve(d))));
  const target = path.resolve(root, file);
  const dir = folder ? target : path.dirname(target);
  // The deepest folder that exists decides where this is (mkdir makes the rest).
  let existing = dir;
  while (!(await stat(existing).catch(() => undefined))) existing = path.dirname(existing);
  return checked(root, guarded, path.join(await realpath(existing), path.relative(existing, dir)), target, folder);
}

export function confinedPathSync(dataDir: string, file: string, protectedDirs: readonly string[]): string {
  const root = realpathSync(dataDir);
  const guarded = protectedDirs.map((d) => (existsSync(d) ? realpathSync(d) : path.resolve(d)));
  const target = path.resolve(root, file);
  const dir = path.dirname(target);
  let existing = dir;
  while (!existsSync(existing)) existing = path.dirname(existing);
  return checked(root, guarded, path.join(realpathSync(existing), path.relative(existing, dir)), target, false);
}

function checked(root: string, guarded: string[], real: string, target: string, folder: boolean): string {
  const inside = path.relative(root, real);
  if (inside.startsWith('..') || path.isAbsolute(inside))
    throw new Error('converters work only inside the data folder');
  if (guarded.some((g) => real === g || !path.relative(g, real).startsWith('..')))
    throw new Error("converters leave the archive's storage, index and configuration folders alone");
  return folder ? real : path.join(real, path.basename(target));
}
