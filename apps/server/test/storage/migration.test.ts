import { caucusStream, JOINT, MEDIATORS, verifyChain } from '@caucus/domain';
import { type Kysely, sql } from 'kysely';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import { sha256 } from '../../src/platform.ts';
import { caseRepository } from '../../src/storage/case.repository.ts';
import type { Db } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import type { Database } from '../../src/storage/schema.ts';
import { cmd, openCase } from './case-driver.ts';
import { ENGINES, type EngineUnderTest, type StoreTarget } from './engines.ts';
import { warnIfPostgresSkipped } from './pg.ts';

warnIfPostgresSkipped('storage migrations');

/** Rows of a table, every column, in a stable order. */
const rowsOf = async (db: Kysely<unknown>, table: string, order: string): Promise<Record<string, unknown>[]> =>
  (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} ORDER BY ${sql.raw(order)}`.execute(db)).rows;

/** Per engine: `it`, skipped where the engine is, and the store targets a test opens, disposed after it. */
function perTest(engine: EngineUnderTest): { it: typeof vitestIt; targets: StoreTarget[] } {
  const targets: StoreTarget[] = [];
  afterEach(async () => {
    for (const t of targets.splice(0)) await t.dispose();
  });
  return { it: vitestIt.skipIf(engine.skip !== null) as typeof vitestIt, targets };
}

/**
 * A store written by the first layout (0001: events, contents and audit apart, the whole
 * state in the case row) must come through the move to the log layout (0002) with nothing
 * lost: the same events and contents, an audit chain that still verifies, the same state.
 * The first layout's rows are made from a case the current code wrote, column by column.
 */
describe.each(ENGINES)('migration 0002 (log layout) on $name', (engine) => {
  const { it, targets } = perTest(engine);

  it('moves every event, content, audit entry and the state of a first-layout store, and the server carries on from there', async () => {
    // A case with messages in several rooms, a separate session and a caucus request.
    const source = await engine.target();
    targets.push(source);
    const now = await source.open();
    const c = await openCase(caseRepository(now.kysely), { caseId: 'c-old', leadAccount: 'acct-1' });
    await c.driver.run(c.lead, cmd('start-session', {}));
    await c.driver.post(c.partyA, JOINT, 'we want the deposit back');
    await c.driver.run(c.lead, cmd('start-separate', { sideId: c.sideA, purpose: 'reality-test' }));
    await c.driver.post(c.partyA, caucusStream(c.sideA), 'our real limit is 40,000', 'confidential');
    await c.driver.post(c.lead, MEDIATORS, 'A may move');
    await c.driver.run(c.partyB, cmd('request-caucus', { reason: 'alone please' }));
    const events = await rowsOf(now.kysely as unknown as Kysely<unknown>, 'events', 'seq');
    const items = await rowsOf(now.kysely as unknown as Kysely<unknown>, 'items', 'message_id');
    const kept = ['agreements', 'case_mediators', 'invitations', 'idempotency'] as const;
    const keptRows = Object.fromEntries(await Promise.all(kept.map(async (t) => [t, await rowsOf(now.kysely as unknown as Kysely<unknown>, t, '1')] as const)));
    const caseRow = (await rowsOf(now.kysely as unknown as Kysely<unknown>, 'cases', 'id'))[0] as unknown as Database['cases'];

    // The same case, in the first layout, in a store migrated to 0001 only.
    const old = await engine.target();
    targets.push(old);
    const raw = await old.open(); // openDb migrates to the latest: start again from an empty store
    await sql`DROP TABLE kysely_migration`.execute(raw.kysely);
    await sql`DROP TABLE kysely_migration_lock`.execute(raw.kysely);
    for (const t of ['accounts', 'auth_sessions', 'account_tokens', 'cases', 'case_states', 'agreements', 'case_mediators', 'events', 'items', 'invitations', 'idempotency', 'store_identity'])
      await sql`DROP TABLE ${sql.table(t)}`.execute(raw.kysely);
    const k = raw.kysely as unknown as Kysely<unknown>;
    await migrate(k, '0001-initial');
    const insert = async (table: string, row: Record<string, unknown>): Promise<void> => {
      const cols = Object.keys(row);
      await sql`INSERT INTO ${sql.table(table)} (${sql.join(cols.map((x) => sql.ref(x)))}) VALUES (${sql.join(cols.map((x) => row[x]))})`.execute(k);
    };
    const { heads, ...caseCols } = caseRow;
    await insert('cases', { ...caseCols, state: JSON.stringify(c.driver.state) });
    expect(JSON.parse(heads)).toEqual(c.driver.state.heads);
    for (const e of events as unknown as Database['events'][]) {
      await insert('events', { case_id: e.case_id, stream: e.stream, position: e.position, id: e.id, type: e.type, actor_id: e.actor_id, at: e.at, data: e.data });
      if (e.content !== null) await insert('contents', { event_id: e.id, case_id: e.case_id, body: e.content });
      await insert('audit', { case_id: e.case_id, seq: e.seq, event_id: e.id, type: e.type, actor_id: e.actor_id, stream: e.stream, at: e.at, content_hash: e.content_hash, prev_hash: e.prev_hash, hash: e.hash });
    }
    for (const r of items) await insert('items', r);
    for (const t of kept) for (const r of keptRows[t] ?? []) await insert(t, r);

    // The next start runs 0002. The content rows are sealed with the source's case key (C11): it comes along.
    fs.cpSync(path.join(source.dataDir, 'keys'), path.join(old.dataDir, 'keys'), { recursive: true });
    const migrated: Db = await old.open();
    const m = migrated.kysely as unknown as Kysely<unknown>;
    expect((await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(m)).rows.map((r) => r.name)).toEqual(['0001-initial', '0002-log-layout', '0003-removed-mediators', '0004-store-identity']);
    expect(await rowsOf(m, 'events', 'seq')).toEqual(events);
    expect(await rowsOf(m, 'items', 'message_id')).toEqual(items);
    for (const t of kept) expect(await rowsOf(m, t, '1'), t).toEqual(keptRows[t]);
    const store = caseRepository(migrated.kysely);
    expect(await store.load('c-old')).toEqual({ state: c.driver.state, version: c.driver.version, audit: c.driver.audit });
    const { entries, head } = await store.audit('c-old');
    expect(verifyChain('c-old', entries, head, sha256)).toEqual({ ok: true, length: events.length });
    for (const t of ['contents', 'audit']) {
      const left = engine.name === 'sqlite' ? await sql`SELECT name FROM sqlite_master WHERE name = ${t}`.execute(m) : await sql`SELECT tablename FROM pg_tables WHERE tablename = ${t}`.execute(m);
      expect(left.rows, `table ${t} is gone`).toEqual([]);
    }

    // ...and commands carry on from the migrated record.
    c.driver.store = store;
    await c.driver.post(c.lead, caucusStream(c.sideA), 'after the upgrade');
    const after = await store.audit('c-old');
    expect(verifyChain('c-old', after.entries, after.head, sha256)).toEqual({ ok: true, length: events.length + 1 });
    expect(await store.load('c-old')).toEqual({ state: c.driver.state, version: c.driver.version, audit: c.driver.audit });
  });
});

/**
 * A store written before content was sealed (C11) holds it in plain text and has no keys:
 * the next start gives each such case a key and seals its content in place, and on SQLite
 * rebuilds the file so that the plain pages are not left behind in its free space.
 */
describe.each(ENGINES)('content written before it was sealed, on $name', (engine) => {
  const { it, targets } = perTest(engine);

  it('[C11] is sealed in place at the next start, reads the same, and the audit chain still verifies', async () => {
    const target = await engine.target();
    targets.push(target);
    const db = await target.open();
    const c = await openCase(caseRepository(db.kysely), { caseId: 'c-plain', leadAccount: 'acct-1' });
    await c.driver.run(c.lead, cmd('start-session', {}));
    await c.driver.post(c.partyA, JOINT, 'written in the clear 7f3a');
    const key = db.keys.get('c-plain');
    const k = db.kysely as unknown as Kysely<unknown>;
    const sealedRows = (await sql<{ id: string; content: string }>`SELECT id, content FROM events WHERE content IS NOT NULL`.execute(k)).rows;
    // As the code before sealing wrote it: the JSON itself, and no key.
    for (const r of sealedRows) await sql`UPDATE events SET content = ${key?.open(r.id, r.content)} WHERE id = ${r.id}`.execute(k);
    const before = await caseRepository(db.kysely).readStream('c-plain', JOINT, 0, 100);
    // A store from before had no keys and no identity either.
    await db.kysely.deleteFrom('store_identity').execute();
    await db.close();
    fs.rmSync(path.join(target.dataDir, 'keys'), { recursive: true });

    const again = await target.open();
    const store = caseRepository(again.kysely);
    expect(await store.readStream('c-plain', JOINT, 0, 100)).toEqual(before);
    const rows = (await sql<{ content: string }>`SELECT content FROM events WHERE content IS NOT NULL`.execute(again.kysely)).rows;
    expect(rows.length).toBe(sealedRows.length);
    expect(rows.every((r) => r.content.startsWith('c1:'))).toBe(true);
    const { entries, head } = await store.audit('c-plain');
    expect(verifyChain('c-plain', entries, head, sha256).ok).toBe(true);
    // Rebuilt (SQLite) and done: nothing is left pending for the next start.
    expect(fs.existsSync(path.join(target.dataDir, 'keys', 'rebuild-pending'))).toBe(false);
    if (engine.name === 'sqlite') {
      await again.close();
      for (const f of fs.readdirSync(target.dataDir).filter((n) => n.startsWith('caucus.sqlite')))
        expect(fs.readFileSync(path.join(target.dataDir, f)).includes('written in the clear 7f3a'), f).toBe(false);
    }
  });
});

/** Mediators removed before a removal took the case off their list: 0003 takes it off. */
describe.each(ENGINES)('migration 0003 (removed mediators) on $name', (engine) => {
  const { it, targets } = perTest(engine);

  it("takes the case off a removed mediator's list and leaves everyone else's", async () => {
    const target = await engine.target();
    targets.push(target);
    const db = await target.open();
    const cases = caseRepository(db.kysely);
    const c = await openCase(cases, { caseId: 'c-co', leadAccount: 'acct-1', coAccount: 'acct-2' });
    if (!c.co) throw new Error('co-mediator expected');
    // Removed the way the code before leaveCaseOf did: the row stays.
    await c.driver.run(c.lead, cmd('remove-participant', { participantId: c.co }), { extra: { endSessionsOf: [c.co] } });
    await openCase(cases, { caseId: 'c-other', leadAccount: 'acct-3', coAccount: 'acct-2' });
    expect((await cases.casesOfAccount('acct-2')).map((x) => x.id).sort()).toEqual(['c-co', 'c-other']);
    const k = db.kysely as unknown as Kysely<unknown>;
    await sql`DELETE FROM kysely_migration WHERE name IN ('0003-removed-mediators', '0004-store-identity')`.execute(k); // the later one runs again too (it creates only what is missing)
    await migrate(k);
    expect((await cases.casesOfAccount('acct-2')).map((x) => x.id)).toEqual(['c-other']);
    expect((await cases.casesOfAccount('acct-1')).map((x) => x.id)).toEqual(['c-co']);
    expect((await cases.casesOfAccount('acct-3')).map((x) => x.id)).toEqual(['c-other']);
    await migrate(k); // recorded: nothing runs again
    expect((await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(k)).rows.map((r) => r.name)).toEqual(['0001-initial', '0002-log-layout', '0003-removed-mediators', '0004-store-identity']);
  });
});
