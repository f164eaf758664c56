import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { deriveKey } from './password-hasher.ts';
import { msg, type Message } from '../../common/message.ts';

/**
 * Passwords kept as scrypt hashes (memory-hard: 32 MiB per guess), never as text. The stored form names its parameters,
 * "scrypt$N$r$p$salt$hash" (base64), so stronger ones can come later and old hashes still verify.
 */

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 12;

function derive(
  password: string,
  salt: Buffer,
  options: { N: number; r: number; p: number },
  bytes: number,
): Promise<Buffer> {
  return deriveKey(password.normalize('NFC'), salt, options, bytes);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P }, KEY_BYTES);
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(
    password,
    Buffer.from(salt, 'base64'),
    { N: Number(n), r: Number(r), p: Number(p) },
    expected.length,
  );
  return timingSafeEqual(key, expected);
}

/**
 * The 49,233 most common passwords of the "10 million passwords" list, as zxcvbn-ts ships them (lower case), loaded on
 * the first password set.
 */
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(
    (createRequire(import.meta.url)('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> })
      .dictionary['passwords-common'],
  );
  return common;
}

/**
 * Why a new password is refused, or undefined when it will do: at least 12 characters, not a common password (nor one
 * with digits or signs stuck on either end, "Dragon2026!!"), not built from the user name, more than a few different
 * characters.
 */
export function passwordProblem(password: unknown, userName: string): Message | undefined {
  if (typeof password !== 'string') return msg('a password is required');
  if ([...password].length < MIN_PASSWORD_LENGTH)
    return msg('a password needs at least {n} characters', { n: MIN_PASSWORD_LENGTH });
  const lower = password.toLowerCase();
  const name = userName.toLowerCase();
  if (name && (lower.includes(name) || lower.includes([...name].reverse().join(''))))
    return msg('a password may not contain the user name');
  const core = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  if (commonPasswords().has(lower) || commonPasswords().has(core))
    return msg('this password is among the most common ones; choose another');
  if (new Set(lower).size < 5) return msg('a password needs more than four different characters');
  return undefined;
}

/** A hash to verify against when the user does not exist, so that the answer takes as long as for a wrong password. */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$AAAAAAAAAAAAAAAAAAAAAA==$${Buffer.alloc(KEY_BYTES).toString('base64')}`;
