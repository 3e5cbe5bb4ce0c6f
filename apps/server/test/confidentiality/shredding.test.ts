import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { caucusStream, JOINT, MEDIATORS } from '@caucus/domain';
import { sql } from 'kysely';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { seededIds } from '../../src/platform.ts';
import { startServer } from '../../src/server.ts';
import { caseRepository } from '../../src/storage/case.repository.ts';
import { openDb } from '../../src/storage/db.ts';
import { TABLES } from '../../src/storage/schema.ts';
import { cmd, openCase } from '../storage/case-driver.ts';
import { freshPostgresDatabase, postgresSkipReason, warnIfPostgresSkipped, type FreshDatabase } from '../storage/pg.ts';
import { type Browser, ManualClock, scenario, testServer, type TestServer } from '../harness.ts';

/**
 * C11: what people wrote is encrypted at rest with a key of the case's own, kept outside the
 * database; closing the case destroys that key and the content, after which no file of the
 * store (database, WAL, key directory) and no backup taken afterwards holds a byte of it,
 * while the content-free record and its audit chain remain and verify.
 */
warnIfPostgresSkipped('C11 shredding');

const MARKERS = ['JOINT-MARK-5h2k', 'CAUCUS-MARK-9qv1', 'PURPOSE-MARK-3xw8', 'NOTE-MARK-7tz4', 'REASON-MARK-1mm6', 'REPLY-MARK-8pd2', 'email-mark-4ks0@example.org'];

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));

/** Which of `needles` some file under `dir` holds, byte for byte. */
const foundIn = (dir: string, needles: readonly (string | Buffer)[]): string[] =>
  filesUnder(dir).flatMap((f) => {
    const bytes = fs.readFileSync(f);
    return needles.filter((n) => bytes.includes(n)).map((n) => `${path.relative(dir, f)}: ${typeof n === 'string' ? n : n.toString('hex')}`);
  });

/** Every value of every table, as one text: what a dump of the database would hold. */
async function everyValue(server: TestServer): Promise<string> {
  const out: string[] = [];
  for (const t of TABLES) out.push(JSON.stringify((await sql.raw(`SELECT * FROM "${t}"`).execute(server.db.kysely)).rows));
  return out.join('\n');
}

/** A case with a message in every kind of room, a separate-session purpose and a caucus request. */
async function caseWithContent(server: TestServer) {
  const s = await scenario(server, {
    sides: [
      { name: 'Tenant', members: [{ role: 'party', displayName: 'Ana Tenant', email: MARKERS[6] ?? null }, { role: 'representative', displayName: 'Rui Counsel', email: null }] },
      { name: 'Landlord', members: [{ role: 'party', displayName: 'Bea Landlord', email: null }, { role: 'representative', displayName: 'Ben Counsel', email: null }] },
    ],
  });
  const [a, b] = s.sides;
  const partyA = s.members[0]?.[0]?.browser as Browser;
  const partyB = s.members[1]?.[0]?.browser as Browser;
  const m = s.mediator;
  const base = `/api/v1/cases/${s.caseId}`;
  expect((await m.post(`${base}/session/start`)).status).toBe(200);
  expect((await partyA.post(`${base}/rooms/${JOINT}/messages`, { body: MARKERS[0] })).status).toBe(200);
  // A long one too: its sealed text spills over several pages of SQLite's file.
  expect((await partyA.post(`${base}/rooms/${JOINT}/messages`, { body: `${MARKERS[0]} ${'a long account of what happened. '.repeat(250)}` })).status).toBe(200);
  expect((await m.post(`${base}/session/separate`, { sideId: a?.id, purpose: MARKERS[2] })).status).toBe(200);
  expect((await partyA.post(`${base}/rooms/${caucusStream(a?.id ?? '')}/messages`, { body: MARKERS[1] })).status).toBe(200);
  expect((await m.post(`${base}/rooms/${MEDIATORS}/messages`, { body: MARKERS[3] })).status).toBe(200);
  // With an Idempotency-Key, as the web app sends every command: its record keeps a digest of the request.
  const asked = await partyB.request<{ created: { id: string }[] }>('POST', `${base}/caucus-requests`, { reason: MARKERS[4] }, { 'idempotency-key': 'retry-me-1' });
  expect(asked.status).toBe(200);
  const requestId = asked.body.created[0]?.id ?? '';
  expect((await m.post(`${base}/caucus-requests/${requestId}/answer`, { answer: 'deferred', reply: MARKERS[5] })).status).toBe(200);
  return { ...s, base, partyA, partyB, sideB: b };
}

