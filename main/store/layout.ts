import { createHash } from 'node:crypto';
import type { InstanceHeader } from '../dicom/instance-header.ts';

/**
 * Where an object lives under a storage device, from the FileNameSyntax setting: a template of %-variables and `/`
 * (or `\`) separators, e.g. `%id/%studyuid/%seriesuid/%sopuid.dcm`. Conquest's numbered syntaxes map to that default.
 */

export const DEFAULT_FILE_NAME_SYNTAX = '%id/%studyuid/%seriesuid/%sopuid.dcm';

const VARIABLES: Record<string, (h: InstanceHeader) => string> = {
  id: (h) => h.patientId,
  name: (h) => h.patientName,
  studyuid: (h) => h.studyInstanceUid,
  seriesuid: (h) => h.seriesInstanceUid,
  sopuid: (h) => h.sopInstanceUid,
  modality: (h) => h.modality,
  studydate: (h) => h.studyDate,
  studyid: (h) => h.studyId,
  accession: (h) => h.accessionNumber,
  series: (h) => h.seriesNumber,
  image: (h) => h.instanceNumber,
};

export const LAYOUT_VARIABLES = Object.keys(VARIABLES);

export class FileNameSyntaxError extends Error {}

export interface Layout {
  readonly syntax: string;
  /**
   * Conquest's `FileNameSyntax = lua:expression`: the Lua expression that names each arriving object's file (the
   * import-converters feature runs it, features/lua-file-names.ts); relativePath is then the default layout's, for
   * what the expression did not name.
   */
  readonly script?: string;
  relativePath(header: InstanceHeader): string;
}

/** Parse once; throws FileNameSyntaxError naming the unknown variable. */
export function compileLayout(syntax: string): Layout {
  const lua = /^lua:(.*)$/is.exec(syntax.trim());
  if (lua) {
    if (!lua[1]!.trim()) throw new FileNameSyntaxError('lua: is followed by a Lua expression that gives the file name');
    return { ...compileLayout(DEFAULT_FILE_NAME_SYNTAX), syntax, script: lua[1]!.trim() };
  }
  const template = /^\d+$/.test(syntax.trim()) ? DEFAULT_FILE_NAME_SYNTAX : syntax.trim().replace(/\\/g, '/');
  const parts = template.split(/(%[a-z]+)/);
  const pieces: (string | ((h: InstanceHeader) => string))[] = [];
  for (const part of parts) {
    if (!part.startsWith('%')) {
      pieces.push(part);
      continue;
    }
    const name = part.slice(1);
    const fn = Object.keys(VARIABLES)
      .sort((a, b) => b.length - a.length)
      .find((v) => name.startsWith(v));
    if (!fn)
      throw new FileNameSyntaxError(
        `unknown variable %${name} (known: ${LAYOUT_VARIABLES.map((v) => '%' + v).join(' ')})`,
      );
    pieces.push(VARIABLES[fn]!, name.slice(fn.length));
  }
  if (!template.includes('%sopuid'))
    throw new FileNameSyntaxError('must contain %sopuid so that every object gets its own file');
  return {
    syntax,
    relativePath(header) {
      const raw = pieces.map((p) => (typeof p === 'string' ? p : safeComponent(p(header)))).join('');
      const segments = raw
        .split('/')
        .filter((c) => c.length > 0)
        .map(safeSegment);
      const whole = segments.join('/');
      return whole.length <= MAX_RELATIVE_PATH ? whole : segments.map(shortened).join('/');
    },
  };
}

/** What a path segment may not hold: anything but letters, digits, `.`, `_`, `-`, `^` and spaces. */
const UNSAFE = /[^A-Za-z0-9._\-^ ]/g;

/**
 * A path a script gave, made safe as the template's are: `/` or `\\` separate folders, each segment cleaned (no
 * reserved names or characters, no `..`), shortened when too long; undefined when nothing is left of it.
 */
export function scriptedPath(text: string): string | undefined {
  const segments = text
    .replace(/\\/g, '/')
    .split('/')
    .map((c) => c.trim())
    .filter((c) => c.length > 0 && c !== '.' && c !== '..')
    .map((c) => safeSegment(c.replace(UNSAFE, '_')));
  if (!segments.length) return undefined;
  const whole = segments.join('/');
  return whole.length <= MAX_RELATIVE_PATH ? whole : segments.map(shortened).join('/');
}

/** A value becomes part of a path: no separators, no control or reserved characters, never empty. */
function safeComponent(value: string): string {
  const cleaned = value.trim().replace(UNSAFE, '_').replace(/\s+/g, '_').slice(0, 64);
  return cleaned.length ? cleaned : 'unknown';
}

/**
 * Names Windows cannot open or delete (Explorer, cmd, backup tools; Node's \\?\ paths could still make them): the
 * devices CON, PRN, AUX, NUL, COM0-9 and LPT0-9, with or without an extension, and names ending in a dot or a space.
 * They get a leading or trailing "_", so the same patient ID always maps to the same folder, on Linux too.
 */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

export function safeSegment(segment: string): string {
  if (segment === '.' || segment === '..') return '_';
  let out = segment.replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
  if (RESERVED.test(out)) out = `_${out}`;
  return out;
}

/**
 * Paths below the storage folder stay well under Windows' 260 characters (MAX_PATH, which many tools still obey) with
 * room for the storage folder itself: a layout whose path would pass MAX_RELATIVE_PATH has its long segments shortened
 * to their start and a hash of the whole (the same value, the same folder).
 */
export const MAX_RELATIVE_PATH = 160;
const LONG_SEGMENT = 40;

function shortened(segment: string): string {
  if (segment.length <= LONG_SEGMENT) return segment;
  const dot = segment.lastIndexOf('.');
  const ext = dot > 0 && segment.length - dot <= 5 ? segment.slice(dot) : '';
  const hash = createHash('sha256').update(segment).digest('hex').slice(0, 16);
  return `${segment.slice(0, 12)}~${hash}${ext}`;
}
