import type SQLite from 'better-sqlite3';
import { VersionConflict } from '../services/ports.ts';
import { FlushFailed, type WalFlush } from './wal-flush.ts';
import { claimValues, CLAIM_SQL, COLUMNS, END_INVITATION_SQL, END_SESSIONS_SQL, type InsertTable, insertSql, LABEL_SQL, LEAVE_CASE_SQL, STATE_SQL, valuesOf, type CommitPlan } from './commit-plan.ts';

/**
 * Writes plans on SQLite straight through better-sqlite3: statements prepared once, and the
 * whole batch in one synchronous transaction (BEGIN IMMEDIATE ... COMMIT), so a command's
 * writes cost a few native calls instead of a compiled Kysely query and several promise hops
 * each. On any error the transaction is rolled back and the error thrown; nothing of the
 * batch stays.
 *
 * Durability: on a connection at synchronous=FULL (or EXTRA), and given `flush`, the batch
 * is committed at NORMAL (its frames written to the WAL, not yet flushed) and the returned
 * promise resolves once `flush` has put the WAL on disk: what FULL's COMMIT would have done,
 * but without holding the event loop (wal-flush.ts). The level is set back before this
 * returns, so every other write on the connection commits at FULL. Without `flush`, or at a
 * lower level (the bench provisions at OFF), the COMMIT is the connection's own. After a
 * failed flush nothing more is written: every later batch fails at once (FlushFailed).
 *
 * `sqlite` must be the connection Kysely uses (openDb's), and the caller must hold that
 * connection (Kysely's connection mutex) while this runs, but not while it waits for the
 * promise: see `caseRepository`.
 */
/** PRAGMA synchronous levels: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
const FULL = 2;

export function sqliteWriter(
  sqlite: SQLite.Database,
  flush?: WalFlush,
  onFailure?: (e: FlushFailed) => void,
): ((plans: readonly CommitPlan[]) => Promise<void>) & { failure(): FlushFailed | null; durable(): Promise<void> } {
  // Prepared on first use: the tables exist by then (openDb migrates before returning).
  let st: {
    claim: SQLite.Statement;
    state: SQLite.Statement;
    label: SQLite.Statement;
    endInvitation: SQLite.Statement;
    endSessions: SQLite.Statement;
    leaveCase: SQLite.Statement;
    insert: Record<InsertTable, SQLite.Statement>;
  } | null = null;
  const statements = (): NonNullable<typeof st> => {
    if (st) return st;
    const insert = {} as Record<InsertTable, SQLite.Statement>;
    for (const t of Object.keys(COLUMNS) as InsertTable[]) insert[t] = sqlite.prepare(insertSql(t));
    st = {
      claim: sqlite.prepare(CLAIM_SQL),
      state: sqlite.prepare(STATE_SQL),
      label: sqlite.prepare(LABEL_SQL),
      endInvitation: sqlite.prepare(END_INVITATION_SQL),
      endSessions: sqlite.prepare(END_SESSIONS_SQL),
      leaveCase: sqlite.prepare(LEAVE_CASE_SQL),
      insert,
    };
    return st;
  };

  /** One command: the case row first (its claim), then the log and the projections. */
  const writeOne = (p: CommitPlan): void => {
    const s = statements();
    const ins = s.insert;
    if (p.create) {
      ins.cases.run(valuesOf('cases', p.create.case));
      ins.case_states.run(valuesOf('case_states', p.create.state));
      ins.agreements.run(valuesOf('agreements', p.create.agreement));
      for (const m of p.create.mediators) ins.case_mediators.run(valuesOf('case_mediators', m));
    } else {
      if (s.claim.run(claimValues(p)).changes !== 1) throw new VersionConflict('case changed concurrently');
      if (p.state !== null) s.state.run(p.state, p.caseId);
    }
    for (const r of p.events) ins.events.run(valuesOf('events', r));
    for (const r of p.items) ins.items.run(valuesOf('items', r));
    for (const l of p.labels) s.label.run(l.label, l.messageId, l.caseId);
    for (const participant of p.endInvitationsOf) s.endInvitation.run(p.now, p.caseId, participant);
    for (const r of p.invitations) ins.invitations.run(valuesOf('invitations', r));
    for (const participant of p.endSessionsOf) s.endSessions.run(p.now, participant);
    for (const participant of p.leaveCaseOf) s.leaveCase.run(p.caseId, participant);
    if (p.idempotency) ins.idempotency.run(valuesOf('idempotency', p.idempotency));
  };

  const batch = sqlite.transaction((plans: readonly CommitPlan[]) => {
    for (const p of plans) writeOne(p);
  });

  /** Set by a failed flush: from then on nothing is written (what is on disk is no longer known). */
  let failed: FlushFailed | null = null;
  const afterFlush = (e: unknown): never => {
    if (!failed) {
      failed = e instanceof FlushFailed ? e : new FlushFailed(`The store could not flush its log to disk (${e instanceof Error ? e.message : String(e)}). Restart the server.`);
      onFailure?.(failed);
    }
    throw failed;
  };

  // The level is read and switched around every batch, so these three are prepared once:
  // `sqlite.pragma()` compiles its statement on every call, which at small batches (a
  // couple of commands each, as at half load) cost ~20 us per batch in the bench's profile.
  let sync: { read: SQLite.Statement; normal: SQLite.Statement; back: Map<number, SQLite.Statement> } | null = null;
  const levels = (): NonNullable<typeof sync> => (sync ??= { read: sqlite.prepare('PRAGMA synchronous').pluck(), normal: sqlite.prepare('PRAGMA synchronous = NORMAL'), back: new Map() });
  const restore = (level: number): void => {
    const s = levels();
    let st = s.back.get(level);
    if (!st) s.back.set(level, (st = sqlite.prepare(`PRAGMA synchronous = ${Math.trunc(level)}`)));
    st.run();
  };

  /**
   * The flush asked for after the latest COMMIT: flushes run one after another and each
   * covers every frame written before it starts, so once this one has ended every batch
   * committed so far is on disk (or the store has failed, and this rejects).
   */
  let lastFlush: Promise<void> = Promise.resolve();
  const durable = (): Promise<void> => (failed ? Promise.reject(failed) : lastFlush);

  const write = (plans: readonly CommitPlan[]): Promise<void> => {
    if (failed) throw failed;
    // Inside an open transaction better-sqlite3 would nest this as a SAVEPOINT, and the
    // batch would be committed (or not) by whoever opened it: never acknowledge that.
    if (sqlite.inTransaction) throw new Error('sqliteWriter: the connection is inside another transaction');
    const level = flush ? (levels().read.get() as number) : 0;
    if (!flush || level < FULL) {
      batch.immediate(plans);
      return Promise.resolve();
    }
    levels().normal.run();
    try {
      batch.immediate(plans);
    } finally {
      restore(level);
    }
    const flushed = flush().catch(afterFlush);
    lastFlush = flushed;
    return flushed;
  };
  return Object.assign(write, { failure: () => failed, durable });
}
