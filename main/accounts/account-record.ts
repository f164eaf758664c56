import type { Role } from '../../common/roles.ts';

/** A user as the index keeps it (the password only as its scrypt hash). */
export interface UserRecord {
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  changedAt: string;
  /** Failed logins since the last good one; the lockout grows with them. */
  failures: number;
  /** ISO time until which logins are refused ('' when not locked). */
  lockedUntil: string;
  lastLogin: string;
}

export interface AccountStore {
  list(): Promise<UserRecord[]>;
  find(name: string): Promise<UserRecord | undefined>;
  /** False when the name is taken. */
  create(user: Pick<UserRecord, 'name' | 'role' | 'passwordHash'>): Promise<boolean>;
  /** False for an unknown user. */
  update(
    name: string,
    changes: Partial<Pick<UserRecord, 'role' | 'passwordHash' | 'failures' | 'lockedUntil' | 'lastLogin'>>,
  ): Promise<boolean>;
  remove(name: string): Promise<boolean>;
}