/** The case key's bytes as they could turn up anywhere: raw, hex, base64. */
function keyForms(dataDir: string, caseId: string): Buffer[] {
  const raw = fs.readFileSync(path.join(dataDir, 'keys', `${Buffer.from(caseId).toString('hex')}.key`));
  expect(raw.length).toBe(32);
  return [raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('base64'))];
}

const engines = [
  { name: 'sqlite', skip: null },
  { name: 'postgres', skip: postgresSkipReason },
] as const;

describe.each(engines)('closing a case destroys what was written in it, on $name', (engine) => {
  const it = vitestIt.skipIf(engine.skip !== null);
  let server: TestServer | undefined;
  let fresh: FreshDatabase | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await fresh?.drop();
    fresh = undefined;
  });
  const start = async (): Promise<TestServer> => {
    if (engine.name === 'postgres') fresh = await freshPostgresDatabase();
    server = await testServer({ databaseUrl: fresh?.url ?? null });
    return server;
  };

  it('[C11] stores what people wrote only sealed with the case key, which is not in the database', async () => {
    const srv = await start();
    const c = await caseWithContent(srv);
    const key = keyForms(srv.dataDir, c.caseId);
    // The words reach those who may read them...
    const joint = await c.partyA.get<{ events: { content: { body?: string } | null }[] }>(`${c.base}/streams/${JOINT}/events`);
    expect(joint.body.events.map((e) => e.content?.body)).toContain(MARKERS[0]);
    // The idempotency records keep keyed digests of the requests (which hold the words), never plain hashes.
    const digests = (await sql<{ request_hash: string }>`SELECT request_hash FROM idempotency`.execute(srv.db.kysely)).rows;
    expect(digests.length).toBeGreaterThan(0);
    for (const r of digests) expect(r.request_hash.startsWith('k1:')).toBe(true);
    // ...and no column of any table holds them or the key.
    const dump = await everyValue(srv);
    for (const w of MARKERS) expect(dump, w).not.toContain(w);
    for (const k of key) expect(dump.includes(k.toString('latin1')), 'the key is in the database').toBe(false);
    // On SQLite no byte of the store's files does either (the database file and its WAL).
    if (engine.name === 'sqlite') {
      const inStore = foundIn(srv.dataDir, [...MARKERS, ...key]).filter((f) => !f.startsWith('keys'));
      expect(inStore).toEqual([]);
    }
  });

  it('[C11][C7] after the close the key and the content are gone from every file and from a backup taken then; the record and its audit chain stay', async () => {
    const srv = await start();
    const c = await caseWithContent(srv);
    const key = keyForms(srv.dataDir, c.caseId);
    // The sealed texts as stored before the close: none may be left in any file afterwards either.
    // (Pieces of each, every 1,000 characters: a long one's later pieces lie in overflow pages.)
    const sealed = (await sql<{ content: string }>`SELECT content FROM events WHERE content IS NOT NULL`.execute(srv.db.kysely)).rows.flatMap((r) =>
      Array.from({ length: Math.ceil((r.content.length - 3) / 1000) }, (_, i) => r.content.slice(3 + i * 1000, 3 + i * 1000 + 40)).filter((x) => x.length === 40),
    );
    expect(sealed.length).toBeGreaterThanOrEqual(MARKERS.length);
    const partyLive = await c.partyA.live(c.caseId);
    await partyLive.opened;
    const before = await c.mediator.get<{ ok: boolean; length: number }>(`${c.base}/audit/verify`);
    expect(before.body.ok).toBe(true);

    // Closing destroys for good: the body has to say so.
    const unconfirmed = await c.mediator.post(`${c.base}/close`, {});
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.text).toContain('destroyContent');
    expect((await c.partyA.post(`${c.base}/close`, { destroyContent: true })).status).toBe(403);
    const closed = await c.mediator.post<{ view: { status: string } }>(`${c.base}/close`, { destroyContent: true });
    expect(closed.status).toBe(200);
    expect(closed.body.view.status).toBe('closed');

    // The parties lose the case at once: their live connection first, and their sessions end (C7).
    await partyLive.untilClosed();
    expect((await c.partyA.get(c.base)).status).toBe(401);
    expect((await c.partyA.get(`${c.base}/streams/${JOINT}/events`)).status).toBe(401);
    // Nothing more happens in it.
    expect((await c.mediator.post(`${c.base}/rooms/${JOINT}/messages`, { body: 'after the close' })).status).toBe(409);

    // The record stays, without content: who posted where and when, and the chain verifies.
    const record = await c.mediator.get<{ events: { type: string; content: unknown }[] }>(`${c.base}/streams/${JOINT}/events`);
    expect(record.status).toBe(200);
    expect(record.body.events.some((e) => e.type === 'message.posted')).toBe(true);
    expect(record.body.events.every((e) => e.content === null)).toBe(true);
    const after = await c.mediator.get<{ ok: boolean; length: number }>(`${c.base}/audit/verify`);
    expect(after.body).toEqual({ ok: true, length: before.body.length + 2 }); // session.ended, case.closed
    // A mediator's live connection resuming from the start gets the record, no content.
    const live = await c.mediator.live(c.caseId, { joint: 0, [caucusStream(c.sides[0]?.id ?? '')]: 0, [MEDIATORS]: 0 });
    await live.until((f) => f.t === 'caught-up');
    expect(live.events().some((e) => e.type === 'message.posted')).toBe(true);
    expect(live.events().every((e) => e.content === null)).toBe(true);
    for (const w of MARKERS) expect(live.raw.join(''), w).not.toContain(w);
    live.close();
    // A retried request of the closed case can no longer be checked against its record: refused, not replayed.
    const retried = await c.partyB.request('POST', `${c.base}/caucus-requests`, { reason: MARKERS[4] }, { 'idempotency-key': 'retry-me-1' });
    expect([401, 409]).toContain(retried.status);

    // Nothing of it in the database: no content, no key.
    const dump = await everyValue(srv);
    for (const w of MARKERS) expect(dump, w).not.toContain(w);
    expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM events WHERE content IS NOT NULL`.execute(srv.db.kysely)).rows[0]?.n)).toBe(0);
    // The key file is gone; a tombstone says it went on purpose.
    const keyFiles = fs.readdirSync(path.join(srv.dataDir, 'keys'));
    const name = Buffer.from(c.caseId).toString('hex');
    expect(keyFiles).toContain(`${name}.shredded`);
    expect(keyFiles).not.toContain(`${name}.key`);
    expect(fs.statSync(path.join(srv.dataDir, 'keys', `${name}.shredded`)).size).toBe(0);

    if (engine.name === 'sqlite') {
      // Every file of the store as it is on disk (what a file copy would take), and a backup
      // taken now: no byte of the content, of its sealed text or of the key.
      expect(foundIn(srv.dataDir, [...MARKERS, ...sealed, ...key])).toEqual([]);
      const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-backup-'));
      try {
        const backup = path.join(backupDir, 'backup.sqlite');
        await sql`VACUUM INTO ${backup}`.execute(srv.db.kysely);
        expect(foundIn(backupDir, [...MARKERS, ...sealed, ...key])).toEqual([]);
      } finally {
        fs.rmSync(backupDir, { recursive: true, force: true });
      }
    } else {
      // PostgreSQL never held the key or the words in clear; the key directory no longer holds the key.
      expect(foundIn(path.join(srv.dataDir, 'keys'), key)).toEqual([]);
    }
  });
});

describe('[C11] the store and its keys at start', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-c11-'));
    dirs.push(d);
    return d;
  };

  /** A SQLite store in a directory of its own, with one case and one message in its joint room. */
  const storeWithMessage = async (caseId: string, body: string) => {
    const dir = tmp();
    const db = await openDb({ databaseUrl: null, dataDir: dir });
    const c = await openCase(caseRepository(db.kysely), { caseId, leadAccount: 'acct-1' });
    await c.driver.run(c.lead, cmd('start-session', {}));
    await c.driver.post(c.partyA, JOINT, body);
    return { dir, db, c };
  };

  vitestIt('[C11] a close whose shredding did not happen (a crash right after it was stored) is finished when the store next opens', async () => {
    const { dir, db, c } = await storeWithMessage('c-crash', 'left behind by a crash');
    await c.driver.run(c.lead, cmd('close-case', {})); // stored; destroyContent never ran
    expect(db.keys.state('c-crash')).toBe('key');
    await db.close();

    const again = await openDb({ databaseUrl: null, dataDir: dir });
    try {
      expect(again.keys.state('c-crash')).toBe('shredded');
      const rows = await again.kysely.selectFrom('events').select('content').where('case_id', '=', 'c-crash').where('content', 'is not', null).execute();
      expect(rows).toEqual([]);
      expect((await caseRepository(again.kysely).readStream('c-crash', JOINT, 0, 10)).map((e) => e.content)).toEqual([null]);
    } finally {
      await again.close();
    }
  });

  vitestIt('[C11] a store whose keys are not where it was written with refuses to open, instead of reading as if nothing had been written', async () => {
    const { dir, db } = await storeWithMessage('c-lost', 'sealed with a key that goes missing');
    await db.close();
    await expect(openDb({ databaseUrl: null, dataDir: dir, keysDir: tmp() })).rejects.toThrow(/holds no keys of this store.*KEYS_DIR/);
    // The store's own directory with that one key file gone: refused too, naming the case.
    fs.rmSync(path.join(dir, 'keys', `${Buffer.from('c-lost').toString('hex')}.key`));
    await expect(openDb({ databaseUrl: null, dataDir: dir })).rejects.toThrow(/c-lost holds sealed content, but its key is not in the key directory/);
  });

  vitestIt('[C11] a store is refused an empty key directory once it has cases, and another store\'s key directory always; nothing is changed first', async () => {
    const dir = tmp();
    const db = await openDb({ databaseUrl: null, dataDir: dir });
    await openCase(caseRepository(db.kysely), { caseId: 'c-before-content', leadAccount: 'acct-1' });
    await db.close();
    // A case with no sealed content yet: without the store's id the empty directory would have passed.
    const empty = tmp();
    await expect(openDb({ databaseUrl: null, dataDir: dir, keysDir: empty })).rejects.toThrow(/holds no keys of this store .* 1 case\(s\)/);
    expect(fs.readdirSync(empty)).toEqual([]);
    // Another store's directory (its own id, its own cases' keys).
    const other = tmp();
    const second = await openDb({ databaseUrl: null, dataDir: other });
    await openCase(caseRepository(second.kysely), { caseId: 'c-elsewhere', leadAccount: 'acct-2' });
    await second.close();
    await expect(openDb({ databaseUrl: null, dataDir: dir, keysDir: path.join(other, 'keys') })).rejects.toThrow(/belongs to another store/);
    // Its own directory still opens it.
    const again = await openDb({ databaseUrl: null, dataDir: dir });
    expect(again.keys.state('c-before-content')).toBe('key');
    await again.close();
  });

  vitestIt('[C11] a store from before store ids, started once with a wrong key directory, is refused and stays usable with its own', async () => {
    const { dir, db } = await storeWithMessage('c-early', 'written before the store had an id');
    await db.kysely.deleteFrom('store_identity').execute();
    await db.close();
    fs.rmSync(path.join(dir, 'keys', 'store-id'));
    const wrong = tmp();
    await expect(openDb({ databaseUrl: null, dataDir: dir, keysDir: wrong })).rejects.toThrow(/holds no keys of this store/);
    expect(fs.readdirSync(wrong)).toEqual([]); // nothing written there
    const again = await openDb({ databaseUrl: null, dataDir: dir });
    try {
      const id = again.keys.storeId();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await again.kysely.selectFrom('store_identity').select('id').execute()).map((r) => r.id)).toEqual([id]);
      expect((await caseRepository(again.kysely).readStream('c-early', JOINT, 0, 10)).map((e) => (e.content as { body?: string } | null)?.body)).toEqual(['written before the store had an id']);
    } finally {
      await again.close();
    }
  });

  vitestIt('[C11] a start that stopped between writing the id to the key directory and to the database is finished by the next', async () => {
    const dir = tmp();
    const db = await openDb({ databaseUrl: null, dataDir: dir });
    await openCase(caseRepository(db.kysely), { caseId: 'c-id', leadAccount: 'acct-1' });
    const id = db.keys.storeId();
    await db.kysely.deleteFrom('store_identity').execute(); // as if the database had not taken it yet
    await db.close();
    const again = await openDb({ databaseUrl: null, dataDir: dir });
    try {
      expect((await again.kysely.selectFrom('store_identity').select('id').execute()).map((r) => r.id)).toEqual([id]);
    } finally {
      await again.close();
    }
  });

  vitestIt('[C11] the server starts again on a store with a shredded case, and the record is still there', async () => {
    const dir = tmp();
    const config = { ...loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://caucus.test' }), databaseUrl: null };
    const first = await startServer(config, { clock: new ManualClock(), ids: seededIds('c11-restart') });
    const c = await openCase(first.svc.cases, { caseId: 'c-kept', leadAccount: 'acct-1' });
    await c.driver.post(c.partyA, JOINT, 'gone after the close');
    await c.driver.run(c.lead, cmd('close-case', {}));
    await first.svc.cases.destroyContent('c-kept');
    await first.close();
    const second = await startServer(config, { clock: new ManualClock(), ids: seededIds('c11-restart') });
    try {
      const rec = await second.svc.cases.load('c-kept');
      expect(rec?.state.status).toBe('closed');
      const { entries } = await second.svc.cases.audit('c-kept');
      expect(entries.map((e) => e.type)).toContain('message.posted');
      expect(entries.at(-1)?.type).toBe('case.closed');
    } finally {
      await second.close();
    }
  });
});
