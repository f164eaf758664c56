import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { Accounts } from '../../main/accounts/accounts.ts';
import type { AuditEntry } from '../../main/audit/audit-record.ts';
import { INDEX_ENGINES } from '../helpers/index-engines.ts';

/** Users and the audit trail behave the same on every index engine; sessions expire as configured. */
describe.each(INDEX_ENGINES)('accounts and audit on the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ index, dispose } = await engine.open('accounts'));
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('keeps users with their role, failures and lock, and refuses a taken name', async () => {
    const users = index.accountStore();
    expect(await users.create({ name: 'Anna', role: 'admin', passwordHash: 'scrypt$x' })).toBe(true);
    expect(await users.create({ name: 'Anna', role: 'viewer', passwordHash: 'scrypt$y' })).toBe(false);
    expect(await users.create({ name: 'Petr', role: 'viewer', passwordHash: 'scrypt$z' })).toBe(true);
    expect(await users.update('Petr', { failures: 3, lockedUntil: '2026-11-26T10:00:00.000Z' })).toBe(true);
    expect(await users.update('Nobody', { failures: 1 })).toBe(false);
    const petr = await users.find('Petr');
    expect(petr).toMatchObject({
      name: 'Petr',
      role: 'viewer',
      passwordHash: 'scrypt$z',
      failures: 3,
      lockedUntil: '2026-11-26T10:00:00.000Z',
      lastLogin: '',
    });
    expect(petr!.changedAt).toBe(petr!.createdAt);
    await users.update('Petr', { role: 'technician' });
    expect((await users.find('Petr'))!.role).toBe('technician');
    expect((await users.list()).map((u) => u.name)).toEqual(['Anna', 'Petr']);
    expect(await users.remove('Petr')).toBe(true);
    expect(await users.find('Petr')).toBeUndefined();
  });

  it('throttles failed logins per address: an address that keeps failing waits, others sign in as before', async () => {
    let clock = Date.parse('2026-12-07T09:00:00Z');
    const accounts = new Accounts(
      index.accountStore(),
      () => undefined,
      () => ({ idleMinutes: 30, maxHours: 12 }),
      () => clock,
    );
    await accounts.createUser(
      { user: 'test', role: 'admin', via: 'secret' },
      'Olga',
      'viewer',
      'viewing-password-1',
      'here',
    );
    const attempt = (source: string, password: string) =>
      accounts.login('nobody', password, source).then(
        () => 200,
        (e: { status: number }) => e.status,
      );
    const flood = [];
    for (let i = 0; i < 12; i++) flood.push(await attempt('192.0.2.66', 'guess'));
    expect(flood).toEqual([...Array(10).fill(401), 429, 429]);
    // Another computer is not held up, and the right password from it works.
    expect(await attempt('192.0.2.7', 'guess')).toBe(401);
    expect((await accounts.login('Olga', 'viewing-password-1', '192.0.2.7')).user).toBe('Olga');
    // One more try for the flooding address every 6 s.
    clock += 6_000;
    expect(await attempt('192.0.2.66', 'guess')).toBe(401);
    expect(await attempt('192.0.2.66', 'guess')).toBe(429);
  });

  it('keeps API keys by name and hash, refuses a taken name, records the last use, and forgets a revoked key', async () => {
    const keys = index.apiKeyStore();
    expect(await keys.create({ name: 'WS2', role: 'technician', keyHash: 'a'.repeat(64), createdBy: 'Anna' })).toBe(
      true,
    );
    expect(await keys.create({ name: 'WS2', role: 'viewer', keyHash: 'b'.repeat(64), createdBy: 'Anna' })).toBe(false);
    expect(await keys.create({ name: 'script', role: 'viewer', keyHash: 'c'.repeat(64), createdBy: 'Anna' })).toBe(
      true,
    );
    await keys.touch('WS2', '2026-12-07T08:00:00.000Z');
    expect(await keys.list()).toEqual([
      expect.objectContaining({
        name: 'WS2',
        role: 'technician',
        keyHash: 'a'.repeat(64),
        createdBy: 'Anna',
        lastUsed: '2026-12-07T08:00:00.000Z',
      }),
      expect.objectContaining({ name: 'script', role: 'viewer', lastUsed: '' }),
    ]);
    expect(await keys.remove('script')).toBe(true);
    expect(await keys.remove('script')).toBe(false);
    expect((await keys.list()).map((k) => k.name)).toEqual(['WS2']);
  });

  it('appends audit records, filters them by user, patient, action and dates, newest first, and purges old ones', async () => {
    const audit = index.auditStore();
    const base = { source: '127.0.0.1', detail: 'd' };
    await audit.append([
      { ...base, at: '2026-01-10T08:00:00.000Z', user: 'anna', action: 'login' },
      { ...base, at: '2026-03-02T09:00:00.000Z', user: 'anna', action: 'view', patientId: 'P1', studyUid: '1.2.3' },
      {
        ...base,
        at: '2026-03-02T23:59:00.000Z',
        user: 'CT1',
        action: 'query',
        patientId: 'P1',
        outcome: 'refused',
        detail: 'C-FIND PatientID=P1',
      },
      { ...base, at: '2026-04-01T00:00:00.000Z', user: 'petr', action: 'delete', patientId: 'P2', studyUid: '1.2.4' },
    ]);
    expect((await audit.list({})).map((r) => r.action)).toEqual(['delete', 'query', 'view', 'login']);
    expect((await audit.list({ user: 'anna' })).map((r) => r.action)).toEqual(['view', 'login']);
    expect((await audit.list({ patientId: 'P1' })).map((r) => r.user)).toEqual(['CT1', 'anna']);
    expect((await audit.list({ action: 'query' }))[0]).toMatchObject({
      outcome: 'refused',
      detail: 'C-FIND PatientID=P1',
      source: '127.0.0.1',
    });
    expect((await audit.list({ from: '2026-03-01', to: '2026-03-02' })).map((r) => r.action)).toEqual([
      'query',
      'view',
    ]);
    expect(await audit.list({ limit: 1 })).toHaveLength(1);
    const [newest] = await audit.list({});
    expect((await audit.list({ before: newest!.id })).map((r) => r.action)).toEqual(['query', 'view', 'login']);
    expect(await audit.purge('2026-03-01T00:00:00.000Z')).toBe(1);
    expect((await audit.list({})).map((r) => r.action)).toEqual(['delete', 'query', 'view']);
  });

  it('ends a session after its idle time and after its longest life', async () => {
    const records: AuditEntry[] = [];
    // A clock of the test's own: the hour passes at once, and a slow machine changes nothing.
    let clock = Date.parse('2026-12-07T08:00:00Z');
    const accounts = new Accounts(
      index.accountStore(),
      (e) => records.push(e),
      () => ({ idleMinutes: 15, maxHours: 1 }),
      () => clock,
    );
    await accounts.createUser(
      { user: 'test', role: 'admin', via: 'secret' },
      'Eva',
      'viewer',
      'pw-for-the-test',
      'here',
    );
    const grant = await accounts.login('Eva', 'pw-for-the-test', 'here');
    clock += 14 * 60_000;
    expect(accounts.session(grant.token)).toMatchObject({ user: 'Eva', role: 'viewer', via: 'session' });
    clock += 14 * 60_000; // 14 minutes after the last use: still open
    expect(accounts.session(grant.token)).toMatchObject({ user: 'Eva' });
    clock += 16 * 60_000; // 16 minutes idle
    expect(accounts.session(grant.token)).toBeUndefined();
    const second = await accounts.login('Eva', 'pw-for-the-test', 'here');
    for (let minutes = 10; minutes < 60; minutes += 10) {
      clock += 10 * 60_000;
      expect(accounts.session(second.token), `${minutes} minutes after the login`).toBeDefined();
    }
    clock += 10 * 60_000 + 1; // used every 10 minutes, but an hour after the login
    expect(accounts.session(second.token)).toBeUndefined();
    expect(records.map((r) => r.action)).toEqual(['user-created', 'login', 'login']);
  });
});
