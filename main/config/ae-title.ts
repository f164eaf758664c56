import { msg, type Message } from '../../common/message.ts';

/** Why an AE title is unusable (PS3.5 6.2 AE: 16 characters, no backslash or control characters, not all spaces). */
export function aeTitleProblem(ae: string, allowWildcards = false): Message | undefined {
  if (ae.trim().length === 0) return msg('an AE title cannot be empty');
  if (ae.length > 16) return msg('AE title "{ae}" is longer than 16 characters', { ae });
  if (/[\\\x00-\x1f\x7f]/.test(ae)) return msg('AE title "{ae}" contains a backslash or a control character', { ae });
  if (!allowWildcards && /[*?]/.test(ae)) return msg('AE title "{ae}" contains a wildcard', { ae });
  return undefined;
}

/** Conquest-style matching of a node's AE pattern (`*` and `?`) against a title, ignoring case. */
export function aeMatches(pattern: string, ae: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
  return re.test(ae.trim());
}
