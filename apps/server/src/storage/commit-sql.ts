import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { VersionConflict } from '../services/ports.ts';
import {
  claimManySql,
  claimsOf,
  COLUMNS,
  END_INVITATION_SQL,
  END_SESSIONS_SQL,
  type InsertTable,
  insertSql,
  insertsOf,
  LABEL_SQL,
  STATE_SQL,
  type SqlValue,
  valuesOf,
  type CommitPlan,
} from './commit-plan.ts';
import type { Database } from './schema.ts';

/** PostgreSQL numbers its placeholders; SQLite takes `?`. */
export type Placeholders = 'numbered' | 'question-marks';

/** Values per statement at most (PostgreSQL allows 65535, SQLite 32766). */
const MAX_PARAMS = 30_000;

/**
 * Writes plans through Kysely in one transaction: PostgreSQL's writer (and SQLite's when no
 * better-sqlite3 handle is at hand). The SQL is precompiled text (commit-plan.ts), so Kysely
 * compiles nothing; round trips are what cost on PostgreSQL, so the batch goes as
 *
 *   1. the case creations, if any (their rows, then their states);
 *   2. every other case's version claim in one statement (claimsOf: one per case, from
 *      where its first command in the batch started to where its last one ends): it locks
 *      those case rows, and a case is never claimed by two batches at once (the group
 *      commit holds a case's later commands back while a batch of it is written), so lanes
 *      do not wait on each other's rows;
 *   3. the states that changed, then every other table's rows of the whole batch as
 *      multi-row INSERTs, table by table, with the (rare) UPDATEs of labels, invitations
 *      and sessions in between.
 *
 * Any error rolls the whole transaction back and is thrown.
 */
export function sqlWriter(db: Kysely<Database>, placeholders: Placeholders): (plans: readonly CommitPlan[]) => Promise<void> {
  const texts = new Map<string, string>();
  /** `?`-text → the dialect's text, cached (statement texts come from a small set). */
  const dialect = (key: string, make: () => string): string => {
    let t = texts.get(key);
    if (t === undefined) {
      let n = 0;
      t = placeholders === 'numbered' ? make().replace(/\?/g, () => `$${++n}`) : make();
      texts.set(key, t);
    }
    return t;
  };
  const run = (trx: Transaction<Database>, key: string, make: () => string, params: readonly SqlValue[]) =>
    trx.executeQuery(CompiledQuery.raw(dialect(key, make), params as SqlValue[]));

  async function insertMany<T extends InsertTable>(trx: Transaction<Database>, table: T, rows: readonly Database[T][]): Promise<void> {
    const per = Math.max(1, Math.floor(MAX_PARAMS / COLUMNS[table].length));
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      await run(trx, `insert:${table}:${chunk.length}`, () => insertSql(table, chunk.length), chunk.flatMap((r) => valuesOf(table, r)));
    }
  }

  return (plans) =>
    db.transaction().execute(async (trx) => {
      // Creations first: a command pipelined behind one claims the row it inserts.
      for (const p of plans) {
        if (!p.create) continue;
        await run(trx, 'insert:cases:1', () => insertSql('cases'), valuesOf('cases', p.create.case));
        await run(trx, 'insert:case_states:1', () => insertSql('case_states'), valuesOf('case_states', p.create.state));
      }
      // Every case's claim in one statement (a round trip per batch, not per case).
      const claims = claimsOf(plans);
      const per = Math.floor(MAX_PARAMS / 9);
      for (let i = 0; i < claims.length; i += per) {
        const chunk = claims.slice(i, i + per);
        const r = await run(trx, `claims:${chunk.length}`, () => claimManySql(chunk.length), chunk.flat());
        if (r.numAffectedRows !== BigInt(chunk.length)) throw new VersionConflict('case changed concurrently');
      }
      // States last to first would do; in order is plainer (the last write of a case wins).
      for (const p of plans) if (!p.create && p.state !== null) await run(trx, 'state', () => STATE_SQL, [p.state, p.caseId]);
      const rows = insertsOf(plans);
      await insertMany(trx, 'agreements', rows.agreements);
      await insertMany(trx, 'case_mediators', rows.case_mediators);
      await insertMany(trx, 'events', rows.events);
      await insertMany(trx, 'items', rows.items);
      for (const p of plans) for (const l of p.labels) await run(trx, 'label', () => LABEL_SQL, [l.label, l.messageId, l.caseId]);
      // Pending invitations end before the new ones are stored (a re-issued link replaces one).
      for (const p of plans) for (const participant of p.endInvitationsOf) await run(trx, 'end-invitation', () => END_INVITATION_SQL, [p.now, p.caseId, participant]);
      await insertMany(trx, 'invitations', rows.invitations);
      for (const p of plans) for (const participant of p.endSessionsOf) await run(trx, 'end-sessions', () => END_SESSIONS_SQL, [p.now, participant]);
      await insertMany(trx, 'idempotency', rows.idempotency);
    });
}
