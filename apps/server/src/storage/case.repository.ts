import { type AuditEntry, type CaseState, GENESIS, type ItemMeta, type Label, type StoredEvent, upgradeState } from '@caucus/domain';
import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Kysely, PostgresAdapter } from 'kysely';
import type { AuditHead, CaseStore, CommitInput, CommitReceipt, InvitationRow } from '../services/ports.ts';
import { VersionConflict } from '../services/ports.ts';
import { type CaseKey, type CaseKeys, MissingCaseKey, SEALED } from './case-keys.ts';
import { type CommitPlan, planCommit } from './commit-plan.ts';
import { sqlWriter } from './commit-sql.ts';
import { sqliteWriter } from './commit-sqlite.ts';
import { nativeSqlite, nativeWalFlush, nativeWalTruncate, nativeWriteHold, storeKeys } from './db.ts';
import { destroyContent } from './keys-at-start.ts';
import type { Database } from './schema.ts';
import { FlushFailed, type WalFlush } from './wal-flush.ts';

const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string; message?: string };
  return err.code === '23505' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err.code === 'SQLITE_CONSTRAINT_UNIQUE';
};

const toInvitation = (r: Database['invitations']): InvitationRow => ({
  caseId: r.case_id,
  participantId: r.participant_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  redeemedAt: r.redeemed_at,
});

export interface CaseRepositoryOptions {
  /** How many group commits may be written at once (PostgreSQL: several connections). */
  readonly commitLanes?: number;
  /**
   * How commits are written. 'native' (default): on a SQLite store opened by openDb, through
   * its better-sqlite3 connection (commit-sqlite.ts); elsewhere as 'sql'. 'sql': precompiled
   * multi-row SQL through Kysely (commit-sql.ts), PostgreSQL's way.
   */
  readonly writer?: 'native' | 'sql';
  /** The native writer's flush of the WAL to disk (default: the store's own, wal-flush.ts); tests pass their own. */
  readonly flushWal?: WalFlush;
  /** Told once when the store stops taking writes (a failed flush, StoreFailed): the server stops. */
  readonly onFailure?: (e: Error) => void;
}

/**
 * The durable write path. A command's rows are planned once (commit-plan.ts, pure), then
 * written by one of two writers, in one transaction per batch:
 *
 * - SQLite: synchronously through better-sqlite3, on the same connection Kysely uses, while
 *   holding Kysely's connection mutex (`db.connection()`). Kysely's SQLite driver has a
 *   single connection and hands it to one holder at a time; a Kysely transaction holds it
 *   from BEGIN to COMMIT, so while this writer holds it no Kysely transaction (nor any other
 *   statement) is open on the connection, and nothing can start until the synchronous
 *   BEGIN IMMEDIATE ... COMMIT has returned. Other writers (accounts, invitation redeeming)
 *   go through Kysely and therefore queue on the same mutex. The writer also refuses to run
 *   inside an open transaction, where better-sqlite3 would only take a savepoint.
 * - PostgreSQL: through Kysely on a pooled connection, claims first then multi-row inserts.
 */
/** The columns of the log that make up its audit trail: all but `content`. */
export const AUDIT_COLUMNS = ['seq', 'id', 'type', 'actor_id', 'stream', 'at', 'content_hash', 'prev_hash', 'hash'] as const;

const IDEMPOTENT_SQL = {
  numbered: 'SELECT "request_hash", "response" FROM "idempotency" WHERE "scope" = $1 AND "key" = $2',
  'question-marks': 'SELECT "request_hash", "response" FROM "idempotency" WHERE "scope" = ? AND "key" = ?',
} as const;

/**
 * Up to N records stored before a time. SQLite: among the table's first N rows by rowid,
 * which is the order they were stored in (a rowid table hands out max + 1), so each
 * statement reads N rows at most and needs no index on the time, and a sweep stops at the
 * first window with nothing old in it. PostgreSQL has no such order: a scan for old rows
 * that stops at N of them (in its own process, off the event loop).
 */
const PRUNE_IDEMPOTENCY_SQL = {
  numbered: 'DELETE FROM "idempotency" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "idempotency" WHERE "created_at" < $1 LIMIT $2))',
  'question-marks': 'DELETE FROM "idempotency" WHERE rowid IN (SELECT rowid FROM "idempotency" ORDER BY rowid LIMIT ?) AND "created_at" < ?',
} as const;

