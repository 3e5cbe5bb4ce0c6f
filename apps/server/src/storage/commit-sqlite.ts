import type SQLite from 'better-sqlite3';
import { VersionConflict } from '../services/ports.ts';
import { claimValues, CLAIM_SQL, COLUMNS, END_INVITATION_SQL, END_SESSIONS_SQL, type InsertTable, insertSql, LABEL_SQL, valuesOf, type CommitPlan } from './commit-plan.ts';

/**
 * Writes plans on SQLite straight through better-sqlite3: statements prepared once, and the
 * whole batch in one synchronous transaction (BEGIN IMMEDIATE ... COMMIT), so a command's
 * writes cost a few native calls instead of a compiled Kysely query and several promise hops
 * each. The COMMIT is the connection's own, under its journal_mode=WAL and synchronous=FULL:
 * when this returns, the batch is on disk. On any error the transaction is rolled back and
 * the error thrown; nothing of the batch stays.
 *
 * `sqlite` must be the connection Kysely uses (openDb's), and the caller must hold that
 * connection (Kysely's connection mutex) while this runs: see `caseRepository`.
 */
export function sqliteWriter(sqlite: SQLite.Database): (plans: readonly CommitPlan[]) => void {
  // Prepared on first use: the tables exist by then (openDb migrates before returning).
  let st: { claim: SQLite.Statement; label: SQLite.Statement; endInvitation: SQLite.Statement; endSessions: SQLite.Statement; insert: Record<InsertTable, SQLite.Statement> } | null = null;
  const statements = (): NonNullable<typeof st> => {
    if (st) return st;
    const insert = {} as Record<InsertTable, SQLite.Statement>;
    for (const t of Object.keys(COLUMNS) as InsertTable[]) insert[t] = sqlite.prepare(insertSql(t));
    st = { claim: sqlite.prepare(CLAIM_SQL), label: sqlite.prepare(LABEL_SQL), endInvitation: sqlite.prepare(END_INVITATION_SQL), endSessions: sqlite.prepare(END_SESSIONS_SQL), insert };
    return st;
  };

  /** One command, in the order the old Kysely path wrote it: the case row first. */
  const writeOne = (p: CommitPlan): void => {
    const s = statements();
    const ins = s.insert;
    if (p.create) {
      ins.cases.run(valuesOf('cases', p.create.case));
      ins.agreements.run(valuesOf('agreements', p.create.agreement));
      for (const m of p.create.mediators) ins.case_mediators.run(valuesOf('case_mediators', m));
    } else if (s.claim.run(claimValues(p)).changes !== 1) {
      throw new VersionConflict('case changed concurrently');
    }
    for (const r of p.events) ins.events.run(valuesOf('events', r));
    for (const r of p.contents) ins.contents.run(valuesOf('contents', r));
    for (const r of p.items) ins.items.run(valuesOf('items', r));
    for (const l of p.labels) s.label.run(l.label, l.messageId, l.caseId);
    for (const r of p.audit) ins.audit.run(valuesOf('audit', r));
    for (const participant of p.endInvitationsOf) s.endInvitation.run(p.now, p.caseId, participant);
    for (const r of p.invitations) ins.invitations.run(valuesOf('invitations', r));
    for (const participant of p.endSessionsOf) s.endSessions.run(p.now, participant);
    if (p.idempotency) ins.idempotency.run(valuesOf('idempotency', p.idempotency));
  };

  const batch = sqlite.transaction((plans: readonly CommitPlan[]) => {
    for (const p of plans) writeOne(p);
  });

  return (plans) => {
    // Inside an open transaction better-sqlite3 would nest this as a SAVEPOINT, and the
    // batch would be committed (or not) by whoever opened it: never acknowledge that.
    if (sqlite.inTransaction) throw new Error('sqliteWriter: the connection is inside another transaction');
    batch.immediate(plans);
  };
}
