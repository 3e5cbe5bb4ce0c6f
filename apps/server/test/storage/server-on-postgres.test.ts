import type { CaseView, EventView } from '@caucus/protocol';
import { sql } from 'kysely';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { openDb } from '../../src/storage/db.ts';
import { scenario, testServer, type TestServer } from '../harness.ts';
import { type FreshDatabase, freshPostgresDatabase, postgresSkipReason, warnIfPostgresSkipped } from './pg.ts';

/** The journey basics on PostgreSQL: the whole server, real HTTP and sockets, a fresh database. */
warnIfPostgresSkipped('server on PostgreSQL');

type Cmd = { view: CaseView };
type Read = { events: EventView[]; head: number };

describe.skipIf(postgresSkipReason !== null)('the server on PostgreSQL', () => {
  let fresh: FreshDatabase | undefined;
  let server: TestServer | undefined;

  beforeEach(async () => {
    fresh = await freshPostgresDatabase();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await fresh?.drop();
    fresh = undefined;
  });

  it('[C1] creates a case, joins, talks in joint; side B\'s caucus stays with side B; all of it survives a restart', async () => {
    if (!fresh) throw new Error('no database');
    // The case keys (C11) live in the data directory: the restart below keeps it.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-pg-'));
    onTestFinished(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    server = await testServer({ databaseUrl: fresh.url, dataDir });
    expect(server.db.engine).toBe('postgres');
    const s = await scenario(server);
    const base = `/api/v1/cases/${s.caseId}`;
    const [, B] = s.sides;
    if (!B) throw new Error('expected two sides');
    const aParty = s.members[0]?.[0];
    const bParty = s.members[1]?.[0];
    if (!aParty || !bParty) throw new Error('expected joined parties');

    const aLive = await aParty.browser.live(s.caseId);
    await aLive.until((f) => f.t === 'caught-up');
    expect((await s.mediator.post(`${base}/session/start`)).status).toBe(200);
    expect((await aParty.browser.post<Cmd>(`${base}/rooms/joint/messages`, { body: 'Good morning, everyone.' })).status).toBe(200);
    const seenByB = await bParty.browser.get<Read>(`${base}/streams/joint/events`);
    expect(seenByB.body.events.map((e) => e.content?.body)).toContain('Good morning, everyone.');

    const sep = await s.mediator.post<Cmd>(`${base}/session/separate`, { sideId: B.id, purpose: 'reality-test the rent figure' });
    expect(sep.status).toBe(200);
    expect(sep.body.view.session).toMatchObject({ phase: 'separate', mediatorRoom: B.id });
    const secret = 'Our real limit is 40,000 — do not tell them.';
    expect((await bParty.browser.post<Cmd>(`${base}/rooms/caucus:${B.id}/messages`, { body: secret })).status).toBe(200);
    const own = await bParty.browser.get<Read>(`${base}/streams/caucus:${B.id}/events`);
    const posted = own.body.events.find((e) => e.content?.body === secret);
    expect(posted?.data.label).toBe('confidential');

    // Side A can neither read B's room nor tell it from a room that does not exist (C9).
    const read = await aParty.browser.get(`${base}/streams/caucus:${B.id}/events`);
    const none = await aParty.browser.get(`${base}/streams/caucus:nosuchside/events`);
    expect(read.status).toBe(404);
    expect(read.text).toBe(none.text);
    await new Promise((r) => setTimeout(r, 100)); // let any stray frame arrive before looking
    expect(aLive.raw.join('\n')).not.toContain('40,000');
    expect(aLive.raw.join('\n')).not.toContain(`caucus:${B.id}`);
    aLive.close();

    // The words are in PostgreSQL's contents table, not in event metadata.
    const rows = await server.db.kysely.selectFrom('events').select('data').execute();
    expect(rows.some((r) => r.data.includes('40,000'))).toBe(false);
    const cookies = [...bParty.browser.cookies];
    await server.stop();
    server = undefined;

    // A new server process on the same database (and data directory) serves the same log.
    server = await testServer({ databaseUrl: fresh.url, dataDir });
    const again = server.browser();
    for (const [k, v] of cookies) again.cookies.set(k, v);
    again.as = bParty.participantId;
    const after = await again.get<Read>(`${base}/streams/caucus:${B.id}/events`);
    expect(after.status).toBe(200);
    expect(after.body.events).toEqual(own.body.events);
  });

  it('[C10] a failed statement is never logged with its values, whatever the database sets: they carry what people wrote', async () => {
    if (!fresh) throw new Error('no database');
    const name = new URL(fresh.url).pathname.slice(1);
    const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-keys-'));
    onTestFinished(() => fs.rmSync(keys, { recursive: true, force: true }));
    const admin = await openDb({ databaseUrl: fresh.url, dataDir: keys });
    await sql.raw(`ALTER DATABASE "${name}" SET log_parameter_max_length_on_error = 64`).execute(admin.kysely);
    await admin.close();
    const db = await openDb({ databaseUrl: fresh.url, dataDir: keys });
    try {
      // Several connections of the pool at once: each one is set as it opens.
      const shown = await Promise.all([1, 2, 3].map(() => sql<{ v: string }>`SELECT current_setting('log_parameter_max_length_on_error') AS v, pg_sleep(0.05)`.execute(db.kysely)));
      expect(shown.map((r) => r.rows[0]?.v)).toEqual(['0', '0', '0']);
    } finally {
      await db.close();
    }
  });
});
