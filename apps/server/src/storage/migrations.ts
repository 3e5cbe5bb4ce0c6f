import { type Kysely, type Migration, type MigrationProvider, Migrator, SqliteAdapter, sql } from 'kysely';

/**
 * Migrations in TypeScript, run at start. Only column types and statements that both
 * SQLite and PostgreSQL accept.
 */
const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text')
      .addColumn('disabled_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('auth_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text')
      .addColumn('participant_id', 'text')
      .addColumn('case_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('auth_sessions_account').on('auth_sessions').column('account_id').execute();
    await db.schema.createIndex('auth_sessions_participant').on('auth_sessions').column('participant_id').execute();
    await db.schema
      .createTable('account_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text')
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createTable('cases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('regime', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('audit_seq', 'integer', (c) => c.notNull())
      .addColumn('audit_hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('agreements')
      .addColumn('case_id', 'text', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('case_mediators')
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('participant_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('case_mediators_pk', ['case_id', 'account_id'])
      .execute();
    await db.schema.createIndex('case_mediators_account').on('case_mediators').column('account_id').execute();
    await db.schema
      .createTable('events')
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('events_pk', ['case_id', 'stream', 'position'])
      .execute();
    await db.schema
      .createTable('contents')
      .addColumn('event_id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('contents_case').on('contents').column('case_id').execute();
    await db.schema
      .createTable('items')
      .addColumn('message_id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('author_id', 'text', (c) => c.notNull())
      .addColumn('label', 'text')
      .addColumn('conveyed', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('invitations')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('participant_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('redeemed_at', 'bigint')
      .execute();
    await db.schema.createIndex('invitations_participant').on('invitations').column('participant_id').execute();
    await db.schema
      .createTable('audit')
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('content_hash', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_pk', ['case_id', 'seq'])
      .execute();
    await db.schema
      .createTable('idempotency')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_pk', ['scope', 'key'])
      .execute();
  },
};

/**
 * The case log as one row per event. The first layout wrote six B-trees per message
 * (events, contents and audit, each with one or two random-keyed indexes) and rewrote the
 * whole state (2 KB and more) with every command; the log keeps the event, its audit entry
 * and its content in one row under one index, and the state apart from the heads that
 * every event moves (measured: SQLite's share of a message's write roughly halved).
 */
const logLayout: Migration = {
  async up(db: Kysely<unknown>) {
    // PostgreSQL: Kysely runs the migration and its record in one transaction.
    if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return toLogLayout(db);
    // SQLite: Kysely runs migrations outside a transaction, and this one moves every event,
    // so it takes one itself: a crash half-way leaves the first layout as it was. A crash
    // after the COMMIT but before Kysely records the migration leaves the new layout
    // unrecorded: it is recognised (no audit table any more) and only recorded.
    const old = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit'`.execute(db);
    if (old.rows.length === 0) return;
    await sql`BEGIN IMMEDIATE`.execute(db);
    try {
      await toLogLayout(db);
      await sql`COMMIT`.execute(db);
    } catch (e) {
      await sql`ROLLBACK`.execute(db);
      throw e;
    }
  },
};

async function toLogLayout(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').renameTo('events_v1').execute();
  await db.schema
    .createTable('events')
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('content', 'text')
    .addColumn('content_hash', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('case_log_pk', ['case_id', 'stream', 'position'])
    .execute();
  await sql`INSERT INTO events (case_id, stream, position, seq, id, type, actor_id, at, data, content, content_hash, prev_hash, hash)
    SELECT e.case_id, e.stream, e.position, a.seq, e.id, e.type, e.actor_id, e.at, e.data, c.body, a.content_hash, a.prev_hash, a.hash
    FROM events_v1 e JOIN audit a ON a.case_id = e.case_id AND a.event_id = e.id LEFT JOIN contents c ON c.event_id = e.id`.execute(db);
  // Every event has its audit entry (they were written in one transaction): an event the join
  // left out, or content left behind, stops the migration (and its transaction) instead.
  const count = async (q: ReturnType<typeof sql<{ n: number | string }>>): Promise<number> => Number((await q.execute(db)).rows[0]?.n ?? 0);
  const moved = await count(sql`SELECT count(*) AS n FROM events`);
  const movedContent = await count(sql`SELECT count(*) AS n FROM events WHERE content IS NOT NULL`);
  const [events, audit, contents] = [await count(sql`SELECT count(*) AS n FROM events_v1`), await count(sql`SELECT count(*) AS n FROM audit`), await count(sql`SELECT count(*) AS n FROM contents`)];
  if (moved !== events || moved !== audit || movedContent !== contents)
    throw new Error(`moving the log would lose rows: ${events} events, ${audit} audit entries and ${contents} contents became ${moved} rows with ${movedContent} contents`);
  await db.schema.dropTable('contents').execute();
  await db.schema.dropTable('audit').execute();
  await db.schema.dropTable('events_v1').execute();

  await db.schema.createTable('case_states').addColumn('case_id', 'text', (c) => c.primaryKey()).addColumn('state', 'text', (c) => c.notNull()).execute();
  await db.schema.alterTable('cases').addColumn('heads', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  const rows = await sql<{ id: string; state: string }>`SELECT id, state FROM cases`.execute(db);
  for (const r of rows.rows) {
    const { heads, ...rest } = JSON.parse(r.state) as { heads?: Record<string, number> };
    await sql`INSERT INTO case_states (case_id, state) VALUES (${r.id}, ${JSON.stringify(rest)})`.execute(db);
    await sql`UPDATE cases SET heads = ${JSON.stringify(heads ?? {})} WHERE id = ${r.id}`.execute(db);
  }
  await db.schema.alterTable('cases').dropColumn('state').execute();
}

/**
 * Mediators removed from a case before a removal also took the case off their account's
 * list (`leaveCaseOf`) kept their `case_mediators` row: the case's title and reference
 * still showed among their cases. Their rows go; a re-run deletes nothing more, so a crash
 * half-way (SQLite runs migrations outside a transaction) is finished by the next start.
 */
const removedMediators: Migration = {
  async up(db: Kysely<unknown>) {
    const rows = await sql<{ case_id: string; state: string }>`SELECT case_id, state FROM case_states`.execute(db);
    for (const r of rows.rows) {
      const state = JSON.parse(r.state) as { participants?: Record<string, { role?: string; removed?: boolean }> };
      for (const [participantId, p] of Object.entries(state.participants ?? {}))
        if (p.role === 'mediator' && p.removed === true) await sql`DELETE FROM case_mediators WHERE case_id = ${r.case_id} AND participant_id = ${participantId}`.execute(db);
    }
  },
};

/**
 * The store's identity (C11): one random id, which its key directory holds too, so that the
 * store is never served with another store's keys, or with an empty directory in their place
 * (keys-at-start.ts).
 */
const storeIdentity: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('store_identity').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey()).execute();
  },
};

/** Every migration, in order. */
export const MIGRATIONS = { '0001-initial': initial, '0002-log-layout': logLayout, '0003-removed-mediators': removedMediators, '0004-store-identity': storeIdentity } as const;

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** The migrations this store has not run yet, by name. */
export async function pendingMigrations(db: Kysely<unknown>): Promise<string[]> {
  const all = await new Migrator({ db, provider }).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Runs the migrations not yet run: all of them, or (tests of a migration) up to `upTo`. */
export async function migrate(db: Kysely<unknown>, upTo?: keyof typeof MIGRATIONS): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await (upTo ? migrator.migrateTo(upTo) : migrator.migrateToLatest());
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  }
}
