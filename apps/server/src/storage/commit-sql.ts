import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { VersionConflict } from '../services/ports.ts';
import {
  claimManySql,
  claimsOf,
  COLUMNS,
  END_INVITATION_SQL,
  END_SESSIONS_SQL,
  LEAVE_CASE_SQL,
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

/** The failed claim check's text: PostgreSQL's error quotes it ('invalid input syntax for type integer'). */
const CONFLICT_TEXT = 'caucus: a version claim matched no row';

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
 * Any error rolls the whole transaction back and is thrown. On PostgreSQL, the common batch
 * (no creation, label, invitation or ended session in it) skips all of that and goes as one
 * statement instead (`writeInOne`): measured at 200 cases on this project's bench machine,
 * delivery p50 at half saturation 9-12 ms instead of 18-32, with deliveries/s within noise.
 */
export function sqlWriter(db: Kysely<Database>, placeholders: Placeholders): (choose: () => readonly CommitPlan[]) => Promise<void> {
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

  /** Statement texts of the one-statement path, by their row counts (capped: see below). */
  const oneTexts = new Map<string, string>();

  /**
   * PostgreSQL, the common batch (messages, moves, requests: claims, changed states, log,
   * items and idempotency records only): all of it in one statement, so one round trip
   * (and its implicit transaction) instead of six or more. The writes are data-modifying
   * CTEs, which PostgreSQL runs to completion within the statement; the statement's result
   * is the check that every claim matched a row, and a failed check is an error (a text
   * cast as an integer, which cannot be folded before the claims ran), so nothing of the
   * batch stays. Returns false when the batch does not fit this path.
   */
  async function writeInOne(conn: Kysely<Database>, plans: readonly CommitPlan[]): Promise<boolean> {
    if (placeholders !== 'numbered') return false;
    for (const p of plans)
      if (p.create || p.labels.length > 0 || p.endInvitationsOf.length > 0 || p.invitations.length > 0 || p.endSessionsOf.length > 0 || p.leaveCaseOf.length > 0) return false;
    const claims = claimsOf(plans);
    // The last state written per case is the one that stands (UPDATE ... FROM takes one source row per target).
    const states = new Map<string, string>();
    for (const p of plans) if (p.state !== null) states.set(p.caseId, p.state);
    const rows = insertsOf(plans);
    const params = claims.length * 9 + states.size * 2 + rows.events.length * COLUMNS.events.length + rows.items.length * COLUMNS.items.length + rows.idempotency.length * COLUMNS.idempotency.length;
    if (claims.length === 0 || rows.events.length === 0 || params > MAX_PARAMS) return false;
    const key = `${claims.length}:${states.size}:${rows.events.length}:${rows.items.length}:${rows.idempotency.length}`;
    let text = oneTexts.get(key);
    if (text === undefined) {
      const parts = [`"claimed" AS (${claimManySql(claims.length)} RETURNING 1)`];
      if (states.size > 0)
        parts.push(
          `"states" AS (UPDATE "case_states" SET "state" = "v"."column2" FROM (VALUES ${Array.from({ length: states.size }, () => '(CAST(? AS TEXT), CAST(? AS TEXT))').join(', ')}) AS "v" WHERE "case_states"."case_id" = "v"."column1")`,
        );
      parts.push(`"log" AS (${insertSql('events', rows.events.length)})`);
      if (rows.items.length > 0) parts.push(`"items" AS (${insertSql('items', rows.items.length)})`);
      if (rows.idempotency.length > 0) parts.push(`"records" AS (${insertSql('idempotency', rows.idempotency.length)})`);
      let n = 0;
      // Numbered before the check is added, so that nothing in the check can be taken for a
      // placeholder. In which order PostgreSQL runs the CTEs does not matter: the statement
      // stands or falls as a whole, and the claims are what locks the case rows.
      const numbered = `WITH ${parts.join(', ')}`.replace(/\?/g, () => `$${++n}`);
      text = `${numbered} SELECT CAST(CASE WHEN count(*) = ${claims.length} THEN '1' ELSE '${CONFLICT_TEXT}' END AS INTEGER) AS "ok" FROM "claimed"`;
      // Texts run to tens of KB for large batches: a few dozen shapes are kept, the rest rebuilt (microseconds).
      if (oneTexts.size >= 64) oneTexts.clear();
      oneTexts.set(key, text);
    }
    const values: SqlValue[] = claims.flat();
    for (const [caseId, state] of states) values.push(caseId, state);
    for (const r of rows.events) values.push(...valuesOf('events', r));
    for (const r of rows.items) values.push(...valuesOf('items', r));
    for (const r of rows.idempotency) values.push(...valuesOf('idempotency', r));
    try {
      await conn.executeQuery(CompiledQuery.raw(text, values));
    } catch (e) {
      // 22P02: the check's text did not convert to an integer, that is, a claim matched no row.
      if (e instanceof Error && (e as { code?: string }).code === '22P02' && e.message.includes(CONFLICT_TEXT)) throw new VersionConflict('case changed concurrently');
      throw e;
    }
    return true;
  }

  /**
   * `choose` is called once a pooled connection is held, right before the first statement is
   * sent: the plans it returns (each sender's access checked again in that turn, C7) are
   * not held up behind the pool after their check.
   */
  return (choose) =>
    db.connection().execute(async (conn) => {
      const plans = choose();
      if (plans.length === 0) return;
      if (await writeInOne(conn, plans)) return;
      await writeInTransaction(conn, plans);
    });

  async function writeInTransaction(conn: Kysely<Database>, plans: readonly CommitPlan[]): Promise<void> {
    await conn.transaction().execute(async (trx) => {
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
      for (const p of plans) for (const participant of p.leaveCaseOf) await run(trx, 'leave-case', () => LEAVE_CASE_SQL, [p.caseId, participant]);
      await insertMany(trx, 'idempotency', rows.idempotency);
    });
  }
}
