import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The architecture's arrows, read from the source: no import cycle in main/ (type imports count: a reader follows
 * them too) and no two folders importing each other, the data model (main/dicom) stands alone, the protocol layer knows
 * no database, file store, API or codec (it reaches the codecs through a port), main/ holds only its entry points,
 * and the renderer imports nothing of the core but the API contract and the shared pure code.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(full).isDirectory()
      ? files(full)
      : /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')
        ? [full]
        : [];
  });
}

/** Relative imports of a file, resolved to repository paths (`import ... from`, `export ... from`, `import(...)`). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found = [
    ...source.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g,
    ),
  ];
  return found.map((m) => path.relative(ROOT, path.resolve(path.dirname(file), (m[1] ?? m[2])!)));
}

function graph(dir: string): Map<string, string[]> {
  return new Map(files(path.join(ROOT, dir)).map((f) => [path.relative(ROOT, f), importsOf(f)]));
}

function cycles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of g.get(node) ?? []) {
      if (!g.has(next)) continue;
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of g.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('the import graph', () => {
  const core = graph('main');

  it('has no cycle in main/', () => {
    expect(cycles(core).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('keeps the protocol layer (main/protocol) free of the index, the file store, the API and the codecs (a port)', () => {
    const leaks = [...core]
      .filter(([f]) => f.startsWith('main/protocol/'))
      .flatMap(([f, deps]) =>
        deps.filter((d) => /^main\/(index|store|api|codec)\//.test(d)).map((d) => `${f} -> ${d}`),
      );
    expect(leaks).toEqual([]);
  });

  it('keeps the data model (main/dicom) on its own: it imports nothing of the core but itself', () => {
    const leaks = [...core]
      .filter(([f]) => f.startsWith('main/dicom/'))
      .flatMap(([f, deps]) =>
        deps.filter((d) => d.startsWith('main/') && !d.startsWith('main/dicom/')).map((d) => `${f} -> ${d}`),
      );
    expect(leaks).toEqual([]);
  });

  it('has no two folders of main/ importing each other', () => {
    const folderOf = (f: string) => f.split('/').slice(0, 2).join('/');
    const arrows = new Map<string, string>();
    for (const [f, deps] of core) {
      for (const d of deps)
        if (d.startsWith('main/') && folderOf(d) !== folderOf(f))
          arrows.set(`${folderOf(f)} -> ${folderOf(d)}`, `${f} -> ${d}`);
    }
    const twoWay = [...arrows.keys()]
      .filter((a) => arrows.has(a.split(' -> ').reverse().join(' -> ')))
      .map((a) => `${a} (${arrows.get(a)})`);
    expect(twoWay).toEqual([]);
  });

  it('keeps main/ to its entry points: every other file lives in a folder named for what it does', () => {
    const loose = readdirSync(path.join(ROOT, 'main')).filter(
      (n) => /\.tsx?$/.test(n) && !['cli.ts', 'server.ts'].includes(n),
    );
    expect(loose).toEqual([]);
  });

  it('lets the renderer import only the API contract, its endpoints and common/ of the core', () => {
    const ui = graph('renderer/src');
    const leaks = [...ui].flatMap(([f, deps]) =>
      deps
        .filter(
          (d) =>
            !d.startsWith('renderer/') &&
            !d.startsWith('common/') &&
            d !== 'main/api/contract.ts' &&
            d !== 'main/api/endpoints.ts',
        )
        .map((d) => `${f} -> ${d}`),
    );
    expect(leaks).toEqual([]);
  });

  it("asks for text in the page, never with window.prompt (Electron's windows have none)", () => {
    const users = files(path.join(ROOT, 'renderer/src'))
      .filter((f) => /(?<![\w.])(?:window\.)?prompt\(/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    expect(users).toEqual([]);
  });

  it('keeps the API contract its own: contract.ts, endpoints.ts and their DTOs import only each other and common/', () => {
    const contract = [
      'main/api/contract.ts',
      'main/api/endpoints.ts',
      'main/api/dto.ts',
      'main/api/event-dto.ts',
      'main/api/automation-dto.ts',
    ];
    const leaks = [...core]
      .filter(([f]) => contract.includes(f))
      .flatMap(([f, deps]) =>
        deps.filter((d) => !contract.includes(d) && !d.startsWith('common/')).map((d) => `${f} -> ${d}`),
      );
    expect(leaks).toEqual([]);
  });

  it('keeps common/ pure: it imports nothing outside itself', () => {
    const shared = graph('common');
    const leaks = [...shared].flatMap(([f, deps]) =>
      deps.filter((d) => !d.startsWith('common/')).map((d) => `${f} -> ${d}`),
    );
    expect(leaks).toEqual([]);
  });
});
