import type { Role } from '../../common/roles.ts';

/**
 * A key another system signs its requests with (a second workstation's DICOMweb node, a script): named for who holds
 * it, with a role, kept only as its hash, until an admin revokes it. Unlike a session it outlives restarts; unlike the
 * install's secret it is taken from any computer.
 */
export interface ApiKeyRecord {
  name: string;
  role: Role;
  keyHash: string;
  createdAt: string;
  createdBy: string;
  /** ISO time of the last request signed with it ('' when never used); written at most once a minute. */
  lastUsed: string;
}

export interface ApiKeyStore {
  list(): Promise<ApiKeyRecord[]>;
  /** False when the name is taken. */
  create(key: Omit<ApiKeyRecord, 'createdAt' | 'lastUsed'>): Promise<boolean>;
  touch(name: string, at: string): Promise<void>;
  /** False for an unknown name. */
  remove(name: string): Promise<boolean>;
}
