import { caucusStream, GENESIS, JOINT, MEDIATORS, SESSION, verifyChain } from '@caucus/domain';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it as vitestIt } from 'vitest';
import { hashToken, sha256 } from '../../src/platform.ts';
import { type AccountStore, type CaseStore, type CommitInput, type CommitReceipt, VersionConflict } from '../../src/services/ports.ts';
import { sweepIdempotency } from '../../src/services/idempotency-sweep.ts';
import { accountRepository } from '../../src/storage/account.repository.ts';
import { AUDIT_COLUMNS, caseRepository } from '../../src/storage/case.repository.ts';
import { SEALED } from '../../src/storage/case-keys.ts';
import type { Db } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import { TABLES } from '../../src/storage/schema.ts';
import { type CaseDriver, cmd, type OpenedCase, openCase, T0 } from './case-driver.ts';
import { ENGINES, type EngineUnderTest, postgresEngine, sqliteEngine, type StoreTarget } from './engines.ts';
import { warnIfPostgresSkipped } from './pg.ts';

/**
 * One contract for CaseStore and AccountStore, run against SQLite and PostgreSQL alike.
 * Every commit is built by the real domain (case-driver.ts), as the case engine would.
 */
warnIfPostgresSkipped('storage contract');


async function counts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await db.kysely
      .selectFrom(t)
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

/** Rows added per table between two counts. */
const grown = (before: Record<string, number>, after: Record<string, number>): Record<string, number> =>
  Object.fromEntries(TABLES.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));

const HOUR = 3_600_000;

/**
 * Every engine with its default commit writer (SQLite: better-sqlite3 statements; PostgreSQL:
 * multi-row SQL through Kysely), and SQLite once more with the SQL writer, so that writer's
 * logic is held to the contract even where no PostgreSQL is at hand.
 */
const SUITES: readonly (EngineUnderTest & { readonly writer: 'native' | 'sql' })[] = [
  ...ENGINES.map((e) => ({ ...e, writer: 'native' as const })),
  { ...sqliteEngine, writer: 'sql' },
];

