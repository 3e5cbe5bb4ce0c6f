import fs from 'node:fs';
import path from 'node:path';
import type { CaseView, EventView } from '@caucus/protocol';
import { describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS } from '../src/storage/case.repository.ts';
import { adminBrowser } from './edges/support.ts';
import { join, sampleCase, scenarioPerTest, type Res, type Scenario, type TestServer } from './harness.ts';

let server: TestServer;
let s: Scenario;
type Cmd = { view: CaseView; created: { id: string; stream: string; position: number }[] };
scenarioPerTest((a, b) => {
  server = a;
  s = b;
});

const base = () => `/api/v1/cases/${s.caseId}`;

describe('a mediation over real HTTP and WebSockets', () => {
  it('[C1] runs joint and separate sessions; side B\'s caucus never reaches side A', async () => {
    const [A, B] = s.sides;
    const aParty = s.members[0]![0]!;
    const bParty = s.members[1]![0]!;
    const aLive = await aParty.browser.live(s.caseId);
    const bLive = await bParty.browser.live(s.caseId);
    await aLive.until((f) => f.t === 'caught-up');
    await bLive.until((f) => f.t === 'caught-up');

    expect((await s.mediator.post(`${base()}/session/start`)).status).toBe(200);
    const hello = await aParty.browser.post<Cmd>(`${base()}/rooms/joint/messages`, { body: 'Good morning, everyone.' });
    expect(hello.status).toBe(200);
    await bLive.until((f) => f.t === 'event' && f.event.content?.body === 'Good morning, everyone.');

    const sep = await s.mediator.post<Cmd>(`${base()}/session/separate`, { sideId: B!.id, purpose: 'reality-test the rent figure' });
    expect(sep.status).toBe(200);
    expect(sep.body.view.session).toMatchObject({ phase: 'separate', mediatorRoom: B!.id });
    // The joint room is closed to parties during separate sessions.
    const closed = await aParty.browser.post(`${base()}/rooms/joint/messages`, { body: 'Hello?' });
    expect(closed.status).toBe(409);

    const secret = 'Our real limit is 40,000 — do not tell them.';
    const post = await bParty.browser.post<Cmd>(`${base()}/rooms/caucus:${B!.id}/messages`, { body: secret });
    expect(post.status).toBe(200);
    const posted = await bLive.until((f) => f.t === 'event' && f.event.content?.body === secret);
    expect(posted.t === 'event' && posted.event.data.label).toBe('confidential'); // opt-in default

    // A cannot read B's room, write in it, or tell it from a room that does not exist (C9).
    const read = await aParty.browser.get(`${base()}/streams/caucus:${B!.id}/events`);
    const none = await aParty.browser.get(`${base()}/streams/caucus:nosuchside/events`);
    expect(read.status).toBe(404);
    expect(read.text).toBe(none.text);
    expect((await aParty.browser.post(`${base()}/rooms/caucus:${B!.id}/messages`, { body: 'x' })).status).toBe(404);

    expect((await s.mediator.post(`${base()}/session/move`, { sideId: A!.id })).status).toBe(200);
    await aLive.until((f) => f.t === 'view' && f.view.session.mediatorRoom === A!.id);
    server.clock.advance(60_000);
    const rec = await s.mediator.post<Cmd>(`${base()}/session/reconvene`, { countdownSeconds: 120 });
    expect(rec.body.view.session.phase).toBe('reconvening');
    expect((await aParty.browser.post(`${base()}/rooms/joint/messages`, { body: 'Back?' })).status).toBe(409);
    server.clock.advance(120_000);
    expect((await aParty.browser.post(`${base()}/rooms/joint/messages`, { body: 'Back.' })).status).toBe(200);
    await aLive.until((f) => f.t === 'event' && f.event.content?.body === 'Back.');

    expect(aLive.raw.join('\n')).not.toContain('40,000');
    expect(aLive.raw.join('\n')).not.toContain('reality-test');
    expect(aLive.raw.join('\n')).not.toContain(`caucus:${B!.id}`);
    const bal = await s.mediator.get<{ total: Record<string, number> }>(`${base()}/time-balance`);
    expect(bal.body.total[A!.id]).toBe(60_000);
    aLive.close();
    bLive.close();
  });

  it('resumes each stream from the last position seen, without loss or duplicates', async () => {
    const aParty = s.members[0]![0]!;
    await s.mediator.post(`${base()}/session/start`);
    for (let i = 1; i <= 5; i++) await s.mediator.post(`${base()}/rooms/joint/messages`, { body: `m${i}` });
    const first = await aParty.browser.live(s.caseId, { joint: 0 });
    await first.until((f) => f.t === 'caught-up');
    const seen = first.events().filter((e) => e.stream === "joint");
    const lastJoint = seen.at(-1)!.position;
    first.close();
    for (let i = 6; i <= 8; i++) await s.mediator.post(`${base()}/rooms/joint/messages`, { body: `m${i}` });
    const again = await aParty.browser.live(s.caseId, { joint: lastJoint });
    await again.until((f) => f.t === 'caught-up');
    const bodies = again.events().map((e: EventView) => e.content?.body).filter(Boolean);
    expect(bodies).toEqual(['m6', 'm7', 'm8']);
    again.close();
  });

  it('a retried command with the same Idempotency-Key is applied once', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const h = { 'idempotency-key': 'retry-key-0001' };
    const one = await s.mediator.post<Cmd>(`${base()}/rooms/joint/messages`, { body: 'once' }, h);
    const two = await s.mediator.post<Cmd>(`${base()}/rooms/joint/messages`, { body: 'once' }, h);
    expect(two.status).toBe(200);
    expect(two.body.created).toEqual(one.body.created);
    const r = await s.mediator.get<{ events: EventView[] }>(`${base()}/streams/joint/events`);
    expect(r.body.events.filter((e) => e.content?.body === 'once')).toHaveLength(1);
    const other = await s.mediator.post(`${base()}/rooms/joint/messages`, { body: 'different' }, h);
    expect(other.status).toBe(409);
  });

  it('a retried case creation with the same Idempotency-Key opens one case and answers with it', async () => {
    type Created = { case: { id: string; title: string }; invitations: { participantId: string; url: string }[] };
    const h = { 'idempotency-key': 'create-key-0001' };
    const one = await s.mediator.post<Created>('/api/v1/cases', sampleCase({ title: 'Opened once' }), h);
    expect(one.status).toBe(201);
    expect(one.body.invitations.length).toBeGreaterThan(0);
    const keyFiles = (): string[] => fs.readdirSync(path.join(server.dataDir, 'keys')).sort();
    const keysBefore = keyFiles();
    const two = await s.mediator.post<Created>('/api/v1/cases', sampleCase({ title: 'Opened once' }), h);
    expect(two.status).toBe(201);
    expect(two.body.case.id).toBe(one.body.case.id);
    // The links are shown once, in the first answer (the record keeps no token); they still work.
    expect(two.body.invitations).toEqual([]);
    expect(keyFiles(), 'the retry put a key on disk for a case of its own').toEqual(keysBefore);
    const cases = (await s.mediator.get<{ id: string; title: string }[]>('/api/v1/cases')).body;
    expect(cases.filter((c) => c.title === 'Opened once').map((c) => c.id)).toEqual([one.body.case.id]);
    const first = one.body.invitations[0];
    if (!first) throw new Error('no link');
    expect((await join(server, first.url)).participantId).toBe(first.participantId);
    // The same key for another case is refused, and opens nothing.
    const other = await s.mediator.post('/api/v1/cases', sampleCase({ title: 'Opened twice' }), h);
    expect(other.status).toBe(409);
    expect((await s.mediator.get<{ title: string }[]>('/api/v1/cases')).body.filter((c) => c.title === 'Opened twice')).toEqual([]);
    // A key a message used first is refused for a creation, not an error of the server's.
    await s.mediator.post(`${base()}/session/start`);
    const used = { 'idempotency-key': 'create-key-0002' };
    expect((await s.mediator.post(`${base()}/rooms/joint/messages`, { body: 'first use' }, used)).status).toBe(200);
    expect((await s.mediator.post('/api/v1/cases', sampleCase({ title: 'Opened once' }), used)).status).toBe(409);
    // Once the case is closed and its key shredded, a retry cannot be told from another request (C11).
    expect((await s.mediator.post(`/api/v1/cases/${one.body.case.id}/close`, { destroyContent: true })).status).toBe(200);
    const late = await s.mediator.post<{ error: { message: string } }>('/api/v1/cases', sampleCase({ title: 'Opened once' }), h);
    expect(late.status).toBe(409);
    expect(late.text).toContain('closed');
  });

  it('[C7] a retry answered from its record after its sender signed out gets 401, not the case', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const h = { 'idempotency-key': 'retry-key-0002' };
    const one = await s.mediator.post<Cmd>(`${base()}/rooms/joint/messages`, { body: 'once' }, h);
    expect(one.status).toBe(200);
    // Hold the retry where its record is read (its second try: the first was refused at its
    // commit, the key being taken), sign out meanwhile, then let it go on.
    const cases = server.svc.cases;
    const original = cases.findIdempotent.bind(cases);
    const originalNow = cases.findIdempotentNow?.bind(cases);
    cases.findIdempotentNow = (scope, key) => (key === 'retry-key-0002' ? undefined : originalNow?.(scope, key));
    let held = false;
    let release = (): void => undefined;
    const released = new Promise<void>((r) => (release = r));
    cases.findIdempotent = async (scope, key) => {
      if (key === 'retry-key-0002') {
        held = true;
        await released;
      }
      return original(scope, key);
    };
    try {
      const two = s.mediator.post<Cmd>(`${base()}/rooms/joint/messages`, { body: 'once' }, h);
      while (!held) await new Promise((r) => setTimeout(r, 5));
      expect((await s.mediator.post('/api/v1/auth/logout')).status).toBe(204);
      release();
      const answer = await two;
      expect(answer.status).toBe(401);
      expect(JSON.stringify(answer.body)).not.toContain('"view"');
    } finally {
      cases.findIdempotent = original;
      cases.findIdempotentNow = originalNow;
    }
  });

  it('the audit chain verifies and holds no content', async () => {
    await s.mediator.post(`${base()}/session/start`);
    await s.mediator.post(`${base()}/rooms/joint/messages`, { body: 'a very particular sentence' });
    const v = await s.mediator.get<{ ok: boolean; length: number }>(`${base()}/audit/verify`);
    expect(v.body.ok).toBe(true);
    expect(v.body.length).toBeGreaterThan(10);
    const rows = await server.db.kysely.selectFrom('events').select(AUDIT_COLUMNS).select('data').execute();
    expect(JSON.stringify(rows)).not.toContain('particular sentence');
  });

  it('[C7] a co-mediator removed from a case no longer finds it among their cases, nor can open it', async () => {
    const co = await server.mediator('cora@example.org', 'Cora Co');
    const dir = await s.mediator.get<{ mediators: { id: string; displayName: string }[] }>('/api/v1/directory');
    const coId = dir.body.mediators.find((m) => m.displayName === 'Cora Co')?.id;
    expect(coId).toBeTruthy();
    const made = await s.mediator.post<{ case: { id: string } }>('/api/v1/cases', sampleCase({ title: 'Shared case', coMediators: [coId!] }));
    expect(made.status).toBe(201);
    const url = `/api/v1/cases/${made.body.case.id}`;
    const mine = async (b: typeof co) => (await b.get<{ id: string }[]>('/api/v1/cases')).body.map((c) => c.id);
    expect(await mine(co)).toContain(made.body.case.id);
    const view = await s.mediator.get<CaseView>(url);
    const coPid = view.body.participants.find((p) => p.displayName === 'Cora Co')?.id ?? '';
    expect(coPid).not.toBe('');
    expect((await co.get(url)).status).toBe(403); // hers until she accepts the agreement: agreement_required
    const ag = await co.get<{ hash: string }>(`${url}/agreement`);
    expect((await co.post(`${url}/agreement/accept`, { agreementHash: ag.body.hash })).status).toBe(200);
    expect((await co.get(url)).status).toBe(200);

    // A read of hers under way while the lead removes her: it answers after the removal was
    // acknowledged, so it answers as a request made after it would (her account's session
    // is not ended by the removal; her place in the case is). Held at its session check,
    // the second session lookup of the request (the first authenticates it).
    const accounts = server.svc.accounts as { session: (h: string, now: number) => Promise<unknown> };
    const realSession = accounts.session;
    let calls = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    accounts.session = async (h, now) => {
      calls++;
      if (calls === 2) await held;
      return realSession.call(accounts, h, now);
    };
    let inFlight: Promise<Res>;
    try {
      inFlight = co.get(`${url}/time-balance`);
      while (calls < 2) await new Promise((r) => setTimeout(r, 5));
      accounts.session = realSession; // the lead's removal goes through unheld
      expect((await s.mediator.del(`${url}/participants/${coPid}`)).status).toBe(200);
    } finally {
      accounts.session = realSession;
      release();
    }
    expect((await inFlight).status).toBe(404);
    expect(await mine(co)).not.toContain(made.body.case.id);
    expect(await mine(s.mediator)).toContain(made.body.case.id);
    expect((await co.get(url)).status).toBe(404);
  });

  it('[durability] lists read from the store answer only once the flush under what they read has returned', async () => {
    const cases = server.svc.cases as { durable?: () => Promise<void> };
    expect(cases.durable).toBeTypeOf('function'); // the SQLite store
    const real = cases.durable;
    const admin = await adminBrowser(server);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let asked = 0;
    cases.durable = () => {
      asked++;
      return gate.then(() => real?.());
    };
    try {
      const answered: string[] = [];
      const track = (name: string, p: Promise<Res>) => p.then((r) => (answered.push(name), r));
      const reads = [
        track('invitations', s.mediator.get(`${base()}/invitations`)),
        track('my cases', s.mediator.get('/api/v1/cases')),
        track('all cases', admin.get('/api/v1/admin/cases')),
        track('audit', s.mediator.get(`${base()}/audit/verify`)),
      ];
      await new Promise((r) => setTimeout(r, 100));
      expect(answered).toEqual([]);
      expect(asked).toBeGreaterThanOrEqual(4);
      open();
      for (const r of await Promise.all(reads)) expect(r.status).toBe(200);
      expect(answered).toHaveLength(4);
    } finally {
      open();
      cases.durable = real;
    }
  });

  it("[C7] the mediator's list says where each personal link stands: revoked also after its holder had joined, joined while a spare link waits", async () => {
    type Status = { participantId: string; status: string };
    const statusOf = async (pid: string): Promise<string | undefined> => {
      const r = await s.mediator.get<Status[]>(`${base()}/invitations`);
      expect(r.status).toBe(200);
      return r.body.find((x) => x.participantId === pid)?.status;
    };
    const added = await s.mediator.post<Cmd>(`${base()}/participants`, { role: 'party', sideId: s.sides[0]!.id, displayName: 'Nia New' });
    const pid = added.body.created[0]!.id;
    expect(await statusOf(pid)).toBe('none');
    const first = await s.mediator.post<{ url: string }>(`${base()}/participants/${pid}/invitation`);
    expect(await statusOf(pid)).toBe('pending');
    const nia = await join(server, first.body.url, false);
    expect(await statusOf(pid)).toBe('joined');
    const ag = await nia.browser.get<{ hash: string }>(`${base()}/agreement`);
    expect((await nia.browser.post(`${base()}/agreement/accept`, { agreementHash: ag.body.hash })).status).toBe(200);
    expect(await statusOf(pid)).toBe('accepted');
    // A new link while she is signed in: she stays in, and the list still says so.
    const spare = await s.mediator.post<{ url: string }>(`${base()}/participants/${pid}/invitation`);
    expect(spare.status).toBe(201);
    expect(await statusOf(pid)).toBe('accepted');
    expect((await nia.browser.get(base())).status).toBe(200);
    // [C7] Revoked after she joined: she is signed out, and the list says so (not 'accepted').
    expect((await s.mediator.del(`${base()}/participants/${pid}/invitation`)).status).toBe(204);
    expect(await statusOf(pid)).toBe('revoked');
    expect((await nia.browser.get(base())).status).toBe(401);
    // A new link, in the same millisecond as the revocation (the test clock stands still):
    // she has accepted the agreement before, is signed out, and is invited to come back.
    const again = await s.mediator.post<{ url: string }>(`${base()}/participants/${pid}/invitation`);
    expect(again.status).toBe(201);
    expect(await statusOf(pid)).toBe('pending');
    const back = await join(server, again.body.url, false);
    expect(await statusOf(pid)).toBe('accepted');
    expect((await back.browser.get(base())).status).toBe(200);
  });
});
