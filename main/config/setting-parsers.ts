import path from 'node:path';
import { aeTitleProblem } from './ae-title.ts';
import { parseCompressionCode, type CompressionPlan } from '../../common/compression-code.ts';
import { SaidError, msg, type Message } from '../../common/message.ts';

/**
 * The checks of dicom.ini values (setting-keys.ts names one for each key): each returns the value as the core uses it,
 * or refuses it with the reason. A parser may say how the Settings form asks for its value (a yes/no switch, a list).
 */

/** How the Settings form asks for a value: typed text, a yes/no switch, one of a list, a compression code, a secret. */
export type SettingInput = 'text' | 'yes-no' | 'choice' | 'compression' | 'secret' | 'prefetch-rules';

function tagged<T>(parse: (value: string) => T, input: SettingInput, choices?: readonly string[]): Parse<T> {
  return Object.assign(parse, { input, choices });
}

/** Reads one dicom.ini value: the value, or a SaidError that says why it is refused. */
export type Parse<T> = ((value: string) => T) & { input?: SettingInput; choices?: readonly string[] };
export const reason = (said: Message | string): never => {
  throw new SaidError(said);
};

export const int =
  (min: number, max: number): Parse<number> =>
  (v) =>
    /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max
      ? Number(v)
      : reason(
          msg('"{value}" is not a whole number from {min} to {max}', { value: v, min: String(min), max: String(max) }),
        );
export const flag: Parse<boolean> = tagged(
  (v) => (v === '1' ? true : v === '0' ? false : reason(msg('"{value}" must be 0 or 1', { value: v }))),
  'yes-no',
);
/** One of a list, in any case (the value in lower case; the list as the form offers it). */
export const oneOf = <T extends string>(...allowed: T[]): Parse<Lowercase<T>> =>
  tagged(
    (v) =>
      allowed.some((a) => a.toLowerCase() === v.toLowerCase())
        ? (v.toLowerCase() as Lowercase<T>)
        : reason(msg('"{value}" must be one of {allowed}', { value: v, allowed: allowed.join(', ') })),
    'choice',
    allowed,
  );
export const text: Parse<string> = (v) => (v.length ? v : reason(msg('a value is required')));
export const origins: Parse<string[]> = (v) => {
  const list = v
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list)
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o))
      reason(msg('"{value}" is not a web origin (http://host:port, https://host) or *', { value: o }));
  return list;
};
export const compression: Parse<CompressionPlan> = tagged((v) => {
  const plan = parseCompressionCode(v);
  return 'error' in plan ? reason(plan.error) : plan;
}, 'compression');
export const aeList: Parse<string[]> = (v) => {
  const list = v.split(/[,\s]+/).filter(Boolean);
  for (const ae of list) {
    const p = aeTitleProblem(ae);
    if (p) reason(p);
  }
  return list;
};
export const addressList: Parse<string[]> = (v) => {
  const list = v.split(/[,\s]+/).filter(Boolean);
  for (const a of list) if (!/^[0-9A-Fa-f.:]+$/.test(a)) reason(msg('"{value}" is not an IP address', { value: a }));
  return list;
};
/** ExportRoots: absolute folders, separated by ; (a Windows path may hold a comma). */
export const folderList: Parse<string[]> = (v) => {
  const list = v
    .split(';')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of list)
    if (!path.isAbsolute(f) && !/^[A-Za-z]:[\\/]/.test(f)) reason(msg('"{value}" is not a full path', { value: f }));
  return list;
};
/** LogSourceLevels: `source=level` pairs separated by commas. */
export const sourceLevels: Parse<ReadonlyMap<string, 'debug' | 'info' | 'warn' | 'error'>> = (v) => {
  const out = new Map<string, 'debug' | 'info' | 'warn' | 'error'>();
  for (const pair of v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]+)\s*=\s*(debug|info|warn|error)$/i.exec(pair);
    if (!m) reason(msg('"{value}" is not source=level (debug, info, warn or error)', { value: pair }));
    out.set(m![1]!, m![2]!.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
  }
  return out;
};
/** BackupFolder: '' (off) or a full path. */
export const fullPathOrNone: Parse<string> = (v) => {
  const f = v.trim();
  if (f && !path.isAbsolute(f) && !/^[A-Za-z]:[\\/]/.test(f)) reason(msg('"{value}" is not a full path', { value: f }));
  return f;
};
/** APIHostNames: DNS names, or * alone for any. */
export const hostNameList: Parse<string[]> = (v) => {
  if (v.trim() === '*') return ['*'];
  const list = v.split(/[,\s]+/).filter(Boolean);
  for (const n of list)
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(n))
      reason(msg('"{value}" is not a host name', { value: n }));
  return list;
};
/** A secret another program shows (MetricsToken): '' for none, else at least 16 characters without spaces. */
export const token: Parse<string> = (v) => {
  const t = v.trim();
  if (t && (t.length < 16 || /\s/.test(t)))
    reason(msg('a token is at least 16 characters, without spaces (a random one: openssl rand -hex 24)'));
  return t;
};
/** HL7AllowedSenders: addresses, or * alone for any. */
export const senderList: Parse<string[]> = (v) => (v.trim() === '*' ? ['*'] : addressList(v));
export const hostPort: Parse<string> = (v) =>
  v === '' || /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/.test(v)
    ? v
    : reason(msg('"{value}" is not host:port', { value: v }));
export const address: Parse<string> = (v) =>
  /^[0-9A-Fa-f.:]+$|^localhost$/.test(v) ? v : reason(msg('"{value}" is not an IP address', { value: v }));
