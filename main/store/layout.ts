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
  relativePath(header: InstanceHeader): string;
}

/** Parse once; throws FileNameSyntaxError naming the unknown variable. */
export function compileLayout(syntax: string): Layout {
  const template = /^\d+$/.test(syntax.trim()) ? DEFAULT_FILE_NAME_SYNTAX : syntax.trim().replace(/\\/g, '/');
  const parts = template.split(/(%[a-z]+)/);
  const pieces: (string | ((h: InstanceHeader) => string))[] = [];
  for (const part of parts) {
    if (!part.startsWith('%')) { pieces.push(part); continue; }
    const name = part.slice(1);
    const fn = Object.keys(VARIABLES).sort((a, b) => b.length - a.length).find((v) => name.startsWith(v));
    if (!fn) throw new FileNameSyntaxError(`unknown variable %${name} (known: ${LAYOUT_VARIABLES.map((v) => '%' + v).join(' ')})`);
    pieces.push(VARIABLES[fn]!, name.slice(fn.length));
  }
  if (!template.includes('%sopuid')) throw new FileNameSyntaxError('must contain %sopuid so that every object gets its own file');
  return {
    syntax,
    relativePath(header) {
      const raw = pieces.map((p) => (typeof p === 'string' ? p : safeComponent(p(header)))).join('');
      return raw.split('/').filter((c) => c.length > 0).map(safeSegment).join('/');
    },
  };
}

/** A value becomes part of a path: no separators, no control or reserved characters, never empty. */
function safeComponent(value: string): string {
  const cleaned = value.trim().replace(/[^A-Za-z0-9._\-^ ]/g, '_').replace(/\s+/g, '_').slice(0, 64);
  return cleaned.length ? cleaned : 'unknown';
}

function safeSegment(segment: string): string {
  return segment === '.' || segment === '..' ? '_' : segment;
}
