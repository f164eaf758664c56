import type { SqlEngine } from './sql-engine.ts';

/** Which new UID a converter's newuids gave for which old one, per stage (migration 14), for olduids to undo it. */
export interface UidMapStore {
  remember(pairs: readonly { stage: string; newUid: string; oldUid: string }[]): Promise<void>;
  /** The old UIDs of these new ones in a stage (those known). */
  oldUids(stage: string, newUids: readonly string[]): Promise<Map<string, string>>;
}

const CHUNK = 200;

export class SqlUidMapStore implements UidMapStore {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  async remember(pairs: readonly { stage: string; newUid: string; oldUid: string }[]): Promise<void> {
    for (let at = 0; at < pairs.length; at += CHUNK) {
      const chunk = pairs.slice(at, at + CHUNK);
      await this.engine.run(
        `${this.engine.dialect.insertIgnore} INTO uid_map (stage, new_uid, old_uid) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`,
        chunk.flatMap((p) => [p.stage, p.newUid, p.oldUid]),
      );
    }
  }

  async oldUids(stage: string, newUids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let at = 0; at < newUids.length; at += CHUNK) {
      const chunk = newUids.slice(at, at + CHUNK);
      const rows = await this.engine.all<{ new_uid: string; old_uid: string }>(
        `SELECT new_uid, old_uid FROM uid_map WHERE stage = ? AND new_uid IN (${chunk.map(() => '?').join(', ')})`,
        [stage, ...chunk],
      );
      for (const r of rows) out.set(r.new_uid, r.old_uid);
    }
    return out;
  }
}
