import { randomBytes, timingSafeEqual } from 'node:crypto';
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
export const MIN_PASSWORD_LENGTH = 10;

function derive(password: string, salt: Buffer, options: { N: number; r: number; p: number }, bytes: number): Promise<Buffer> {
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
  const key = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) }, expected.length);
  return timingSafeEqual(key, expected);
}

/** Why a new password is refused, or undefined when it will do. */
export function passwordProblem(password: unknown, userName: string): Message | undefined {
  if (typeof password !== 'string') return msg('a password is required');
  if ([...password].length < MIN_PASSWORD_LENGTH) return msg('a password needs at least {n} characters', { n: MIN_PASSWORD_LENGTH });
  if (password.toLowerCase().includes(userName.toLowerCase())) return msg('a password may not contain the user name');
  return undefined;
}

/** A hash to verify against when the user does not exist, so that the answer takes as long as for a wrong password. */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$AAAAAAAAAAAAAAAAAAAAAA==$${Buffer.alloc(KEY_BYTES).toString('base64')}`;
