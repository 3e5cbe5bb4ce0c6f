import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { hashToken, seededIds } from '../../src/platform.ts';
import { startServer } from '../../src/server.ts';
import { createAccount, prepareSetup } from '../../src/services/accounts.ts';
import { Browser, join, scenario, testServer, type LiveClient, type Scenario, type TestServer } from '../harness.ts';
import {
  adminBrowser,
  closedOrPong,
  closesBeforeAnswer,
  cookieHeader,
  errorOf,
  expectError,
  fill,
  NO_SUCH_ID,
  type OpenApiDoc,
  PASSWORD,
  raw,
  sampleBodies,
  snapshot,
  storesNothing,
  tokenOf,
  upgrade,
} from './support.ts';

/** Accounts, sessions, cookies, CSRF and the live socket's authentication, over real HTTP and sockets. */

let server: TestServer;
beforeEach(async () => {
  server = await testServer();
});
afterEach(async () => {
  await server.stop();
});

const MINUTE = 60_000;

interface Me {
  kind: 'account' | 'participant';
  account: { id: string; role: string; email: string } | null;
  participant: { id: string; accepted: boolean } | null;
}

/** The attributes of the Set-Cookie header for `name`. */
function setCookie(headers: Headers, name: string): { value: string; attrs: string[] } {
  const line = headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no Set-Cookie for ${name}: ${JSON.stringify(headers.getSetCookie())}`);
  const [pair, ...attrs] = line.split(';').map((p) => p.trim());
  return { value: pair!.slice(name.length + 1), attrs };
}

async function caughtUp(live: LiveClient): Promise<LiveClient> {
  await live.until((f) => f.t === 'caught-up');
  return live;
}

describe('first start and setup', () => {
  it('with no administrator, setup is needed; the setup link works once', async () => {
    const b = server.browser();
    expect((await b.get('/api/v1/setup')).body).toEqual({ needed: true });
    const stale = await prepareSetup(server.svc);
    const url = await prepareSetup(server.svc); // each call replaces the link before it
    expect(url).toMatch(/^http:\/\/caucus\.test\/setup#token=[A-Za-z0-9_-]{43}$/);
    const body = { token: tokenOf(url!), email: 'Ada@Example.org', displayName: 'Ada Admin', password: PASSWORD };

    const old = await storesNothing(server, () => server.browser().post('/api/v1/setup', { ...body, token: tokenOf(stale!) }));
    expectError(old, 410, 'gone');
    // A refused body does not use the link up.
    expectError(await storesNothing(server, () => b.post('/api/v1/setup', { ...body, password: 'short' })), 400, 'validation');

    const ok = await b.post<Me>('/api/v1/setup', body);
    expect(ok.status).toBe(200);
    expect(ok.body.account).toMatchObject({ role: 'admin', email: 'ada@example.org' });
    expect((await b.get<Me>('/api/v1/me')).body.account?.role).toBe('admin');
    expect((await b.get('/api/v1/setup')).body).toEqual({ needed: false });

    const again = await storesNothing(server, () => server.browser().post('/api/v1/setup', { ...body, email: 'eve@example.org' }));
    expect(expectError(again, 410, 'gone').message).toMatch(/not valid any more/);
    expect(await prepareSetup(server.svc)).toBeNull();
    const tokens = await server.db.kysely.selectFrom('account_tokens').select('token_hash').execute();
    expect(tokens.map((t) => t.token_hash)).not.toContain(tokenOf(url!));
  });
});

describe('sign-in', () => {
  beforeEach(async () => {
    await createAccount(server.svc, { email: 'mia@example.org', displayName: 'Mia Mediator', role: 'mediator', password: PASSWORD });
  });

  it('signs in; an unknown e-mail, a wrong password and a disabled account get the same answer', async () => {
    const ok = await server.browser().post<Me>('/api/v1/auth/login', { email: ' MIA@example.org ', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: 'account', account: { email: 'mia@example.org', role: 'mediator' } });
    expect(JSON.stringify(ok.body)).not.toContain('scrypt');

    const unknown = await storesNothing(server, () => server.browser().post('/api/v1/auth/login', { email: 'nobody@example.org', password: PASSWORD }));
    const wrong = await storesNothing(server, () => server.browser().post('/api/v1/auth/login', { email: 'mia@example.org', password: 'not the password' }));
    await createAccount(server.svc, { email: 'gone@example.org', displayName: 'Gone', role: 'mediator', password: PASSWORD });
    const admin = await adminBrowser(server);
    const gone = await server.svc.accounts.byEmail('gone@example.org');
    expect((await admin.post(`/api/v1/admin/accounts/${gone!.id}/disable`)).status).toBe(200);
    const disabled = await storesNothing(server, () => server.browser().post('/api/v1/auth/login', { email: 'gone@example.org', password: PASSWORD }));
    for (const r of [unknown, wrong, disabled]) {
      expect(r.status).toBe(401);
      expect(r.text).toBe(unknown.text);
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    expect(errorOf(unknown)).toEqual({ code: 'unauthenticated', message: 'E-mail address or password is wrong.' });
  });

  it('successful sign-ins do not count toward the limit (people behind one address are not locked out)', async () => {
    for (let i = 1; i <= 15; i++) expect((await server.browser().post('/api/v1/auth/login', { email: 'mia@example.org', password: PASSWORD })).status).toBe(200);
  });

  it('the 11th attempt within 15 minutes is a 429 with Retry-After, even with the right password', async () => {
    const b = server.browser();
    for (let i = 1; i <= 10; i++) expect((await b.post('/api/v1/auth/login', { email: 'mia@example.org', password: `wrong ${i}` })).status).toBe(401);
    const limited = await storesNothing(server, () => b.post('/api/v1/auth/login', { email: 'mia@example.org', password: PASSWORD }));
    expectError(limited, 429, 'rate_limited');
    const wait = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(wait)).toBe(true);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    expect(limited.headers.get('set-cookie')).toBeNull();
    server.clock.advance(15 * MINUTE);
    expect((await b.post('/api/v1/auth/login', { email: 'mia@example.org', password: PASSWORD })).status).toBe(200);
  });

  it('session cookies are HttpOnly, SameSite=Strict, Path=/; 256-bit ids stored only hashed', async () => {
    const r = await server.browser().post('/api/v1/auth/login', { email: 'mia@example.org', password: PASSWORD });
    const c = setCookie(r.headers, 'caucus_acct');
    expect(c.attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict']));
    expect(c.attrs.some((a) => /^Expires=/.test(a))).toBe(true);
    expect(c.attrs).not.toContain('Secure'); // PUBLIC_URL is http:// here
    expect(c.value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(c.value, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    const rows = await server.db.kysely.selectFrom('auth_sessions').selectAll().execute();
    expect(rows.map((row) => row.id_hash)).toContain(hashToken(c.value));
    for (const row of rows) expect(row.id_hash).not.toBe(c.value);
    expect(JSON.stringify(await snapshot(server))).not.toContain(c.value);

    // Two sign-ins never share an id.
    const r2 = await server.browser().post('/api/v1/auth/login', { email: 'mia@example.org', password: PASSWORD });
    expect(setCookie(r2.headers, 'caucus_acct').value).not.toBe(c.value);
  });

  it('participant cookies too; and the invitation token is stored only hashed', async () => {
    const s = await scenario(server);
    const add = await s.mediator.post<{ created: { id: string }[] }>(`/api/v1/cases/${s.caseId}/participants`, { role: 'party', sideId: s.sides[0]!.id, displayName: 'Nia New' });
    const link = await s.mediator.post<{ url: string }>(`/api/v1/cases/${s.caseId}/participants/${add.body.created[0]!.id}/invitation`);
    const token = tokenOf(link.body.url);
    expect(JSON.stringify(await snapshot(server))).not.toContain(token);
    const r = await server.browser().post<{ participantId: string }>('/api/v1/invitations/redeem', { token });
    const c = setCookie(r.headers, `caucus_p_${r.body.participantId}`);
    expect(c.attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict']));
    expect(Buffer.from(c.value, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    const row = await server.db.kysely.selectFrom('auth_sessions').selectAll().where('participant_id', '=', r.body.participantId).executeTakeFirstOrThrow();
    expect(row.id_hash).toBe(hashToken(c.value));
    expect(row.id_hash).not.toBe(c.value);
    expect(JSON.stringify(await snapshot(server))).not.toContain(c.value);
  });

  it('with an https PUBLIC_URL, cookies are Secure', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-edge-'));
    const origin = 'https://caucus.test';
    const secure = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', PUBLIC_URL: origin }), { ids: seededIds('secure') });
    try {
      await createAccount(secure.svc, { email: 'mia@example.org', displayName: 'Mia', role: 'mediator', password: PASSWORD });
      const b = new Browser(secure.url, origin);
      const r = await b.post('/api/v1/auth/login', { email: 'mia@example.org', password: PASSWORD });
      expect(r.status).toBe(200);
      expect(setCookie(r.headers, 'caucus_acct').attrs).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']));
      // The Origin check follows PUBLIC_URL: the http:// origin of the same host is foreign.
      const http = new Browser(secure.url, 'http://caucus.test');
      expectError(await http.post('/api/v1/auth/login', { email: 'mia@example.org', password: PASSWORD }), 403, 'csrf');
    } finally {
      await secure.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('CSRF: state changes only from our own origin', () => {
  it('a POST or DELETE without Origin, or with a foreign one, is a 403 csrf and stores nothing', async () => {
    const s = await scenario(server);
    const url = `/api/v1/cases/${s.caseId}`;
    await s.mediator.post(`${url}/session/start`);
    const bLive = await caughtUp(await s.members[1]![0]!.browser.live(s.caseId));
    const json = { 'content-type': 'application/json' };
    const foreign = ['http://evil.example', 'https://caucus.test', 'http://caucus.test:8080', 'http://caucus.test.evil.example', 'null', ''];
    const attempts: { method: string; url: string; body?: string; as?: Browser; headers: Record<string, string> }[] = [];
    const variants: Record<string, string>[] = [{}, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, ...foreign.map((origin) => ({ origin }))];
    for (const headers of variants) {
      attempts.push({ method: 'POST', url: `${url}/rooms/joint/messages`, body: JSON.stringify({ body: 'forged' }), as: s.mediator, headers: { ...json, ...headers } });
      attempts.push({ method: 'DELETE', url: `${url}/participants/${s.members[1]![0]!.participantId}`, as: s.mediator, headers });
      attempts.push({ method: 'POST', url: '/api/v1/auth/login', body: JSON.stringify({ email: 'mediator@example.org', password: PASSWORD }), headers: { ...json, ...headers } });
      attempts.push({ method: 'POST', url: '/api/v1/auth/logout', as: s.mediator, headers });
    }
    for (const a of attempts) {
      const r = await storesNothing(server, () => raw(server, a.method, a.url, { as: a.as, headers: a.headers, body: a.body }));
      expect({ what: `${a.method} ${a.url} ${JSON.stringify(a.headers)}`, status: r.status }).toEqual({ what: `${a.method} ${a.url} ${JSON.stringify(a.headers)}`, status: 403 });
      expect(errorOf(r).code).toBe('csrf');
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    // Nothing happened: the forged removal closed no socket, the forged logout ended no session.
    expect(bLive.closed).toBeNull();
    expect((await s.mediator.get('/api/v1/me')).status).toBe(200);
    // Reads need no Origin; a browser's same-origin fetch without Origin is allowed.
    expect((await raw(server, 'GET', url, { as: s.mediator })).status).toBe(200);
    const same = await raw(server, 'POST', `${url}/rooms/joint/messages`, { as: s.mediator, headers: { ...json, 'sec-fetch-site': 'same-origin' }, body: JSON.stringify({ body: 'real' }) });
    expect(same.status).toBe(200);
    bLive.close();
  });
});

describe('administrators', () => {
  it('an admin creates a mediator; the welcome link signs in once and sets the password', async () => {
    const admin = await adminBrowser(server);
    const made = await admin.post<{ account: { id: string; role: string }; welcomeUrl: string }>('/api/v1/admin/accounts', { email: 'New@Example.org', displayName: 'Nell New' });
    expect(made.status).toBe(201);
    expect(made.body.account.role).toBe('mediator');
    expect(made.body.welcomeUrl).toMatch(/^http:\/\/caucus\.test\/welcome#token=[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(await snapshot(server))).not.toContain(tokenOf(made.body.welcomeUrl));
    expectError(await storesNothing(server, () => admin.post('/api/v1/admin/accounts', { email: 'new@example.org', displayName: 'Twin' })), 409, 'conflict');

    const newcomer = server.browser();
    const short = await storesNothing(server, () => newcomer.post('/api/v1/auth/link', { token: tokenOf(made.body.welcomeUrl), password: 'short' }));
    expect(expectError(short, 400, 'validation').issues?.map((i) => i.path)).toEqual(['body.password']);
    const used = await newcomer.post<Me>('/api/v1/auth/link', { token: tokenOf(made.body.welcomeUrl), password: 'a brand new password' });
    expect(used.status).toBe(200);
    expect((await newcomer.get<Me>('/api/v1/me')).body.account).toMatchObject({ id: made.body.account.id, role: 'mediator' });
    const twice = await storesNothing(server, () => server.browser().post('/api/v1/auth/link', { token: tokenOf(made.body.welcomeUrl) }));
    expectError(twice, 410, 'gone');
    expect((await server.browser().post('/api/v1/auth/login', { email: 'new@example.org', password: 'a brand new password' })).status).toBe(200);
    // Only admins manage accounts.
    expectError(await storesNothing(server, () => newcomer.post('/api/v1/admin/accounts', { email: 'x@example.org', displayName: 'X' })), 403, 'forbidden');
    expectError(await newcomer.get('/api/v1/admin/accounts'), 403, 'forbidden');
  });

  it('[C1] [C9] an admin lists cases but sees no case content: every case read is a 404 like no case', async () => {
    const s = await scenario(server);
    const url = `/api/v1/cases/${s.caseId}`;
    await s.mediator.post(`${url}/session/start`);
    await s.mediator.post(`${url}/rooms/joint/messages`, { body: 'a private sentence' });
    const admin = await adminBrowser(server);
    const list = await admin.get<{ id: string; title: string }[]>('/api/v1/admin/cases');
    expect(list.status).toBe(200);
    expect(list.body.map((c) => c.id)).toEqual([s.caseId]);
    expect(list.text).not.toContain('a private sentence');
    expect(list.text).not.toContain('Ana Tenant');
    for (const suffix of ['', '/agreement', '/streams/joint/events', '/streams/session/events', '/invitations', '/time-balance', '/audit/verify', '/caucus-requests']) {
      const real = await admin.get(url + suffix);
      const ghost = await admin.get(`/api/v1/cases/${NO_SUCH_ID}${suffix}`);
      expect({ suffix, status: real.status, text: real.text }).toEqual({ suffix, status: 404, text: ghost.text });
    }
    const post = await storesNothing(server, () => admin.post(`${url}/rooms/joint/messages`, { body: 'admin was here' }));
    expectError(post, 404, 'not_found');
    const live = await upgrade(server, s.caseId, { cookie: cookieHeader(admin) });
    expect([live.opened, live.status]).toEqual([false, 404]);
    expectError(await admin.get('/api/v1/cases'), 403, 'forbidden');
  });

  it('[C7] disabling an account closes its live sockets before the answer; its sessions are dead', async () => {
    const s = await scenario(server);
    const second = server.browser();
    expect((await second.post('/api/v1/auth/login', { email: 'mediator@example.org', password: PASSWORD })).status).toBe(200);
    const me = await s.mediator.get<Me>('/api/v1/me');
    const accountId = me.body.account!.id;
    const lives = [await caughtUp(await s.mediator.live(s.caseId)), await caughtUp(await second.live(s.caseId))];
    const aLive = await caughtUp(await s.members[0]![0]!.browser.live(s.caseId));
    const admin = await adminBrowser(server);
    expectError(await admin.post(`/api/v1/admin/accounts/${NO_SUCH_ID}/disable`), 404, 'not_found');

    const { res, before, after } = await closesBeforeAnswer(server, () => admin.post(`/api/v1/admin/accounts/${accountId}/disable`));
    expect(res.status).toBe(200);
    expect(before).toHaveLength(2);
    for (const c of before) expect(c).toMatchObject({ accountId, code: 4000 });
    expect(after).toEqual([]);
    for (const l of lives) expect((await l.untilClosed()).code).toBe(4000);
    expect(aLive.closed).toBeNull(); // nobody else's socket

    for (const b of [s.mediator, second]) {
      expectError(await b.get('/api/v1/me'), 401, 'unauthenticated');
      expectError(await b.get(`/api/v1/cases/${s.caseId}`), 401, 'unauthenticated');
      const up = await upgrade(server, s.caseId, { cookie: cookieHeader(b) });
      expect([up.opened, up.status]).toEqual([false, 401]);
    }
    expectError(await server.browser().post('/api/v1/auth/login', { email: 'mediator@example.org', password: PASSWORD }), 401, 'unauthenticated');
    // An admin cannot disable themself; enabling lets the mediator sign in again (old sessions stay dead).
    const adminMe = await admin.get<Me>('/api/v1/me');
    expectError(await storesNothing(server, () => admin.post(`/api/v1/admin/accounts/${adminMe.body.account!.id}/disable`)), 409, 'conflict');
    expect((await admin.post(`/api/v1/admin/accounts/${accountId}/enable`)).status).toBe(200);
    expectError(await s.mediator.get('/api/v1/me'), 401, 'unauthenticated');
    expect((await server.browser().post('/api/v1/auth/login', { email: 'mediator@example.org', password: PASSWORD })).status).toBe(200);
    aLive.close();
  });
});

describe('[C7] access shrinks: sockets close before the answer', () => {
  let s: Scenario;
  beforeEach(async () => {
    s = await scenario(server);
    await s.mediator.post(`/api/v1/cases/${s.caseId}/session/start`);
  });
  const url = () => `/api/v1/cases/${s.caseId}`;

  it('[C7] logout closes that session’s socket first and clears the cookie; other sessions live on', async () => {
    const second = server.browser();
    expect((await second.post('/api/v1/auth/login', { email: 'mediator@example.org', password: PASSWORD })).status).toBe(200);
    const mine = await caughtUp(await s.mediator.live(s.caseId));
    const other = await caughtUp(await second.live(s.caseId));
    const oldCookie = cookieHeader(s.mediator);

    const { res, before, after } = await closesBeforeAnswer(server, () => s.mediator.post('/api/v1/auth/logout'));
    expect(res.status).toBe(204);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ code: 4000 });
    expect(after).toEqual([]);
    expect((await mine.untilClosed()).code).toBe(4000);
    const cleared = setCookie(res.headers, 'caucus_acct');
    expect(cleared.value).toBe('');
    expect(cleared.attrs).toEqual(expect.arrayContaining(['Max-Age=0', 'Path=/', 'HttpOnly', 'SameSite=Strict']));

    expectError(await raw(server, 'GET', '/api/v1/me', { headers: { cookie: oldCookie } }), 401, 'unauthenticated');
    expect((await upgrade(server, s.caseId, { cookie: oldCookie })).status).toBe(401);
    // The other session of the same account still receives.
    await s.members[0]![0]!.browser.post(`${url()}/rooms/joint/messages`, { body: 'still here?' });
    await other.until((f) => f.t === 'event' && f.event.content?.body === 'still here?');
    expect(other.closed).toBeNull();
    // Logging out when signed out is harmless.
    expect((await server.browser().post('/api/v1/auth/logout')).status).toBe(204);
    other.close();
  });

  it('[C7] a participant logging out closes their socket first and clears their cookie', async () => {
    const a = s.members[0]![0]!;
    const live = await caughtUp(await a.browser.live(s.caseId));
    const { res, before } = await closesBeforeAnswer(server, () => a.browser.post('/api/v1/auth/logout'));
    expect(res.status).toBe(204);
    expect(before).toEqual([expect.objectContaining({ participantId: a.participantId, code: 4000 })]);
    expect((await live.untilClosed()).code).toBe(4000);
    expect(setCookie(res.headers, `caucus_p_${a.participantId}`).value).toBe('');
    expectError(await a.browser.get(url()), 401, 'unauthenticated');
  });

  it("[C7] revoking a participant's invitation closes their socket first; their cookie stops working", async () => {
    const a = s.members[0]![0]!;
    const aCookie = cookieHeader(a.browser);
    const aLive = await caughtUp(await a.browser.live(s.caseId));
    const bLive = await caughtUp(await s.members[1]![0]!.browser.live(s.caseId));
    const { res, before, after } = await closesBeforeAnswer(server, () => s.mediator.del(`${url()}/participants/${a.participantId}/invitation`));
    expect(res.status).toBe(204);
    expect(before).toEqual([expect.objectContaining({ participantId: a.participantId, code: 4000 })]);
    expect(after).toEqual([]);
    expect((await aLive.untilClosed()).code).toBe(4000);
    const framesAtClose = aLive.raw.length;

    await s.mediator.post(`${url()}/rooms/joint/messages`, { body: 'after the revocation' });
    await bLive.until((f) => f.t === 'event' && f.event.content?.body === 'after the revocation');
    expect(aLive.raw.length).toBe(framesAtClose);
    expect(aLive.raw.join('\n')).not.toContain('after the revocation');
    expectError(await a.browser.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(await a.browser.get(url()), 401, 'unauthenticated');
    expect((await upgrade(server, s.caseId, { cookie: aCookie, as: a.participantId })).status).toBe(401);
    // A new link lets them back in.
    const link = await s.mediator.post<{ url: string }>(`${url()}/participants/${a.participantId}/invitation`);
    const back = await join(server, link.body.url, false);
    expect((await back.browser.get(url())).status).toBe(200);
    bLive.close();
  });

  it('[C7] removing a participant closes their socket first; their cookie and link stop working', async () => {
    const a = s.members[0]![1]!;
    const aLive = await caughtUp(await a.browser.live(s.caseId));
    const { res, before, after } = await closesBeforeAnswer(server, () => s.mediator.del(`${url()}/participants/${a.participantId}`));
    expect(res.status).toBe(200);
    expect(before).toEqual([expect.objectContaining({ participantId: a.participantId, code: 4000 })]);
    expect(after).toEqual([]);
    expect((await aLive.untilClosed()).code).toBe(4000);
    expect(aLive.raw.join('\n')).not.toContain('participant.removed');
    expectError(await a.browser.get(url()), 401, 'unauthenticated');
    expectError(await a.browser.get('/api/v1/me'), 401, 'unauthenticated');
    const link = s.links.find((l) => l.participantId === a.participantId)!;
    expectError(await server.browser().post('/api/v1/invitations/redeem', { token: tokenOf(link.url) }), 410, 'gone');
  });
});

describe('[C6] before accepting the agreement', () => {
  it('[C6] a redeemed participant gets agreement_required everywhere but the agreement; no live socket', async () => {
    const s = await scenario(server);
    const url = `/api/v1/cases/${s.caseId}`;
    await s.mediator.post(`${url}/session/start`);
    await s.mediator.post(`${url}/rooms/joint/messages`, { body: 'said before you came' });
    const add = await s.mediator.post<{ created: { id: string }[] }>(`${url}/participants`, { role: 'party', sideId: s.sides[0]!.id, displayName: 'Nia New' });
    const link = await s.mediator.post<{ url: string }>(`${url}/participants/${add.body.created[0]!.id}/invitation`);
    const n = await join(server, link.body.url, false);

    const me = await n.browser.get<Me>('/api/v1/me');
    expect(me.body.participant).toMatchObject({ id: n.participantId, accepted: false });
    const agreement = await n.browser.get<{ hash: string; regime: string; accepted: boolean; text: string }>(`${url}/agreement`);
    expect(agreement.status).toBe(200);
    expect(agreement.body).toMatchObject({ regime: 'opt-in', accepted: false });

    const doc = await n.browser.get<OpenApiDoc>('/api/openapi.json');
    const samples = sampleBodies(s.sides[0]!.id);
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.body.paths)) {
      if (!template.includes('{caseId}')) continue;
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        if (template.endsWith('/agreement') || template.endsWith('/agreement/accept')) continue;
        const target = fill(template, { caseId: s.caseId, stream: 'joint', participantId: s.members[1]![0]!.participantId });
        const body = method === 'POST' ? JSON.stringify(samples[template] ?? {}) : undefined;
        const r = await storesNothing(server, () => n.browser.request(method, target, body));
        expect({ route: `${method} ${template}`, status: r.status, code: errorOf(r).code }).toEqual({ route: `${method} ${template}`, status: 403, code: 'agreement_required' });
        expect(r.text).not.toContain('said before you came');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
    const up = await upgrade(server, s.caseId, { cookie: cookieHeader(n.browser), as: n.participantId });
    expect(up.opened).toBe(false);

    const wrong = await storesNothing(server, () => n.browser.post(`${url}/agreement/accept`, { agreementHash: '0'.repeat(64) }));
    expectError(wrong, 409, 'conflict');
    expect((await n.browser.post(`${url}/agreement/accept`, { agreementHash: agreement.body.hash })).status).toBe(200);
    expect((await n.browser.get(url)).status).toBe(200);
    const live = await caughtUp(await n.browser.live(s.caseId));
    expect(live.closed).toBeNull();
    live.close();
  });
});

describe('live socket authentication and frames', () => {
  let s: Scenario;
  beforeEach(async () => {
    s = await scenario(server);
  });

  it('an upgrade without a session, with a wrong Origin, or with no Origin is refused', async () => {
    const a = s.members[0]![0]!;
    const cookie = cookieHeader(a.browser);
    const refused = [
      await upgrade(server, s.caseId, { cookie: null, as: a.participantId }),
      await upgrade(server, s.caseId, { cookie: 'caucus_acct=forged-session-value-forged-session', as: null }),
      await upgrade(server, s.caseId, { cookie, as: null }), // the participant cookie needs its `as`
      await upgrade(server, s.caseId, { cookie, as: 'bad/id' }),
    ];
    for (const r of refused) expect([r.opened, r.status]).toEqual([false, 401]);
    for (const origin of ['http://evil.example', 'https://caucus.test', null]) {
      const r = await upgrade(server, s.caseId, { cookie, as: a.participantId, origin });
      expect([origin, r.opened, r.status]).toEqual([origin, false, 403]);
    }
    const ok = await upgrade(server, s.caseId, { cookie, as: a.participantId });
    expect(ok.opened).toBe(true);
    ok.ws.close();
    expect(server.hub.connectionCount()).toBeLessThanOrEqual(1);
  });

  it('malformed frames close the socket with 4400', async () => {
    const a = s.members[0]![0]!;
    const frames: (string | Buffer)[] = [
      'not json',
      '',
      '[]',
      'null',
      '{"t":"hello","v":1}',
      '{"t":"ping","extra":1}',
      '{"t":"resume","v":2,"streams":{}}',
      '{"t":"resume","v":1,"streams":{"joint":-1}}',
      '{"t":"resume","v":1,"streams":{"nowhere":0}}',
      '{"t":"focus","stream":"caucus:"}',
      '{"t":"typing","stream":5}',
      '{"T":"ping"}',
      '{"t":"cmd","id":"short","command":{"type":"pause","input":{}}}',
      '{"t":"cmd","command":{"type":"pause","input":{}}}',
      Buffer.from('{"t":"ping"}'),
    ];
    for (const frame of frames) {
      const live = await a.browser.live(s.caseId, null);
      await live.until((f) => f.t === 'hello');
      live.ws.send(frame, { binary: Buffer.isBuffer(frame) });
      expect([String(frame), await closedOrPong(live)]).toEqual([String(frame), 'closed 4400']);
    }
    // Over the frame size limit: the socket library refuses it (1009, message too big).
    const big = await a.browser.live(s.caseId, null);
    big.send(JSON.stringify({ t: 'typing', stream: 'joint', pad: 'x'.repeat(257 * 1024) }));
    expect((await big.untilClosed()).code).toBe(1009);
    // A good frame is answered, and the socket stays.
    const good = await a.browser.live(s.caseId, null);
    good.send({ t: 'ping' });
    expect(await closedOrPong(good)).toBe('pong');
    good.close();
    await good.untilClosed();
    for (let i = 0; i < 50 && server.hub.connectionCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.hub.connectionCount()).toBe(0);
  });
});
