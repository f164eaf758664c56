import type { DataSet } from '../dicom/dataset.ts';
import { textOf } from '../dicom/dataset.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { Tag } from '../dicom/tags.ts';
import { attributeTag } from './lua-data.ts';
import { valueText } from '../dicom/dataset.ts';

/**
 * Conquest's `ExportFilter<i>`: an SQL condition on the stored object's database columns, e.g. `Rows = 512 and Columns =
 * 512` or `ImageNumber LIKE '1%'`, tested after the other filters. Here it is read once, when dicom.ini is, and tested
 * on the attributes the index holds for the object (by Conquest's column names, `ImagePat`, `QRows`, `AcqDate`, ...,
 * or by any attribute keyword): comparisons `= <> != < > <= >=`, `LIKE` and `NOT LIKE` (`%` and `_`, case aside), `IS
 * [NOT] NULL`, joined by `and` / `or`, `not` and parentheses. Values are quoted strings or numbers; two numbers compare
 * as numbers. A condition naming a column or an operator this version does not know is refused with its column.
 */

export class ExportFilterError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.column = column;
  }
}

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; inner: Node }
  | { kind: 'compare'; tag: number; op: string; value: string }
  | { kind: 'like'; tag: number; negated: boolean; pattern: RegExp }
  | { kind: 'null'; tag: number; negated: boolean };

export interface ExportFilter {
  text: string;
  test(dataSet: DataSet): boolean;
}

/** The columns of Conquest's stock dicom.sql whose names are not the attribute's keyword, with that keyword. */
const CONQUEST_COLUMNS: Readonly<Record<string, string>> = {
  referphysician: 'ReferringPhysicianName',
  patientsage: 'PatientAge',
  patientsweight: 'PatientWeight',
  studymodality: 'ModalitiesInStudy',
  seriespat: 'PatientID',
  imagepat: 'PatientID',
  institution: 'InstitutionName',
  imagenumber: 'InstanceNumber',
  imagedate: 'ContentDate',
  imagetime: 'ContentTime',
  acqdate: 'AcquisitionDate',
  acqtime: 'AcquisitionTime',
  acqnumber: 'AcquisitionNumber',
  qrows: 'Rows',
  qcolumns: 'Columns',
};

interface Token {
  text: string;
  kind: 'word' | 'string' | 'number' | 'op' | 'paren';
  at: number;
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:('(?:[^']|'')*')|(-?\d+(?:\.\d+)?)|(<>|!=|<=|>=|=|<|>)|([()])|([A-Za-z_][\w,]*))/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) {
      if (text.slice(at).trim() === '') break;
      throw new ExportFilterError(`"${text.slice(at).trim().slice(0, 20)}" is not part of a condition`, at + 1);
    }
    const start = m.index + m[0].length - m[0].trimStart().length;
    if (m[1]) out.push({ text: m[1].slice(1, -1).replace(/''/g, "'"), kind: 'string', at: start + 1 });
    else if (m[2]) out.push({ text: m[2], kind: 'number', at: start + 1 });
    else if (m[3]) out.push({ text: m[3], kind: 'op', at: start + 1 });
    else if (m[4]) out.push({ text: m[4], kind: 'paren', at: start + 1 });
    else out.push({ text: m[5]!, kind: 'word', at: start + 1 });
    at = re.lastIndex;
  }
  return out;
}

export function parseExportFilter(text: string): ExportFilter {
  const list = tokens(text);
  let i = 0;
  const peek = () => list[i];
  const end = text.length + 1;
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text.toLowerCase() === w;
  const or = (): Node => {
    let left = and();
    while (isWord(peek(), 'or')) {
      i++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): Node => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      i++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    if (isWord(peek(), 'not')) {
      i++;
      return { kind: 'not', inner: unary() };
    }
    if (peek()?.text === '(') {
      i++;
      const inner = or();
      if (peek()?.text !== ')') throw new ExportFilterError('a ( is not closed', peek()?.at ?? end);
      i++;
      return inner;
    }
    return condition();
  };
  const condition = (): Node => {
    const field = list[i++];
    if (field?.kind !== 'word') throw new ExportFilterError('a column name is expected', field?.at ?? end);
    const tag = attributeTag(CONQUEST_COLUMNS[field.text.toLowerCase()] ?? field.text, false);
    if (tag === undefined)
      throw new ExportFilterError(`${field.text} is not a column of the index or an attribute name`, field.at);
    const op = list[i++];
    if (op?.kind === 'op') return { kind: 'compare', tag, op: op.text === '!=' ? '<>' : op.text, value: value() };
    if (isWord(op, 'is')) {
      const negated = isWord(peek(), 'not');
      if (negated) i++;
      if (!isWord(list[i++], 'null')) throw new ExportFilterError('IS is followed by NULL or NOT NULL', op!.at);
      return { kind: 'null', tag, negated };
    }
    const negated = isWord(op, 'not');
    if (negated && !isWord(list[i++], 'like')) throw new ExportFilterError('NOT here is NOT LIKE', op!.at);
    if (negated || isWord(op, 'like')) return { kind: 'like', tag, negated, pattern: likePattern(value()) };
    throw new ExportFilterError('an operator (=, <>, <, >, <=, >=, LIKE, IS NULL) is expected', op?.at ?? end);
  };
  const value = (): string => {
    const v = list[i++];
    if (v?.kind !== 'string' && v?.kind !== 'number')
      throw new ExportFilterError("a value ('text' or a number) is expected", v?.at ?? end);
    return v.text;
  };
  const tree = or();
  if (i < list.length) throw new ExportFilterError(`"${list[i]!.text}" is not expected here`, list[i]!.at);
  return { text, test: (dataSet) => evaluate(tree, dataSet) };
}

function likePattern(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'is');
}

function evaluate(node: Node, ds: DataSet): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, ds) && evaluate(node.right, ds);
    case 'or':
      return evaluate(node.left, ds) || evaluate(node.right, ds);
    case 'not':
      return !evaluate(node.inner, ds);
    case 'null':
      return (valueOf(ds, node.tag) === '') !== node.negated;
    case 'like':
      return node.pattern.test(valueOf(ds, node.tag)) !== node.negated;
    default: {
      const a = valueOf(ds, node.tag);
      const b = node.value;
      const numeric = a !== '' && !Number.isNaN(Number(a)) && !Number.isNaN(Number(b));
      const order = numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
      switch (node.op) {
        case '=':
          return order === 0;
        case '<>':
          return order !== 0;
        case '<':
          return order < 0;
        case '>':
          return order > 0;
        case '<=':
          return order <= 0;
        default:
          return order >= 0;
      }
    }
  }
}

function valueOf(ds: DataSet, tag: number): string {
  const charset = new CharacterSet(textOf(ds.get(Tag.SpecificCharacterSet)) || undefined);
  return valueText(ds.get(tag), (b) => charset.decode(b)).trim();
}