export function caseRepository(db: Kysely<Database>, opts: CaseRepositoryOptions = {}): CaseStore {
  const found = storeKeys(db);
  if (!found) throw new Error('caseRepository needs a store opened by openDb: it holds the per-case keys (C11)');
  const keys: CaseKeys = found;
  const placeholders = db.getExecutor().adapter instanceof PostgresAdapter ? 'numbered' : 'question-marks';
  const native = opts.writer === 'sql' ? undefined : nativeSqlite(db);
  /**
   * Writes in one transaction the plans `choose` returns, called in the turn the write starts
   * (natively: holding the connection, right before the synchronous transaction), so that what
   * is written can be chosen there. Writing no plans is no write.
   */
  let write: (choose: () => readonly CommitPlan[]) => Promise<void>;
  let failure: () => Error | null = () => null;
  let durable: (() => Promise<void>) | undefined;
  let idempotentStatement: SQLite.Statement<[string, string], { request_hash: string; response: string }> | undefined;
  if (native) {
    const writeNow = sqliteWriter(native, opts.flushWal ?? nativeWalFlush(db), opts.onFailure);
    failure = () => writeNow.failure();
    durable = () => writeNow.durable();
    // Holding Kysely's one connection while the synchronous transaction runs (see above), and
    // letting go of it before waiting for the flush to disk.
    const hold = nativeWriteHold(db);
    write = async (choose) => {
      for (;;) {
        const held = hold?.();
        if (held) await held; // the checkpoint thread is starting the WAL over or cutting it (db.ts)
        // Checked again in the turn that writes: a hold may have begun while the connection was awaited.
        const done = await db.connection().execute(() => {
          if (hold?.()) return Promise.resolve(null);
          const plans = choose(); // chosen and written in this one turn
          return Promise.resolve({ flushed: plans.length > 0 ? writeNow(plans) : Promise.resolve() });
        });
        if (done) return done.flushed;
      }
    };
  } else {
    // PostgreSQL (and the SQL writer on SQLite): chosen once a connection is held, right
    // before the statements are sent (commit-sql.ts).
    write = sqlWriter(db, placeholders);
  }

  const asConflict = (e: unknown): Error =>
    e instanceof VersionConflict ? e : isUniqueViolation(e) ? new VersionConflict('case changed concurrently') : e instanceof Error ? e : new Error(String(e));

  /**
   * Each input's plan, or the error it alone gets. Inputs of one case follow each other in
   * order (a case's commands may be decided before the one before them is stored): each is
   * planned on the head its predecessor in the batch leaves. Other callers that did not carry
   * the audit head get it read here, outside the transaction: a version's head never
   * changes, and if the case moved on since, the claim fails on the version anyway.
   */
  async function plan(inputs: readonly CommitInput[]): Promise<(CommitPlan | Error)[]> {
    const chained = new Set<CommitInput>();
    const seen = new Set<string>();
    for (const i of inputs) {
      if (seen.has(i.caseId) && !i.expectedAudit) chained.add(i);
      seen.add(i.caseId);
    }
    const unknown = inputs.filter((i) => i.expectedVersion !== null && !i.expectedAudit && !chained.has(i)).map((i) => i.caseId);
    const heads = new Map<string, AuditHead>();
    let readFailed: Error | null = null;
    if (unknown.length > 0) {
      try {
        const rows = await db.selectFrom('cases').select(['id', 'audit_seq', 'audit_hash']).where('id', 'in', unknown).execute();
        for (const r of rows) heads.set(r.id, { seq: r.audit_seq, hash: r.audit_hash });
      } catch (e) {
        readFailed = asConflict(e);
      }
    }
    // Each case's key (C11). A new case's is on disk before anything is sealed with it. A
    // case without one is a case that is not there (its claim would find no row), unless
    // its row is there: then its key went missing, and that is said as such.
    const caseKeys = new Map<string, CaseKey | null | Error>();
    for (const i of inputs) {
      if (caseKeys.has(i.caseId)) continue;
      try {
        if (i.expectedVersion === null) await keys.ensure(i.caseId);
        caseKeys.set(i.caseId, keys.get(i.caseId));
      } catch (e) {
        const there = e instanceof MissingCaseKey && (await db.selectFrom('cases').select('id').where('id', '=', i.caseId).executeTakeFirst().catch(() => null));
        caseKeys.set(i.caseId, e instanceof MissingCaseKey && !there ? new VersionConflict('no such case') : e instanceof Error ? e : new Error(String(e)));
      }
    }
    const last = new Map<string, CommitPlan | Error>();
    return inputs.map((i) => {
      const out = ((): CommitPlan | Error => {
        try {
          const key = caseKeys.get(i.caseId) ?? null;
          if (key instanceof Error) return key;
          if (chained.has(i)) {
            const before = last.get(i.caseId);
            // The one before failed to plan: this one, decided on top of it, cannot follow it.
            if (!before || before instanceof Error) return new VersionConflict('the command before this one was not stored');
            return planCommit(i, before.after, key);
          }
          if (readFailed && i.expectedVersion !== null && !i.expectedAudit) return readFailed;
          // A case that is not there has no head: its claim finds no row, a VersionConflict.
          return planCommit(i, i.expectedAudit ?? heads.get(i.caseId) ?? { seq: 0, hash: GENESIS }, key);
        } catch (e) {
          return asConflict(e);
        }
      })();
      last.set(i.caseId, out);
      return out;
    });
  }

  async function commitMany(inputs: readonly CommitInput[], checks?: readonly ((() => void) | undefined)[]): Promise<(CommitReceipt | Error)[]> {
    const plans = await plan(inputs);
    /** Outcomes decided in the write's own turn: a sender's access lost (C7), or decided on top of such a command. */
    const refusedNow = new Map<number, Error>();
    /**
     * The plans to write, chosen in the turn the transaction starts: each sender's access is
     * checked again there (planning and the connection may have been waited for). A refused
     * command is left out, with the commands of its case after it (decided on top of it).
     */
    const select = (indexes: readonly number[]): CommitPlan[] => {
      const dropped = new Set<string>();
      const chosen: CommitPlan[] = [];
      for (const i of indexes) {
        const p = plans[i];
        if (!p || p instanceof Error) continue;
        if (dropped.has(p.caseId)) {
          refusedNow.set(i, new VersionConflict('decided on top of a command that was refused'));
          continue;
        }
        try {
          checks?.[i]?.();
          chosen.push(p);
        } catch (e) {
          dropped.add(p.caseId);
          refusedNow.set(i, e instanceof Error ? e : new Error(String(e)));
        }
      }
      return chosen;
    };
    /** Outcomes settled before a write: commands left out of the batch written again (below). */
    const left = new Map<number, Error>();
    const outcome = (p: CommitPlan | Error, i: number): Error | undefined => (p instanceof Error ? p : (left.get(i) ?? refusedNow.get(i)));
    let ready = plans.flatMap((p, i) => (p instanceof Error ? [] : [i]));
    for (let attempt = 0; ready.length > 1; attempt += 1) {
      try {
        const written = new Set<CommitPlan>();
        const chosen = ready;
        await write(() => {
          for (const p of select(chosen)) written.add(p);
          return [...written];
        });
        return plans.map((p, i) => outcome(p, i) ?? (written.has(p as CommitPlan) ? { audit: (p as CommitPlan).after } : new Error('commitMany: a plan was neither written nor refused')));
      } catch (e) {
        // Written but maybe not on disk: nothing can be said of any of them, and nothing is written again.
        if (e instanceof FlushFailed) return plans.map((p, i) => outcome(p, i) ?? e);
        // One of them failed, so the transaction wrote nothing.
        refusedNow.clear();
        if (attempt > 0 || !isUniqueViolation(e)) break;
        // A key stored already: a retry decided before its record was read. Which ones is one
        // read; they are left out with the commands of their cases decided on top of them, and
        // the rest is written together once more, instead of one transaction (and one flush)
        // each. The engine decides those left out again, with their records read first.
        const taken = await takenKeys(ready).catch(() => null);
        if (!taken || taken.size === 0) break;
        const dropped = new Set<string>();
        ready = ready.filter((i) => {
          const p = plans[i] as CommitPlan;
          if (!taken.has(i) && !dropped.has(p.caseId)) return true;
          dropped.add(p.caseId);
          left.set(i, new VersionConflict(taken.has(i) ? 'its idempotency key is stored already' : 'decided on top of a command that was not stored'));
          return false;
        });
      }
    }
    // Each alone, for its own answer. A command decided on top of one that was not stored
    // cannot follow it: it is answered so without being tried.
    const out: (CommitReceipt | Error)[] = [];
    const failedCases = new Set<string>();
    for (const [i, p] of plans.entries()) {
      const settled = outcome(p, i);
      if (p instanceof Error || settled) {
        if (!(p instanceof Error)) failedCases.add(p.caseId);
        out.push(settled ?? (p as Error));
        continue;
      }
      if (failedCases.has(p.caseId)) {
        out.push(new VersionConflict('decided on top of a command that was not stored'));
        continue;
      }
      try {
        // Each write alone waits for the one before it: the sender's access is checked again,
        // in the turn its write starts (C7).
        await write(() => select([i]));
        const refused = refusedNow.get(i);
        if (refused) failedCases.add(p.caseId);
        out.push(refused ?? { audit: p.after });
      } catch (e) {
        failedCases.add(p.caseId);
        out.push(asConflict(e));
      }
    }
    return out;

    /** Which of these plans carry an idempotency key the store holds already (one read). */
    async function takenKeys(indexes: readonly number[]): Promise<Set<number>> {
      const keyed = indexes.flatMap((i) => {
        const k = (plans[i] as CommitPlan).idempotency;
        return k ? [{ i, scope: k.scope, key: k.key }] : [];
      });
      if (keyed.length === 0) return new Set();
      const rows = await db
        .selectFrom('idempotency')
        .select(['scope', 'key'])
        .where((eb) => eb.or(keyed.map((k) => eb.and([eb('scope', '=', k.scope), eb('key', '=', k.key)]))))
        .execute();
      const found = new Set(rows.map((r) => `${r.scope}\u0000${r.key}`));
      return new Set(keyed.filter((k) => found.has(`${k.scope}\u0000${k.key}`)).map((k) => k.i));
    }
  }

  return {
    async load(caseId) {
      const row = await db
        .selectFrom('cases')
        .innerJoin('case_states', 'case_states.case_id', 'cases.id')
        .select(['case_states.state', 'cases.heads', 'cases.version', 'cases.audit_seq', 'cases.audit_hash'])
        .where('cases.id', '=', caseId)
        .executeTakeFirst();
      if (!row) return null;
      const state = upgradeState({ ...(JSON.parse(row.state) as Omit<CaseState, 'heads'>), heads: JSON.parse(row.heads) as CaseState['heads'] });
      return { state, version: row.version, audit: { seq: row.audit_seq, hash: row.audit_hash } };
    },

    async commit(input) {
      const [outcome] = await commitMany([input]);
      if (!outcome) throw new Error('commit: no outcome');
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    commitMany,
    commitLanes: opts.commitLanes ?? 1,
    failure: () => failure(),
    ...(durable ? { durable } : {}),

    async readStream(caseId, stream, after, limit) {
      const rows = await db
        .selectFrom('events')
        .select(['id', 'stream', 'position', 'type', 'actor_id', 'at', 'data', 'content'])
        .where('case_id', '=', caseId)
        .where('stream', '=', stream)
        .where('position', '>', after)
        .orderBy('position')
        .limit(limit)
        .execute();
      // Content is opened with the case's key (C11); a shredded case has none, and no content.
      const key = rows.some((r) => r.content !== null) ? keys.get(caseId) : null;
      return rows.map(
        (r) =>
          ({
            id: r.id,
            stream: r.stream,
            position: r.position,
            type: r.type,
            actorId: r.actor_id,
            at: r.at,
            data: JSON.parse(r.data) as unknown,
            content: r.content === null || !key ? null : (JSON.parse(r.content.startsWith(SEALED) ? key.open(r.id, r.content) : r.content) as unknown),
          }) as StoredEvent,
      );
    },

    destroyContent: (caseId) => destroyContent(db, keys, caseId, placeholders === 'numbered' ? 'postgres' : 'sqlite', nativeWalTruncate(db)),

    async requestDigest(caseId, text, creating) {
      if (creating) await keys.ensure(caseId);
      try {
        return keys.get(caseId)?.digest(text) ?? null;
      } catch (e) {
        if (e instanceof MissingCaseKey) return null; // no such case: its command finds none
        throw e;
      }
    },

    async item(caseId, messageId): Promise<ItemMeta | null> {
      const r = await db.selectFrom('items').selectAll().where('case_id', '=', caseId).where('message_id', '=', messageId).executeTakeFirst();
      return r ? { id: r.message_id, stream: r.stream, authorId: r.author_id, label: r.label as Label | null, conveyed: r.conveyed === 1 } : null;
    },

    async agreement(caseId) {
      const r = await db.selectFrom('agreements').select(['text', 'hash']).where('case_id', '=', caseId).executeTakeFirst();
      return r ?? null;
    },

    async audit(caseId) {
      // The audit entries are the log's content-free columns (C10): `content` is not read.
      const rows = await db.selectFrom('events').select(AUDIT_COLUMNS).where('case_id', '=', caseId).orderBy('seq').execute();
      const head = await db.selectFrom('cases').select(['audit_seq', 'audit_hash']).where('id', '=', caseId).executeTakeFirst();
      const entries: AuditEntry[] = rows.map((r) => ({
        seq: r.seq,
        eventId: r.id,
        type: r.type,
        actorId: r.actor_id,
        stream: r.stream,
        at: r.at,
        contentHash: r.content_hash,
        prevHash: r.prev_hash,
        hash: r.hash,
      }));
      return { entries, head: { seq: head?.audit_seq ?? 0, hash: head?.audit_hash ?? GENESIS } };
    },

    async findIdempotent(scope, key) {
      // After a failed flush a stored record may not be on disk: no answer is given from it.
      const failed = failure();
      if (failed) throw failed;
      // Asked before every command with a key but a message (and for a message's retry or refusal, case-engine.ts): precompiled.
      const { rows } = await db.executeQuery<Pick<Database['idempotency'], 'request_hash' | 'response'>>(CompiledQuery.raw(IDEMPOTENT_SQL[placeholders], [scope, key]));
      const r = rows[0];
      return r ? { requestHash: r.request_hash, response: r.response } : null;
    },

    async pruneIdempotency(before, limit) {
      const n = Math.max(1, Math.trunc(limit));
      const r = await db.executeQuery(CompiledQuery.raw(PRUNE_IDEMPOTENCY_SQL[placeholders], placeholders === 'numbered' ? [before, n] : [n, before]));
      return Number(r.numAffectedRows ?? 0);
    },

    // Read straight from SQLite's connection between statements (better-sqlite3 is synchronous,
    // and the commit writer, which runs to its end in one call, and the pruning's single
    // statements are all that write this table); not while a Kysely transaction is open on it.
    findIdempotentNow: native
      ? (scope, key) => {
          if (native.inTransaction || failure()) return undefined; // then findIdempotent answers (or refuses)
          idempotentStatement ??= native.prepare(IDEMPOTENT_SQL['question-marks']); // prepared on first use: the table exists by then
          const r = idempotentStatement.get(scope, key);
          return r ? { requestHash: r.request_hash, response: r.response } : null;
        }
      : undefined,

    async invitationByToken(tokenHash) {
      const r = await db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return r ? toInvitation(r) : null;
    },

    async invitationsOf(caseId) {
      const rows = await db.selectFrom('invitations').selectAll().where('case_id', '=', caseId).orderBy('created_at').execute();
      // In the order they were issued. A re-issue ends the links before it at the very time
      // it creates the new one, so within one millisecond an ended link came first.
      return rows.map(toInvitation).sort((a, b) => a.createdAt - b.createdAt || Number(a.revokedAt === null) - Number(b.revokedAt === null));
    },

    async markRedeemed(tokenHash, at, session) {
      // One transaction: the UPDATE holds the invitation's row (PostgreSQL) or the store
      // (SQLite) until the session is in, and a revocation's END_INVITATION ... END_SESSIONS
      // comes wholly before (no row updated here) or wholly after (it ends this session).
      return db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('invitations')
          .set({ redeemed_at: at })
          .where('token_hash', '=', tokenHash)
          .where('redeemed_at', 'is', null)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) return false;
        if (session)
          await trx
            .insertInto('auth_sessions')
            .values({ id_hash: session.idHash, account_id: session.accountId, participant_id: session.participantId, case_id: session.caseId, created_at: at, expires_at: session.expiresAt, revoked_at: null })
            .execute();
        return true;
      });
    },

    async casesOfAccount(accountId) {
      return db
        .selectFrom('cases')
        .innerJoin('case_mediators', 'case_mediators.case_id', 'cases.id')
        .select(['cases.id', 'cases.title', 'cases.reference', 'cases.status', 'cases.created_at as createdAt'])
        .where('case_mediators.account_id', '=', accountId)
        .orderBy('cases.created_at', 'desc')
        .execute();
    },

    async allCases() {
      const rows = await db
        .selectFrom('cases')
        .leftJoin('case_mediators', 'case_mediators.case_id', 'cases.id')
        .select(({ fn }) => ['cases.id', 'cases.title', 'cases.reference', 'cases.status', 'cases.created_at as createdAt', fn.count<number>('case_mediators.account_id').as('mediators')])
        .groupBy(['cases.id', 'cases.title', 'cases.reference', 'cases.status', 'cases.created_at'])
        .orderBy('cases.created_at', 'desc')
        .execute();
      return rows.map((r) => ({ ...r, mediators: Number(r.mediators) }));
    },
  };
}