describe.each(SUITES)('storage contract on $name ($writer writer)', (engine) => {
  const it = vitestIt.skipIf(engine.skip !== null);
  let target: StoreTarget | undefined;
  let db: Db;
  let cases: CaseStore;
  let accounts: AccountStore;

  beforeEach(async () => {
    if (engine.skip) return;
    const t = await engine.target();
    target = t;
    db = await t.open();
    cases = caseRepository(db.kysely, { writer: engine.writer });
    accounts = accountRepository(db.kysely);
  });
  afterEach(async () => {
    await target?.dispose(); // undefined when beforeEach failed (e.g. PostgreSQL unreachable in CI)
    target = undefined;
  });

  it('opens the engine it was asked for', () => {
    expect(db.engine).toBe(engine.name);
  });

  it('runs migrations twice without harm (at start, and again on an existing store)', async () => {
    await openCase(cases, { caseId: 'c-mig', leadAccount: 'acct-1' });
    const before = await counts(db);
    await migrate(db.kysely as unknown as Kysely<unknown>); // as openDb does
    if (!target) throw new Error('no store target');
    const again = await target.open(); // a second start on the same store
    expect(await counts(again)).toEqual(before);
    const ran = await sql<{ name: string }>`select name from kysely_migration`.execute(again.kysely);
    expect(ran.rows.map((r) => r.name)).toEqual(['0001-initial', '0002-log-layout', '0003-removed-mediators', '0004-store-identity']);
    expect(await caseRepository(again.kysely).load('c-mig')).not.toBeNull();
  });

  describe('CaseStore', () => {
    it('commits a case creation with its events, positions numbered per stream from 1', async () => {
      const c = await openCase(cases, { caseId: 'c-1', leadAccount: 'acct-lead', coAccount: 'acct-co' });
      const rec = await cases.load('c-1');
      expect(rec?.version).toBe(5); // creation + four acceptances
      expect(rec?.state).toEqual(c.driver.state);
      for (const stream of [SESSION, MEDIATORS]) {
        const events = await cases.readStream('c-1', stream, 0, 500);
        expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
        expect(events.length).toBe(c.driver.state.heads[stream]);
      }
      const session = await cases.readStream('c-1', SESSION, 0, 500);
      expect(session[0]).toMatchObject({ type: 'case.opened', stream: SESSION, position: 1, actorId: null, at: T0 });
      expect(await cases.agreement('c-1')).toEqual({ text: c.agreementText, hash: sha256(c.agreementText) });
      const mediators = await db.kysely.selectFrom('case_mediators').selectAll().orderBy('account_id').execute();
      expect(mediators).toEqual([
        { case_id: 'c-1', account_id: 'acct-co', participant_id: c.co },
        { case_id: 'c-1', account_id: 'acct-lead', participant_id: c.lead },
      ]);
      const total = Object.values(c.driver.state.heads).reduce((a, b) => a + b, 0);
      expect((await counts(db)).events).toBe(total);
    });

    it('reads a stream in position order, paged by after/limit, past position 9', async () => {
      const c = await openCase(cases, { caseId: 'c-page', leadAccount: 'acct-1' });
      const other = await openCase(cases, { caseId: 'c-other', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      await other.driver.run(other.lead, cmd('start-session', {}));
      for (let i = 1; i <= 12; i++) {
        await c.driver.post(i % 2 ? c.partyA : c.partyB, JOINT, `m${i}`);
        if (i % 4 === 0) await other.driver.post(other.lead, JOINT, `other ${i}`);
      }
      const all = await cases.readStream('c-page', JOINT, 0, 500);
      expect(all.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(all.map((e) => (e.type === 'message.posted' ? e.content?.body : null))).toEqual(Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
      const pages: number[][] = [];
      for (let after = 0; ; ) {
        const page = await cases.readStream('c-page', JOINT, after, 5);
        if (page.length === 0) break;
        pages.push(page.map((e) => e.position));
        after = page.at(-1)?.position ?? after;
      }
      expect(pages).toEqual([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]);
      expect(await cases.readStream('c-page', JOINT, 12, 5)).toEqual([]);
      expect(await cases.readStream('c-page', 'caucus:nosuchside', 0, 5)).toEqual([]);
      expect(await cases.readStream('no-such-case', JOINT, 0, 5)).toEqual([]);
      expect(c.driver.state.heads[JOINT]).toBe(12);
    });

    it('[C10][C11] keeps what people wrote in the content column only, sealed with the case key: never in plain text, never in event metadata or the audit entry', async () => {
      const c = await openCase(cases, { caseId: 'c-content', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      const words = ['Our real limit is 40,000.', 'reality-test the rent figure', 'why we need a break'];
      const posted = await c.driver.post(c.partyA, JOINT, words[0] ?? '');
      await c.driver.run(c.lead, cmd('start-separate', { sideId: c.sideB, purpose: words[1] ?? null }));
      await c.driver.run(c.partyB, cmd('request-caucus', { reason: words[2] ?? null }));
      const rows = await db.kysely.selectFrom('events').selectAll().where('case_id', '=', 'c-content').execute();
      // No column of any row holds the words, the content column included: it holds them sealed (C11).
      for (const w of words) expect(rows.some((r) => JSON.stringify(r).includes(w))).toBe(false);
      const sealed = rows.find((r) => r.id === posted.id)?.content ?? '';
      expect(sealed.startsWith(SEALED)).toBe(true);
      // Sealed with this case's key, for this event: it opens there, and nowhere else.
      const key = db.keys.get('c-content');
      expect(key?.open(posted.id, sealed)).toBe(JSON.stringify({ body: words[0] }));
      expect(() => key?.open('another-event', sealed)).toThrow();
      // The audit entry proves the sealed text, not the words: no guessed text can be checked against it.
      const entry = rows.find((r) => r.id === posted.id);
      expect(entry?.content_hash).toBe(sha256(sealed));
      expect(entry?.content_hash).not.toBe(sha256(JSON.stringify({ body: words[0] })));
      // Only the events that carry content have any.
      expect(rows.filter((r) => r.content !== null).map((r) => r.type).sort()).toEqual(['caucus.requested', 'message.posted', 'participant.contact', 'separate.purpose']);
      const [read] = await cases.readStream('c-content', JOINT, 0, 1);
      expect(read).toEqual(posted);
    });

    it('projects items: message.posted makes one with its label, message.labelled updates it', async () => {
      const c = await openCase(cases, { caseId: 'c-items', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      const joint = await c.driver.post(c.partyA, JOINT, 'hello all');
      await c.driver.run(c.lead, cmd('start-separate', { sideId: c.sideA, purpose: null }));
      const caucus = await c.driver.post(c.partyA, caucusStream(c.sideA), 'just between us');
      expect(await cases.item('c-items', joint.data.messageId)).toEqual({ id: joint.data.messageId, stream: JOINT, authorId: c.partyA, label: null, conveyed: false });
      const item = await cases.item('c-items', caucus.data.messageId);
      expect(item).toEqual({ id: caucus.data.messageId, stream: caucusStream(c.sideA), authorId: c.partyA, label: 'confidential', conveyed: false });
      // The service loads the item from the store for set-label; so does this test.
      const [labelled] = await c.driver.run(c.repA, cmd('set-label', { messageId: caucus.data.messageId, label: 'shareable' }), { item });
      expect(labelled?.type).toBe('message.labelled');
      expect((await cases.item('c-items', caucus.data.messageId))?.label).toBe('shareable');
      expect(await cases.item('c-items', 'no-such-message')).toBeNull();
      expect(await cases.item('other-case', caucus.data.messageId)).toBeNull();
    });

    it('throws VersionConflict on a stale expectedVersion and writes nothing of that commit', async () => {
      const c = await openCase(cases, { caseId: 'c-stale', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      await c.driver.run(c.lead, cmd('start-separate', { sideId: c.sideA, purpose: null }));
      await accounts.createSession({ idHash: 's-partyB', accountId: null, participantId: c.partyB, caseId: 'c-stale', expiresAt: T0 + HOUR }, T0);
      // Two writers decide against the same version; their events go to different streams,
      // so only the version check can tell them apart.
      const stale = c.driver.plan(c.partyA, cmd('post-message', { stream: caucusStream(c.sideA), body: 'lost update', label: null }), {
        extra: {
          invitations: [{ participantId: c.partyB, tokenHash: hashToken('never'), expiresAt: T0 + HOUR }],
          endInvitationsOf: [c.repB],
          endSessionsOf: [c.partyB],
          idempotency: { scope: 'p', key: 'stale-key', requestHash: 'h', response: '{}' },
        },
      });
      await c.driver.post(c.lead, MEDIATORS, 'a note that wins the race');
      const before = await counts(db);
      const rec = await cases.load('c-stale');
      await expect(cases.commit(stale.input)).rejects.toBeInstanceOf(VersionConflict);
      expect(await counts(db)).toEqual(before);
      expect(await cases.load('c-stale')).toEqual(rec);
      expect(await cases.readStream('c-stale', caucusStream(c.sideA), 0, 10)).toEqual([]);
      expect(await cases.findIdempotent('p', 'stale-key')).toBeNull();
      expect(await accounts.session('s-partyB', T0 + 1)).not.toBeNull();
      expect((await cases.invitationByToken(hashToken(c.tokens.get(c.repB) ?? '')))?.revokedAt).toBeNull();
      const audit = await cases.audit('c-stale');
      expect(verifyChain('c-stale', audit.entries, audit.head, sha256)).toEqual({ ok: true, length: before.events });
    });

    it('throws VersionConflict on a duplicate (case, stream, position) and rolls the transaction back', async () => {
      const c = await openCase(cases, { caseId: 'c-dup', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      const loser = c.driver.plan(c.partyB, cmd('post-message', { stream: JOINT, body: 'second writer', label: null }), {
        extra: { idempotency: { scope: 'p', key: 'dup-key', requestHash: 'h', response: '{}' } },
      });
      await c.driver.post(c.partyA, JOINT, 'first writer');
      expect(loser.events[0]?.position).toBe(1); // the same slot the winner took
      const before = await counts(db);
      const rec = await cases.load('c-dup');
      // As sent (stale version), and as if its version were current: then only the
      // (case, stream, position) key stops it, after the version was already claimed.
      await expect(cases.commit(loser.input)).rejects.toBeInstanceOf(VersionConflict);
      await expect(cases.commit({ ...loser.input, expectedVersion: c.driver.version })).rejects.toBeInstanceOf(VersionConflict);
      expect(await counts(db)).toEqual(before);
      expect(await cases.load('c-dup')).toEqual(rec); // the version claim was rolled back too
      expect(await cases.findIdempotent('p', 'dup-key')).toBeNull();
      const joint = await cases.readStream('c-dup', JOINT, 0, 10);
      expect(joint.map((e) => (e.type === 'message.posted' ? e.content?.body : null))).toEqual(['first writer']);
      const audit = await cases.audit('c-dup');
      expect(verifyChain('c-dup', audit.entries, audit.head, sha256)).toEqual({ ok: true, length: before.events });
      // The store still takes the next real commit.
      await c.driver.post(c.partyB, JOINT, 'second writer, decided again');
      // Creating a case whose id exists is the same conflict, with nothing written either.
      const mid = await counts(db);
      const again = await openCase(cases, { caseId: 'c-dup', leadAccount: 'acct-2', accept: false }).then(
        () => 'committed',
        (e: unknown) => e,
      );
      expect(again).toBeInstanceOf(VersionConflict);
      expect(await counts(db)).toEqual(mid);
    });

    it('lets exactly one of two racing commits through', async () => {
      const c = await openCase(cases, { caseId: 'c-race', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      // Both decided against the same version, in different streams (no shared position).
      const a = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'from A', label: null }));
      const b = c.driver.plan(c.lead, cmd('post-message', { stream: MEDIATORS, body: 'from lead', label: null }));
      const settled = await Promise.allSettled([cases.commit(a.input), cases.commit(b.input)]);
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      const failed = settled.find((s) => s.status === 'rejected');
      expect(failed?.status === 'rejected' && failed.reason instanceof VersionConflict).toBe(true);
      expect((await cases.load('c-race'))?.version).toBe((c.driver.version ?? 0) + 1);
      const v = await cases.audit('c-race');
      expect(verifyChain('c-race', v.entries, v.head, sha256)).toEqual({ ok: true, length: v.entries.length });
    });

    it('racing writers that touch the same streams in a different order: one wins, the other gets VersionConflict (no deadlock)', async () => {
      const c = await openCase(cases, { caseId: 'c-lock', leadAccount: 'acct-1' });
      // Two server processes each decide against the same version: start-separate writes
      // session then mediators; a mediators' note writes mediators. Both then write the
      // same audit seq. Taken in different orders, those keys could deadlock PostgreSQL.
      const other = caseRepository(db.kysely, { writer: engine.writer });
      for (let round = 0; round < 4; round++) {
        await c.driver.run(c.lead, cmd('start-session', {}));
        const separate = c.driver.plan(c.lead, cmd('start-separate', { sideId: c.sideA, purpose: `purpose ${round}` }));
        const note = c.driver.plan(c.lead, cmd('post-message', { stream: MEDIATORS, body: `note ${round}`, label: null }));
        const settled = await Promise.allSettled([cases.commit(separate.input), other.commit(note.input)]);
        const rejected = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
        expect(rejected).toHaveLength(1);
        expect(rejected[0]).toBeInstanceOf(VersionConflict);
        const won = settled.findIndex((s) => s.status === 'fulfilled');
        const receipt = settled[won]?.status === 'fulfilled' ? settled[won].value : undefined;
        c.driver.adopt(won === 0 ? separate : note, receipt ? receipt.audit : undefined);
        await c.driver.run(c.lead, cmd('end-session', {}));
      }
      const v = await cases.audit('c-lock');
      expect(verifyChain('c-lock', v.entries, v.head, sha256).ok).toBe(true);
      expect((await cases.load('c-lock'))?.state).toEqual(c.driver.state);
    });

    it('stores idempotency records with the commit; a reused key conflicts', async () => {
      const c = await openCase(cases, { caseId: 'c-idem', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      expect(await cases.findIdempotent('participant:x', 'key-0001')).toBeNull();
      const idempotency = { scope: 'participant:x', key: 'key-0001', requestHash: 'hash-1', response: '{"created":[1]}' };
      await c.driver.run(c.partyA, cmd('post-message', { stream: JOINT, body: 'once', label: null }), { extra: { idempotency } });
      expect(await cases.findIdempotent('participant:x', 'key-0001')).toEqual({ requestHash: 'hash-1', response: '{"created":[1]}' });
      expect(await cases.findIdempotent('participant:y', 'key-0001')).toBeNull();
      const before = await counts(db);
      const twice = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'twice', label: null }), { extra: { idempotency: { ...idempotency, requestHash: 'hash-2' } } });
      await expect(cases.commit(twice.input)).rejects.toBeInstanceOf(VersionConflict);
      expect(await counts(db)).toEqual(before);
      expect(await cases.findIdempotent('participant:x', 'key-0001')).toEqual({ requestHash: 'hash-1', response: '{"created":[1]}' });
    });

    it('deletes idempotency records past their retention, oldest first, as many as asked at a time; younger ones stay', async () => {
      const c = await openCase(cases, { caseId: 'c-prune', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      expect((await counts(db)).idempotency).toBe(0);
      const keyAt = (h: number) => `key-prune-${String(h).padStart(2, '0')}`;
      for (let h = 0; h < 12; h++) {
        const idempotency = { scope: 'participant:prune', key: keyAt(h), requestHash: `hash-${h}`, response: '{"created":[]}' };
        await c.driver.run(c.partyA, cmd('post-message', { stream: JOINT, body: `message ${h}`, label: null }), { extra: { idempotency } });
        c.driver.advance(HOUR);
      }
      if (!cases.pruneIdempotency) throw new Error('the repository prunes its idempotency records');
      // Stored at T0 + 0 h ... + 11 h: before T0 + 6.5 h are the first seven, taken four at most per call.
      const cutoff = c.driver.now - 12 * HOUR + 6.5 * HOUR;
      const calls: number[] = [];
      for (let n = -1; n !== 0; ) calls.push((n = await cases.pruneIdempotency(cutoff, 4)));
      expect(calls).toEqual([4, 3, 0]);
      for (let h = 0; h < 12; h++) expect(await cases.findIdempotent('participant:prune', keyAt(h)), keyAt(h)).toEqual(h < 7 ? null : { requestHash: `hash-${h}`, response: '{"created":[]}' });
      expect((await counts(db)).idempotency).toBe(5);
      // The sweep the server runs: every record older than the retention, in chunks, whatever their number.
      const swept = await sweepIdempotency(cases, { now: () => c.driver.now }, { retentionMs: 2.5 * HOUR, chunk: 2, pauseMs: 0 });
      expect(swept).toBe(3); // 7, 8 and 9 h; 10 and 11 h stay
      expect((await counts(db)).idempotency).toBe(2);
      expect(await cases.findIdempotent('participant:prune', keyAt(10))).not.toBeNull();
      // The log itself is untouched: the messages stay.
      expect((await cases.readStream('c-prune', JOINT, 0, 50)).filter((e) => e.type === 'message.posted')).toHaveLength(12);
    });

    it('answers the idempotency lookup at once where it can (SQLite: the same record, null for none), else says it cannot', async () => {
      const c = await openCase(cases, { caseId: 'c-idem-now', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      const idempotency = { scope: 'participant:n', key: 'key-now-1', requestHash: 'hash-n', response: '{"created":[]}' };
      await c.driver.run(c.partyA, cmd('post-message', { stream: JOINT, body: 'now', label: null }), { extra: { idempotency } });
      if (engine.name !== 'sqlite' || engine.writer !== 'native') {
        expect(typeof cases.findIdempotentNow).toBe('undefined'); // PostgreSQL (and the SQL writer's store) always asks
        return;
      }
      expect(cases.findIdempotentNow?.('participant:n', 'key-now-1')).toEqual({ requestHash: 'hash-n', response: '{"created":[]}' });
      expect(cases.findIdempotentNow?.('participant:n', 'key-now-2')).toBeNull();
      // Inside a Kysely transaction on the connection it cannot tell (and says so) instead of reading into it.
      await db.kysely.transaction().execute(async (trx) => {
        await trx.selectFrom('cases').select('id').execute();
        expect(cases.findIdempotentNow?.('participant:n', 'key-now-1')).toBeUndefined();
      });
    });

    it('invitations: inserted with the case, found by token, redeemed once, ended by endInvitationsOf', async () => {
      const c = await openCase(cases, { caseId: 'c-inv', leadAccount: 'acct-1', accept: false });
      const hashA = hashToken(c.tokens.get(c.partyA) ?? '');
      const hashB = hashToken(c.tokens.get(c.partyB) ?? '');
      const inv = await cases.invitationByToken(hashA);
      expect(inv).toEqual({ caseId: 'c-inv', participantId: c.partyA, createdAt: T0, expiresAt: T0 + 14 * 86_400_000, revokedAt: null, redeemedAt: null });
      expect(await cases.invitationByToken(hashToken('unknown'))).toBeNull();
      expect((await cases.invitationsOf('c-inv')).map((i) => i.participantId).sort()).toEqual([c.partyA, c.repA, c.partyB, c.repB].sort());
      expect(await cases.markRedeemed(hashA, T0 + 5)).toBe(true);
      expect(await cases.markRedeemed(hashA, T0 + 6)).toBe(false);
      expect(await cases.markRedeemed(hashToken('unknown'), T0 + 6)).toBe(false);
      expect((await cases.invitationByToken(hashA))?.redeemedAt).toBe(T0 + 5);
      // Re-issuing B's link ends the pending one and stores the new one, in one commit.
      c.driver.advance(HOUR);
      const fresh = hashToken('fresh-token-for-B');
      await c.driver.run(c.lead, cmd('issue-invitation', { participantId: c.partyB, expiresAt: T0 + 2 * HOUR }), {
        extra: { endInvitationsOf: [c.partyB], invitations: [{ participantId: c.partyB, tokenHash: fresh, expiresAt: T0 + 2 * HOUR }] },
      });
      expect((await cases.invitationByToken(hashB))?.revokedAt).toBe(T0 + HOUR);
      expect(await cases.markRedeemed(hashB, T0 + HOUR + 1)).toBe(false);
      expect(await cases.invitationByToken(fresh)).toEqual({ caseId: 'c-inv', participantId: c.partyB, createdAt: T0 + HOUR, expiresAt: T0 + 2 * HOUR, revokedAt: null, redeemedAt: null });
      expect(await cases.markRedeemed(fresh, T0 + HOUR + 2)).toBe(true);
      // Others' invitations are untouched.
      expect((await cases.invitationByToken(hashToken(c.tokens.get(c.repB) ?? '')))?.revokedAt).toBeNull();
      const of = await cases.invitationsOf('c-inv');
      expect(of).toHaveLength(5);
      expect(of.map((i) => i.createdAt)).toEqual([T0, T0, T0, T0, T0 + HOUR]); // oldest first
    });

    it('endSessionsOf ends the named participants\' sessions in the same commit', async () => {
      const c = await openCase(cases, { caseId: 'c-ses', leadAccount: 'acct-1' });
      for (const p of [c.partyA, c.partyB])
        await accounts.createSession({ idHash: `s-${p}`, accountId: null, participantId: p, caseId: 'c-ses', expiresAt: T0 + HOUR }, T0);
      await accounts.createSession({ idHash: 's-acct', accountId: 'acct-1', participantId: null, caseId: null, expiresAt: T0 + HOUR }, T0);
      c.driver.advance(1000);
      await c.driver.run(c.lead, cmd('remove-participant', { participantId: c.partyA }), { extra: { endSessionsOf: [c.partyA], endInvitationsOf: [c.partyA] } });
      expect(await accounts.session(`s-${c.partyA}`, T0 + 2000)).toBeNull();
      expect(await accounts.session(`s-${c.partyB}`, T0 + 2000)).toMatchObject({ participantId: c.partyB, caseId: 'c-ses', expiresAt: T0 + HOUR });
      expect(await accounts.session('s-acct', T0 + 2000)).not.toBeNull();
      const row = await db.kysely.selectFrom('auth_sessions').select('revoked_at').where('id_hash', '=', `s-${c.partyA}`).executeTakeFirstOrThrow();
      expect(row.revoked_at).toBe(T0 + 1000);
    });

    it("leaveCaseOf takes a removed mediator's case off their account's list, in the same commit", async () => {
      const c = await openCase(cases, { caseId: 'c-leave', leadAccount: 'acct-1', coAccount: 'acct-2' });
      if (!c.co) throw new Error('co-mediator expected');
      expect((await cases.casesOfAccount('acct-2')).map((x) => x.id)).toEqual(['c-leave']);
      expect((await cases.allCases()).find((x) => x.id === 'c-leave')?.mediators).toBe(2);
      // leaveCaseOf alone: on PostgreSQL such a batch must not take the one-statement path, which writes no deletions.
      await c.driver.run(c.lead, cmd('remove-participant', { participantId: c.co }), { extra: { leaveCaseOf: [c.co] } });
      expect(await cases.casesOfAccount('acct-2')).toEqual([]);
      expect((await cases.casesOfAccount('acct-1')).map((x) => x.id)).toEqual(['c-leave']);
      expect((await cases.allCases()).find((x) => x.id === 'c-leave')?.mediators).toBe(1);
    });

    it('chains audit entries (verifyChain) and keeps the head in the cases row', async () => {
      const c = await openCase(cases, { caseId: 'c-audit', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      const posted = await c.driver.post(c.partyA, JOINT, 'a very particular sentence');
      const { entries, head } = await cases.audit('c-audit');
      const total = Object.values(c.driver.state.heads).reduce((a, b) => a + b, 0);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(verifyChain('c-audit', entries, head, sha256)).toEqual({ ok: true, length: total });
      const row = await db.kysely.selectFrom('cases').select(['audit_seq', 'audit_hash']).where('id', '=', 'c-audit').executeTakeFirstOrThrow();
      expect(head).toEqual({ seq: row.audit_seq, hash: row.audit_hash });
      expect(head).toEqual({ seq: total, hash: entries.at(-1)?.hash });
      const entry = entries.find((e) => e.eventId === posted.id);
      expect(entry).toMatchObject({ type: 'message.posted', stream: JOINT, actorId: c.partyA, at: T0 });
      expect(entry?.contentHash).toMatch(/^[0-9a-f]{64}$/);
      // The hash of the sealed text as stored, never of the words.
      const stored = await db.kysely.selectFrom('events').select(['content', 'content_hash']).where('id', '=', entry?.eventId ?? '').executeTakeFirst();
      expect(stored?.content_hash).toBe(sha256(stored?.content ?? ''));
      expect(stored?.content_hash).not.toBe(sha256(JSON.stringify({ body: 'a very particular sentence' })));
      expect(JSON.stringify(await db.kysely.selectFrom('events').select(AUDIT_COLUMNS).select('data').execute())).not.toContain('particular sentence');
      // The chain is what storage holds: altering or cutting rows shows.
      await db.kysely.updateTable('events').set({ type: 'session.paused' }).where('case_id', '=', 'c-audit').where('seq', '=', 2).execute();
      const altered = await cases.audit('c-audit');
      expect(verifyChain('c-audit', altered.entries, altered.head, sha256)).toMatchObject({ ok: false, at: 2 });
      await db.kysely.deleteFrom('events').where('case_id', '=', 'c-audit').where('seq', '>', 1).execute();
      const cut = await cases.audit('c-audit');
      expect(verifyChain('c-audit', cut.entries, cut.head, sha256).ok).toBe(false);
      expect(await cases.audit('no-such-case')).toEqual({ entries: [], head: { seq: 0, hash: GENESIS } });
    });

    describe('group commit (commitMany) and the audit head', () => {
      const commitMany = (inputs: readonly CommitInput[]): Promise<(CommitReceipt | Error)[]> => {
        if (!cases.commitMany) throw new Error('the repository groups commits');
        return cases.commitMany(inputs);
      };
      const receiptOf = (o: CommitReceipt | Error | undefined): CommitReceipt => {
        if (!o || o instanceof Error) throw new Error(`expected a receipt, got ${String(o)}`);
        return o;
      };
      /** The stored chain verifies, covers every event, and record, receipt and store agree on its head. */
      const expectSound = async (caseId: string, d: CaseDriver): Promise<void> => {
        const { entries, head } = await cases.audit(caseId);
        const total = Object.values(d.state.heads).reduce((a, b) => a + b, 0);
        expect(verifyChain(caseId, entries, head, sha256)).toEqual({ ok: true, length: total });
        expect(await cases.load(caseId)).toEqual({ state: d.state, version: d.version, audit: head });
        expect(d.audit).toEqual(head);
      };
      const started = async (caseId: string): Promise<OpenedCase> => {
        const c = await openCase(cases, { caseId, leadAccount: 'acct-1' });
        await c.driver.run(c.lead, cmd('start-session', {}));
        return c;
      };

      it('writes a batch of commands of different cases (a creation among them), each with its receipt', async () => {
        const [a, b, c] = [await started('g-a'), await started('g-b'), await started('g-c')];
        if (!a || !b || !c) throw new Error('cases');
        // A case creation as create-case would commit it, captured instead of committed.
        const captured: CommitInput[] = [];
        const planOnly: CaseStore = { ...cases, commit: (input) => Promise.resolve(void captured.push(input)) };
        const fresh = await openCase(planOnly, { caseId: 'g-new', leadAccount: 'acct-2', accept: false });
        const creation = captured[0];
        if (!creation) throw new Error('no creation captured');
        const idempotency = { scope: 'participant:g', key: 'g-key', requestHash: 'h', response: '{"ok":true}' };
        const pa = a.driver.plan(a.partyA, cmd('post-message', { stream: JOINT, body: 'batched A', label: null }), { extra: { idempotency } });
        const token = hashToken('g-b reissued');
        const pb = b.driver.plan(b.lead, cmd('issue-invitation', { participantId: b.partyB, expiresAt: T0 + HOUR }), {
          extra: { endInvitationsOf: [b.partyB], invitations: [{ participantId: b.partyB, tokenHash: token, expiresAt: T0 + HOUR }] },
        });
        const pc = c.driver.plan(c.lead, cmd('post-message', { stream: MEDIATORS, body: 'batched C', label: null }));
        const before = await counts(db);
        const out = await commitMany([pa.input, creation, pb.input, pc.input]);
        fresh.driver.audit = receiptOf(out[1]).audit;
        a.driver.adopt(pa, receiptOf(out[0]).audit);
        b.driver.adopt(pb, receiptOf(out[2]).audit);
        c.driver.adopt(pc, receiptOf(out[3]).audit);
        for (const x of [a, b, c, fresh]) await expectSound(x.driver.caseId, x.driver);
        const written = pa.events.length + creation.events.length + pb.events.length + pc.events.length;
        expect(grown(before, await counts(db))).toMatchObject({ cases: 1, case_states: 1, agreements: 1, events: written, idempotency: 1, invitations: 5 });
        expect(await cases.findIdempotent('participant:g', 'g-key')).toEqual({ requestHash: 'h', response: '{"ok":true}' });
        expect((await cases.invitationByToken(hashToken(b.tokens.get(b.partyB) ?? '')))?.revokedAt).toBe(T0);
        expect((await cases.invitationByToken(token))?.revokedAt).toBeNull();
        expect((await cases.readStream('g-c', MEDIATORS, 0, 10)).map((e) => (e.type === 'message.posted' ? e.content?.body : null))).toContain('batched C');
        expect(await cases.agreement('g-new')).toEqual({ text: fresh.agreementText, hash: sha256(fresh.agreementText) });
        // The next commits go on from the receipts' heads.
        await a.driver.post(a.partyB, JOINT, 'after the batch');
        const accept = fresh.driver.plan(fresh.partyA, cmd('accept-agreement', { agreementHash: sha256(fresh.agreementText) })); // its driver only captures
        const accepted = await cases.commit(accept.input);
        fresh.driver.adopt(accept, accepted ? accepted.audit : undefined);
        await expectSound('g-a', a.driver);
        await expectSound('g-new', fresh.driver);
      });

      it('a stale version or a taken unique key fails that command alone (VersionConflict); the others commit', async () => {
        const [a, b, c] = [await started('s-a'), await started('s-b'), await started('s-c')];
        if (!a || !b || !c) throw new Error('cases');
        const idem = (key: string) => ({ scope: 'participant:s', key, requestHash: key, response: '{}' });
        await c.driver.run(c.partyA, cmd('post-message', { stream: JOINT, body: 'first use of the key', label: null }), { extra: { idempotency: idem('taken') } });
        const pa = a.driver.plan(a.partyA, cmd('post-message', { stream: JOINT, body: 'A commits', label: null }), { extra: { idempotency: idem('a-key') } });
        const stale = b.driver.plan(b.partyA, cmd('post-message', { stream: JOINT, body: 'B is stale', label: null }), { extra: { idempotency: idem('b-key') } });
        await b.driver.post(b.lead, MEDIATORS, 'B moved on meanwhile');
        const reused = c.driver.plan(c.partyB, cmd('post-message', { stream: JOINT, body: 'C reuses a key', label: null }), { extra: { idempotency: idem('taken') } });
        const before = await counts(db);
        const out = await commitMany([pa.input, stale.input, reused.input]);
        expect(out[1]).toBeInstanceOf(VersionConflict);
        expect(out[2]).toBeInstanceOf(VersionConflict);
        a.driver.adopt(pa, receiptOf(out[0]).audit);
        expect(grown(before, await counts(db))).toMatchObject({ cases: 0, events: pa.events.length, idempotency: 1, items: 1 });
        expect(await cases.findIdempotent('participant:s', 'a-key')).not.toBeNull();
        expect(await cases.findIdempotent('participant:s', 'b-key')).toBeNull();
        expect(await cases.findIdempotent('participant:s', 'taken')).toEqual({ requestHash: 'taken', response: '{}' });
        for (const x of [a, b, c]) await expectSound(x.driver.caseId, x.driver);
        const bodies = async (caseId: string) => (await cases.readStream(caseId, JOINT, 0, 50)).map((e) => (e.type === 'message.posted' ? e.content?.body : null));
        expect(await bodies('s-a')).toEqual(['A commits']);
        expect(await bodies('s-b')).toEqual([]);
        expect(await bodies('s-c')).toEqual(['first use of the key']);
      });

      it('a retry among a batch (its key stored already) is left out with what was decided on top of it, and the rest is written together once more', async () => {
        const [a, b, c, d] = [await started('r-a'), await started('r-b'), await started('r-c'), await started('r-d')];
        if (!a || !b || !c || !d) throw new Error('cases');
        const idem = (key: string) => ({ scope: 'participant:r', key, requestHash: key, response: '{}' });
        await c.driver.run(c.partyA, cmd('post-message', { stream: JOINT, body: 'first use of the key', label: null }), { extra: { idempotency: idem('r-taken') } });
        const cVersion = c.driver.version;
        const pa = a.driver.plan(a.partyA, cmd('post-message', { stream: JOINT, body: 'A', label: null }), { extra: { idempotency: idem('r-a') } });
        const reused = c.driver.plan(c.partyB, cmd('post-message', { stream: JOINT, body: 'C, sent again', label: null }), { extra: { idempotency: idem('r-taken') } });
        c.driver.adopt(reused, undefined);
        const onTop = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'C, decided on top of it', label: null }));
        const pb = b.driver.plan(b.partyA, cmd('post-message', { stream: JOINT, body: 'B', label: null }));
        const pd = d.driver.plan(d.partyA, cmd('post-message', { stream: JOINT, body: 'D', label: null }), { extra: { idempotency: idem('r-d') } });
        // Which turn of the event loop each access check ran in: the checks of one write run in its turn.
        let turn = 0;
        let ticking = true;
        const tick = (): void => {
          turn += 1;
          if (ticking) setImmediate(tick);
        };
        setImmediate(tick);
        const turns: number[][] = [[], [], [], [], []];
        const checks = turns.map((t) => () => void t.push(turn));
        let out: (CommitReceipt | Error)[] | undefined;
        try {
          out = await cases.commitMany?.([pa.input, reused.input, onTop.input, pb.input, pd.input], checks);
        } finally {
          ticking = false;
        }
        expect(out?.[1]).toBeInstanceOf(VersionConflict);
        expect(out?.[2]).toBeInstanceOf(VersionConflict);
        a.driver.adopt(pa, receiptOf(out?.[0]).audit);
        b.driver.adopt(pb, receiptOf(out?.[3]).audit);
        d.driver.adopt(pd, receiptOf(out?.[4]).audit);
        // Checked in the failed batch's turn, then A, B and D again in one turn: one write, not three.
        const [ta, tReused, tOnTop, tb, td] = turns;
        expect([ta?.length, tReused?.length, tOnTop?.length, tb?.length, td?.length]).toEqual([2, 1, 1, 2, 2]);
        expect(new Set([ta?.[0], tReused?.[0], tOnTop?.[0], tb?.[0], td?.[0]]).size).toBe(1);
        expect(new Set([ta?.[1], tb?.[1], td?.[1]]).size).toBe(1);
        const bodies = async (caseId: string) => (await cases.readStream(caseId, JOINT, 0, 50)).map((e) => (e.type === 'message.posted' ? e.content?.body : null));
        expect(await bodies('r-c')).toEqual(['first use of the key']);
        for (const [x, body] of [[a, 'A'], [b, 'B'], [d, 'D']] as const) expect(await bodies(x.driver.caseId)).toEqual([body]);
        expect((await cases.load('r-c'))?.version).toBe(cVersion); // nothing of C's two was stored
        for (const x of [a, b, d]) await expectSound(x.driver.caseId, x.driver);
        expect(await cases.findIdempotent('participant:r', 'r-taken')).toEqual({ requestHash: 'r-taken', response: '{}' });
        expect(await cases.findIdempotent('participant:r', 'r-d')).toEqual({ requestHash: 'r-d', response: '{}' });
      });

      it('[C7] runs each command\'s access check where it is written: in the batch\'s turn, and again in the turn of each write after the batch failed', async () => {
        const [a, b, c] = [await started('k-a'), await started('k-b'), await started('k-c')];
        if (!a || !b || !c) throw new Error('cases');
        const idem = (key: string) => ({ scope: 'participant:k', key, requestHash: key, response: '{}' });
        await c.driver.run(c.partyA, cmd('post-message', { stream: JOINT, body: 'first use of the key', label: null }), { extra: { idempotency: idem('k-taken') } });
        const bodies = async (caseId: string) => (await cases.readStream(caseId, JOINT, 0, 50)).map((e) => (e.type === 'message.posted' ? e.content?.body : null));
        const gone = () => new Error('signed out');
        // The batch fails (a reused key), then each command is written alone: A's sender signed
        // out in between (its check passed for the batch, not for its own write).
        let aChecks = 0;
        const pa = a.driver.plan(a.partyA, cmd('post-message', { stream: JOINT, body: 'A, signed out meanwhile', label: null }));
        const reused = c.driver.plan(c.partyB, cmd('post-message', { stream: JOINT, body: 'C reuses a key', label: null }), { extra: { idempotency: idem('k-taken') } });
        const pb = b.driver.plan(b.partyA, cmd('post-message', { stream: JOINT, body: 'B commits', label: null }));
        const first = await cases.commitMany?.([pa.input, reused.input, pb.input], [
          () => {
            if (++aChecks > 1) throw gone();
          },
          undefined,
          () => undefined,
        ]);
        expect(aChecks).toBe(2);
        expect(first?.[0]).toEqual(gone());
        expect(first?.[1]).toBeInstanceOf(VersionConflict);
        b.driver.adopt(pb, receiptOf(first?.[2]).audit);
        expect(await bodies('k-a')).toEqual([]);
        expect(await bodies('k-b')).toEqual(['B commits']);
        // A check that fails in the batch's own turn: that command is left out, and the others are written.
        const pa2 = a.driver.plan(a.partyA, cmd('post-message', { stream: JOINT, body: 'A, refused at once', label: null }));
        const pb2 = b.driver.plan(b.partyA, cmd('post-message', { stream: JOINT, body: 'B again', label: null }));
        const second = await cases.commitMany?.([pa2.input, pb2.input], [
          () => {
            throw gone();
          },
          undefined,
        ]);
        expect(second?.[0]).toEqual(gone());
        b.driver.adopt(pb2, receiptOf(second?.[1]).audit);
        expect(await bodies('k-a')).toEqual([]);
        expect(await bodies('k-b')).toEqual(['B commits', 'B again']);
        for (const x of [a, b, c]) await expectSound(x.driver.caseId, x.driver);
      });

      it('[C7] checks access once a connection is held, in the turn the batch is sent: not before a wait for the pool', async () => {
        const a = await started('x-a');
        if (!a) throw new Error('case');
        // Every connection busy (PostgreSQL's pool has ten; SQLite has one) until `release`.
        let release: () => void = () => undefined;
        const gate = new Promise<void>((r) => (release = r));
        const busy = Array.from({ length: engine.name === 'postgres' ? 10 : 1 }, () => db.kysely.connection().execute(() => gate));
        await new Promise((r) => setTimeout(r, 20));
        let released = false;
        const seen: boolean[] = [];
        const p = a.driver.plan(a.partyA, cmd('post-message', { stream: JOINT, body: 'after the pool', label: null }));
        const writing = cases.commitMany?.([p.input], [() => void seen.push(released)]);
        await new Promise((r) => setTimeout(r, 20));
        expect(seen).toEqual([]); // still waiting for a connection: nothing checked yet
        released = true;
        release();
        await Promise.all(busy);
        const out = await writing;
        expect(seen).toEqual([true]);
        a.driver.adopt(p, receiptOf(out?.[0]).audit);
        await expectSound('x-a', a.driver);
      });

      it('[C7] after a batch failed on a stale version, each command is written alone, its access checked again in its own write\'s turn', async () => {
        const [a, b, c] = [await started('w-a'), await started('w-b'), await started('w-c')];
        if (!a || !b || !c) throw new Error('cases');
        const bodies = async (caseId: string) => (await cases.readStream(caseId, JOINT, 0, 50)).map((e) => (e.type === 'message.posted' ? e.content?.body : null));
        const gone = () => new Error('signed out');
        let aChecks = 0;
        const pa = a.driver.plan(a.partyA, cmd('post-message', { stream: JOINT, body: 'A, signed out meanwhile', label: null }));
        const stale = b.driver.plan(b.partyA, cmd('post-message', { stream: JOINT, body: 'B is stale', label: null }));
        await b.driver.post(b.lead, MEDIATORS, 'B moved on meanwhile');
        const pc = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'C commits', label: null }));
        const out = await cases.commitMany?.([pa.input, stale.input, pc.input], [
          () => {
            if (++aChecks > 1) throw gone();
          },
          undefined,
          undefined,
        ]);
        expect(aChecks).toBe(2); // in the batch's turn, then in its own write's
        expect(out?.[0]).toEqual(gone());
        expect(out?.[1]).toBeInstanceOf(VersionConflict);
        c.driver.adopt(pc, receiptOf(out?.[2]).audit);
        expect(await bodies('w-a')).toEqual([]);
        expect(await bodies('w-b')).toEqual([]);
        expect(await bodies('w-c')).toEqual(['C commits']);
        for (const x of [a, b, c]) await expectSound(x.driver.caseId, x.driver);
      });

      it('commands of one case follow each other in a batch, each planned on the one before; a failed one takes those after it down', async () => {
        const c = await started('q-1');
        // Decided one on top of the other before any is stored (the engine pipelines a case's
        // commands): only the first carries the audit head; the others are chained by the store.
        const p1 = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'q one', label: null }));
        c.driver.adopt(p1, undefined);
        const p2 = c.driver.plan(c.lead, cmd('start-separate', { sideId: c.sideA, purpose: null })); // changes more than heads
        c.driver.adopt(p2, undefined);
        const p3 = c.driver.plan(c.partyA, cmd('post-message', { stream: caucusStream(c.sideA), body: 'q three', label: null }));
        expect([p1.input.expectedAudit, p2.input.expectedAudit, p3.input.expectedAudit].map((h) => h !== undefined)).toEqual([true, false, false]);
        const out = await commitMany([p1.input, p2.input, p3.input]);
        c.driver.adopt(p3, receiptOf(out[2]).audit);
        expect(receiptOf(out[0]).audit.seq).toBeLessThan(receiptOf(out[1]).audit.seq);
        await expectSound('q-1', c.driver); // the stored state has p2's phase and p3's heads
        expect((await cases.load('q-1'))?.state.session.phase).toBe('separate');

        const p4 = c.driver.plan(c.partyA, cmd('post-message', { stream: caucusStream(c.sideA), body: 'q four', label: null }));
        c.driver.adopt(p4, undefined);
        const p5 = c.driver.plan(c.lead, cmd('post-message', { stream: MEDIATORS, body: 'q five', label: null }));
        c.driver.adopt(p5, undefined);
        const p6 = c.driver.plan(c.lead, cmd('post-message', { stream: MEDIATORS, body: 'q six', label: null }));
        const before = await counts(db);
        const stale = { ...p5.input, expectedVersion: (p5.input.expectedVersion ?? 0) + 7 };
        const failed = await commitMany([p4.input, stale, p6.input]);
        expect(failed[1]).toBeInstanceOf(VersionConflict);
        expect(failed[2]).toBeInstanceOf(VersionConflict);
        expect(grown(before, await counts(db))).toMatchObject({ events: p4.events.length });
        c.driver.state = p4.next;
        c.driver.version = (p4.input.expectedVersion ?? 0) + 1;
        c.driver.audit = receiptOf(failed[0]).audit;
        await expectSound('q-1', c.driver);
        expect((await cases.readStream('q-1', MEDIATORS, 0, 10)).filter((e) => e.type === 'message.posted')).toEqual([]);
      });

      it('two commands of one case that both change its state share a batch: the state stored is the last one', async () => {
        const c = await started('q-2');
        const p1 = c.driver.plan(c.lead, cmd('start-separate', { sideId: c.sideA, purpose: null }));
        c.driver.adopt(p1, undefined);
        const p2 = c.driver.plan(c.lead, cmd('move-mediator', { sideId: c.sideB }));
        c.driver.adopt(p2, undefined);
        const p3 = c.driver.plan(c.partyA, cmd('post-message', { stream: caucusStream(c.sideA), body: 'while the mediator is with B', label: null }));
        const out = await commitMany([p1.input, p2.input, p3.input]);
        c.driver.adopt(p3, receiptOf(out[2]).audit);
        await expectSound('q-2', c.driver);
        expect((await cases.load('q-2'))?.state.session.mediatorRoom).toBe(c.sideB);
      });

      it("a case's creation and the commands decided on top of it can share a batch", async () => {
        const captured: CommitInput[] = [];
        const planOnly: CaseStore = { ...cases, commit: (input) => Promise.resolve(void captured.push(input)) };
        const c = await openCase(planOnly, { caseId: 'q-new', leadAccount: 'acct-3' }); // creation + acceptances, captured
        c.driver.audit = undefined;
        const start = c.driver.plan(c.lead, cmd('start-session', {}));
        c.driver.adopt(start, undefined);
        const first = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'right after the creation', label: null }));
        const inputs = [...captured, start.input, first.input].map((i) => ({ ...i, expectedAudit: undefined }));
        const out = await commitMany(inputs);
        expect(out.filter((o) => o instanceof Error)).toEqual([]);
        c.driver.adopt(first, receiptOf(out.at(-1)).audit);
        await expectSound('q-new', c.driver);
      });

      it('the record carries the stored audit head; a commit on another head writes nothing; without one the store reads it', async () => {
        const c = await started('h-1');
        const rec = await cases.load('h-1');
        const { head } = await cases.audit('h-1');
        expect(rec?.audit).toEqual(head);
        expect(c.driver.audit).toEqual(head);
        const before = await counts(db);
        const p = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'on a forged head', label: null }));
        // The right version on a wrong head: the claim checks both, so nothing is sealed on it.
        await expect(cases.commit({ ...p.input, expectedAudit: { seq: head.seq, hash: 'f'.repeat(64) } })).rejects.toBeInstanceOf(VersionConflict);
        await expect(cases.commit({ ...p.input, expectedAudit: { seq: head.seq - 1, hash: head.hash } })).rejects.toBeInstanceOf(VersionConflict);
        expect(await counts(db)).toEqual(before);
        expect(await cases.load('h-1')).toEqual(rec);
        // A writer that does not carry the head (a record from elsewhere): the store reads it.
        c.driver.audit = undefined;
        await c.driver.post(c.partyA, JOINT, 'sealed on the stored head');
        await expectSound('h-1', c.driver);
        // ...and a stale version without a head is still a conflict.
        const late = c.driver.plan(c.partyB, cmd('post-message', { stream: JOINT, body: 'late', label: null }));
        await c.driver.post(c.partyA, JOINT, 'first');
        await expect(cases.commit({ ...late.input, expectedAudit: undefined })).rejects.toBeInstanceOf(VersionConflict);
        await expect(cases.commit({ ...late.input, expectedVersion: 99, expectedAudit: undefined })).rejects.toBeInstanceOf(VersionConflict);
        await expect(cases.commit({ ...late.input, caseId: 'no-such-case', expectedAudit: undefined })).rejects.toBeInstanceOf(VersionConflict);
        await expectSound('h-1', c.driver);
      });

      // SQLite only (one connection shared with Kysely): defined for the SQLite suites, not skipped elsewhere.
      (engine.name === 'sqlite' ? it : () => undefined)('SQLite: a commit waits for an open Kysely transaction on the connection and is never part of it', async () => {
        const c = await started('k-1');
        let release = (): void => undefined;
        const gate = new Promise<void>((r) => (release = r));
        let signal = (): void => undefined;
        const begun = new Promise<void>((r) => (signal = r));
        const outerDone = db.kysely
          .transaction()
          .execute(async (trx) => {
            await trx.insertInto('idempotency').values({ scope: 'outer', key: 'k', request_hash: 'h', response: '{}', created_at: T0 }).execute();
            signal();
            await gate;
            throw new Error('the outer transaction rolls back');
          })
          .then(
            () => 'committed',
            (e: unknown) => (e instanceof Error ? e.message : String(e)),
          );
        await begun;
        let committed = false;
        const posting = c.driver.post(c.partyA, JOINT, 'written after the outer transaction').then(() => (committed = true));
        await new Promise((r) => setTimeout(r, 30));
        expect(committed).toBe(false); // queued behind the transaction that holds the connection
        release();
        expect(await outerDone).toBe('the outer transaction rolls back');
        await posting;
        expect(await cases.findIdempotent('outer', 'k')).toBeNull();
        expect((await cases.readStream('k-1', JOINT, 0, 5)).map((e) => (e.type === 'message.posted' ? e.content?.body : null))).toEqual(['written after the outer transaction']);
        await expectSound('k-1', c.driver);
      });
    });

    it('lists cases per mediator account (newest first) and all cases with mediator counts', async () => {
      await openCase(cases, { caseId: 'c-old', leadAccount: 'acct-1', coAccount: 'acct-2', now: T0, accept: false });
      await openCase(cases, { caseId: 'c-new', leadAccount: 'acct-2', now: T0 + HOUR, accept: false });
      expect(await cases.casesOfAccount('acct-2')).toEqual([
        { id: 'c-new', title: 'Case c-new', reference: 'REF-c-new', status: 'open', createdAt: T0 + HOUR },
        { id: 'c-old', title: 'Case c-old', reference: 'REF-c-old', status: 'open', createdAt: T0 },
      ]);
      expect((await cases.casesOfAccount('acct-1')).map((x) => x.id)).toEqual(['c-old']);
      expect(await cases.casesOfAccount('acct-nobody')).toEqual([]);
      expect(await cases.allCases()).toEqual([
        { id: 'c-new', title: 'Case c-new', reference: 'REF-c-new', status: 'open', createdAt: T0 + HOUR, mediators: 1 },
        { id: 'c-old', title: 'Case c-old', reference: 'REF-c-old', status: 'open', createdAt: T0, mediators: 2 },
      ]);
      expect(await cases.load('no-such-case')).toBeNull();
      expect(await cases.agreement('no-such-case')).toBeNull();
    });
  });

  describe('AccountStore', () => {
    const account = (id: string, email: string, role: 'admin' | 'mediator' = 'mediator', createdAt = T0) => ({
      id,
      email,
      displayName: `Name ${id}`,
      role,
      passwordHash: null,
      disabledAt: null,
      createdAt,
    });

    it('creates accounts with the e-mail lowercased; a taken e-mail in any case gives false', async () => {
      expect(await accounts.create(account('a-1', 'Mia.Mediator@Example.ORG'))).toBe(true);
      expect(await accounts.create(account('a-2', 'mia.mediator@example.org'))).toBe(false);
      expect(await accounts.create(account('a-3', 'MIA.MEDIATOR@EXAMPLE.ORG'))).toBe(false);
      expect(await accounts.count()).toBe(1);
      const a = await accounts.byEmail('MIA.mediator@example.org');
      expect(a).toEqual({ ...account('a-1', 'mia.mediator@example.org') });
      expect(await accounts.byId('a-1')).toEqual(a);
      expect(await accounts.byId('a-2')).toBeNull();
      expect(await accounts.byEmail('nobody@example.org')).toBeNull();
      await accounts.setPassword('a-1', 'scrypt$hash');
      expect((await accounts.byId('a-1'))?.passwordHash).toBe('scrypt$hash');
      expect(await accounts.create(account('a-4', 'second@example.org', 'admin', T0 - HOUR))).toBe(true);
      expect((await accounts.list()).map((x) => x.id)).toEqual(['a-4', 'a-1']);
    });

    it('counts active admins only', async () => {
      expect(await accounts.countAdmins()).toBe(0);
      await accounts.create(account('ad-1', 'ad1@example.org', 'admin'));
      await accounts.create(account('ad-2', 'ad2@example.org', 'admin'));
      await accounts.create(account('m-1', 'm1@example.org', 'mediator'));
      expect(await accounts.countAdmins()).toBe(2);
      await accounts.setDisabled('ad-2', T0 + 1);
      expect(await accounts.countAdmins()).toBe(1);
      expect((await accounts.byId('ad-2'))?.disabledAt).toBe(T0 + 1);
      await accounts.setDisabled('ad-2', null);
      expect(await accounts.countAdmins()).toBe(2);
      expect(await accounts.count()).toBe(3);
    });

    it('sessions: valid until expiry, ended one by one or per account', async () => {
      await accounts.createSession({ idHash: 'h1', accountId: 'acct-1', participantId: null, caseId: null, expiresAt: T0 + HOUR }, T0);
      await accounts.createSession({ idHash: 'h2', accountId: 'acct-1', participantId: null, caseId: null, expiresAt: T0 + HOUR }, T0);
      await accounts.createSession({ idHash: 'h3', accountId: 'acct-2', participantId: null, caseId: null, expiresAt: T0 + HOUR }, T0);
      await accounts.createSession({ idHash: 'h4', accountId: null, participantId: 'p-1', caseId: 'c-1', expiresAt: T0 + HOUR }, T0);
      expect(await accounts.session('h1', T0 + HOUR - 1)).toEqual({ idHash: 'h1', accountId: 'acct-1', participantId: null, caseId: null, expiresAt: T0 + HOUR });
      expect(await accounts.session('h1', T0 + HOUR)).toBeNull(); // expired at expiresAt
      expect(await accounts.session('h4', T0)).toEqual({ idHash: 'h4', accountId: null, participantId: 'p-1', caseId: 'c-1', expiresAt: T0 + HOUR });
      expect(await accounts.session('unknown', T0)).toBeNull();
      await accounts.endSession('h2', T0 + 1);
      expect(await accounts.session('h2', T0 + 2)).toBeNull();
      expect(await accounts.session('h1', T0 + 2)).not.toBeNull();
      await accounts.endSessionsOfAccount('acct-1', T0 + 3);
      expect(await accounts.session('h1', T0 + 4)).toBeNull();
      expect(await accounts.session('h3', T0 + 4)).not.toBeNull();
      expect(await accounts.session('h4', T0 + 4)).not.toBeNull();
      // Participants with a session that stands: ended and expired ones do not count.
      await accounts.createSession({ idHash: 'h5', accountId: null, participantId: 'p-2', caseId: 'c-1', expiresAt: T0 + HOUR }, T0);
      await accounts.createSession({ idHash: 'h6', accountId: null, participantId: 'p-3', caseId: 'c-1', expiresAt: T0 + 10 }, T0);
      await accounts.endSession('h5', T0 + 5);
      expect([...(await accounts.participantsSignedIn(['p-1', 'p-2', 'p-3', 'p-none'], T0 + 10))]).toEqual(['p-1']);
      expect((await accounts.participantsSignedIn(['p-3'], T0 + 9)).has('p-3')).toBe(true);
      expect((await accounts.participantsSignedIn([], T0)).size).toBe(0);
      // Ending twice keeps the first revocation time.
      await accounts.endSession('h2', T0 + 9);
      const row = await db.kysely.selectFrom('auth_sessions').select('revoked_at').where('id_hash', '=', 'h2').executeTakeFirstOrThrow();
      expect(row.revoked_at).toBe(T0 + 1);
    });

    it('tokens: used once, not after expiry, not for another purpose', async () => {
      await accounts.createToken({ tokenHash: 't-setup', accountId: null, purpose: 'setup', now: T0, expiresAt: T0 + HOUR });
      await accounts.createToken({ tokenHash: 't-sign', accountId: 'acct-1', purpose: 'sign-in', now: T0, expiresAt: T0 + HOUR });
      await accounts.createToken({ tokenHash: 't-old', accountId: 'acct-1', purpose: 'sign-in', now: T0, expiresAt: T0 + 10 });
      await accounts.createToken({ tokenHash: 't-more', accountId: null, purpose: 'setup', now: T0, expiresAt: T0 + HOUR });
      expect(await accounts.useToken('t-sign', 'setup', T0 + 1)).toBeNull(); // wrong purpose leaves it usable
      expect(await accounts.useToken('t-sign', 'sign-in', T0 + 1)).toEqual({ accountId: 'acct-1' });
      expect(await accounts.useToken('t-sign', 'sign-in', T0 + 2)).toBeNull();
      expect(await accounts.useToken('t-old', 'sign-in', T0 + 10)).toBeNull();
      expect(await accounts.useToken('unknown', 'setup', T0)).toBeNull();
      expect(await accounts.useToken('t-setup', 'setup', T0 + 1)).toEqual({ accountId: null });
      await accounts.endTokens('setup', T0 + 2);
      expect(await accounts.useToken('t-more', 'setup', T0 + 3)).toBeNull();
      const used = await db.kysely.selectFrom('account_tokens').select(['token_hash', 'used_at']).orderBy('token_hash').execute();
      expect(used).toEqual([
        { token_hash: 't-more', used_at: T0 + 2 },
        { token_hash: 't-old', used_at: null },
        { token_hash: 't-setup', used_at: T0 + 1 },
        { token_hash: 't-sign', used_at: T0 + 1 },
      ]);
    });
  });

  it('returns BIGINT times as numbers on every read path, also beyond 2^32', async () => {
    const far = Date.UTC(2200, 0, 1); // > 2^32, < 2^53
    const c = await openCase(cases, { caseId: 'c-big', leadAccount: 'acct-1', now: far, accept: false });
    await accounts.create({ id: 'a-big', email: 'big@example.org', displayName: 'Big', role: 'admin', passwordHash: null, disabledAt: far + 1, createdAt: far });
    await accounts.createSession({ idHash: 'h-big', accountId: 'a-big', participantId: null, caseId: null, expiresAt: far + HOUR }, far);
    const checks: unknown[] = [
      (await cases.readStream('c-big', SESSION, 0, 1))[0]?.at,
      (await cases.invitationByToken(hashToken(c.tokens.get(c.partyA) ?? '')))?.expiresAt,
      (await cases.audit('c-big')).entries[0]?.at,
      (await cases.casesOfAccount('acct-1'))[0]?.createdAt,
      (await cases.allCases())[0]?.createdAt,
      (await accounts.byId('a-big'))?.createdAt,
      (await accounts.byId('a-big'))?.disabledAt,
      (await accounts.session('h-big', far))?.expiresAt,
      (await db.kysely.selectFrom('cases').select('created_at').executeTakeFirstOrThrow()).created_at,
    ];
    for (const v of checks) expect(typeof v).toBe('number');
    expect(checks).toEqual([far, far + 14 * 86_400_000, far, far, far, far, far + 1, far + HOUR, far]);
  });
});

describe.skipIf(postgresEngine.skip !== null)('PostgreSQL connections', () => {
  vitestIt('a connection ended by the server (restart, failover, admin) does not crash the process; the next query reconnects', async () => {
    const target = await postgresEngine.target();
    try {
      const db = await target.open();
      await sql`select 1`.execute(db.kysely); // leaves an idle client in the pool
      const database = new URL(target.databaseUrl ?? '').pathname.slice(1);
      const admin = await target.open(); // a second pool, to end the first one's connections
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`.execute(admin.kysely);
      // An unhandled 'error' on the pool would now be an uncaught exception and fail this file.
      await new Promise((r) => setTimeout(r, 300));
      const r = await sql<{ x: number }>`select 1 as x`.execute(db.kysely);
      expect(r.rows).toEqual([{ x: 1 }]);
      expect(await accountRepository(db.kysely).count()).toBe(0);
    } finally {
      await target.dispose();
    }
  });
});
