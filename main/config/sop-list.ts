import { ConfigError, ConfigErrors } from './config-error.ts';
import { isValidUid } from '../../common/uids.ts';

/** Conquest's dgatesop.lst: `Name  UID  kind` lines, kind being sop, transfer or application; `#` starts a comment. */
export interface SopList {
  sopClasses: Set<string>;
  transferSyntaxes: Set<string>;
  names: Map<string, string>;
}

const KINDS = new Set(['sop', 'transfer', 'application']);

export function parseSopList(file: string, text: string): SopList {
  const list: SopList = { sopClasses: new Set(), transferSyntaxes: new Set(), names: new Map() };
  const errors: ConfigError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const content = raw.replace(/#.*$/, '').trim();
    if (!content) return;
    const [name, uid, kind, ...rest] = content.split(/\s+/);
    if (!uid || !kind || rest.length) {
      errors.push(new ConfigError(file, i + 1, `expected "Name UID sop|transfer|application", found "${content}"`));
      return;
    }
    if (!isValidUid(uid)) {
      errors.push(new ConfigError(file, i + 1, `"${uid}" is not a valid UID`));
      return;
    }
    const k = kind.toLowerCase();
    if (!KINDS.has(k)) {
      errors.push(new ConfigError(file, i + 1, `kind "${kind}" is not one of sop, transfer, application`));
      return;
    }
    if (k === 'sop') list.sopClasses.add(uid);
    if (k === 'transfer') list.transferSyntaxes.add(uid);
    list.names.set(uid, name!);
  });
  if (errors.length) throw new ConfigErrors(errors);
  return list;
}
