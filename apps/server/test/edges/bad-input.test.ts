import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { sampleCase, type Browser, type Res, type Scenario, type TestServer, scenarioPerTest } from '../harness.ts';
import { closedOrPong, cookieHeader, errorOf, fill, sampleBodies, type OpenApiDoc, expectError, NO_SUCH_ID, otherCase, raw, rowCounts, snapshot, storesNothing, tokenOf, upgrade, type OtherCase } from './support.ts';

/**
 * Every input edge of the HTTP API: bodies, content types, sizes, ids, headers and
 * tokens. A bad request gets a 4xx JSON error and stores nothing at all.
 */

let server: TestServer;
let s: Scenario;
scenarioPerTest((a, b) => {
  server = a;
  s = b;
});

const base = () => `/api/v1/cases/${s.caseId}`;
const partyA = () => s.members[0]![0]!;
const partyB = () => s.members[1]![0]!;

async function openApi(b: Browser): Promise<OpenApiDoc> {
  const r = await b.get<OpenApiDoc>('/api/openapi.json');
  expect(r.status).toBe(200);
  return r.body;
}

const send = (b: Browser, method: string, url: string, body: unknown): Promise<Res> =>
  b.request(method, url, method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(body));

describe('malformed bodies', () => {
  it('malformed JSON is a 400 that stores nothing', async () => {
    await s.mediator.post(`${base()}/session/start`);
    for (const text of ['{"body": "x"', '{', 'nul', '[1,]', "{'body':'x'}", '{"body":"x"} trailing', '\u0000', '{"body":"x",}']) {
      const r = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/joint/messages`, text));
      expectError(r, 400, 'validation');
    }
    // An empty body declared as JSON is malformed JSON too.
    const empty = await storesNothing(server, () => raw(server, 'POST', `${base()}/rooms/joint/messages`, { as: s.mediator, headers: { origin: server.origin, 'content-type': 'application/json' }, body: '' }));
    expectError(empty, 400, 'validation');
  });

  it('prototype-poisoning keys are refused, not merged', async () => {
    await s.mediator.post(`${base()}/session/start`);
    for (const text of ['{"body":"x","__proto__":{"label":"shareable"}}', '{"body":"x","constructor":{"prototype":{"label":"shareable"}}}']) {
      const r = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/joint/messages`, text));
      expectError(r, 400, 'validation');
    }
  });

  it('wrong types name the field in issues[].path', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const cases: [string, unknown, string][] = [
      ['/rooms/joint/messages', { body: 5 }, 'body.body'],
      ['/rooms/joint/messages', { body: ['x'] }, 'body.body'],
      ['/rooms/joint/messages', { body: null }, 'body.body'],
      ['/rooms/joint/messages', { body: 'x', label: 'secret' }, 'body.label'],
      ['/session/reconvene', { countdownSeconds: '120' }, 'body.countdownSeconds'],
      ['/session/reconvene', { countdownSeconds: 1.5 }, 'body.countdownSeconds'],
      ['/session/reconvene', { countdownSeconds: -1 }, 'body.countdownSeconds'],
      ['/session/separate', { sideId: 42 }, 'body.sideId'],
      ['/session/move', { sideId: 'not an id!' }, 'body.sideId'],
      ['/caucus-requests', { reason: { text: 'x' } }, 'body.reason'],
      ['/participants', { role: 'mediator', displayName: 'Mo' }, 'body.role'],
      ['/participants', { role: 'party', displayName: 'Mo', email: 'not-an-email' }, 'body.email'],
    ];
    for (const [path, body, field] of cases) {
      const r = await storesNothing(server, () => s.mediator.post(base() + path, body));
      const e = expectError(r, 400, 'validation');
      expect(e.issues?.map((i) => i.path), `${path} ${JSON.stringify(body)}`).toContain(field);
    }
  });

  it('a body of the wrong JSON type (null, array, string, number, boolean) is a 400', async () => {
    for (const text of ['null', '[]', '"start"', '42', 'true']) {
      for (const path of ['/session/start', '/rooms/joint/messages']) {
        const r = await storesNothing(server, () => s.mediator.post(base() + path, text));
        expectError(r, 400, 'validation');
      }
    }
    // Sent with no body at all, an empty command is fine.
    const none = await raw(server, 'POST', `${base()}/session/start`, { as: s.mediator, headers: { origin: server.origin } });
    expect(none.status).toBe(200);
  });

  it('missing fields are named', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const msg = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/joint/messages`, {}));
    expect(expectError(msg, 400, 'validation').issues?.map((i) => i.path)).toEqual(['body.body']);
    const create = await storesNothing(server, () => s.mediator.post('/api/v1/cases', {}));
    const paths = expectError(create, 400, 'validation').issues?.map((i) => i.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['body.title', 'body.regime', 'body.sides']));
    const login = await storesNothing(server, () => s.mediator.post('/api/v1/auth/login', { email: 'a@example.org' }));
    expect(expectError(login, 400, 'validation').issues?.map((i) => i.path)).toEqual(['body.password']);
  });

  it('unknown fields are refused (strict objects), each named in issues[].path', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const r = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/joint/messages`, { body: 'hi', stream: 'caucus:x', audience: ['all'] }));
    const e = expectError(r, 400, 'validation');
    expect(e.issues?.map((i) => i.path).sort()).toEqual(['body.audience', 'body.stream']);
    const start = await storesNothing(server, () => s.mediator.post(`${base()}/session/start`, { force: true }));
    expect(expectError(start, 400, 'validation').issues?.map((i) => i.path)).toEqual(['body.force']);
    const nested = sampleCase();
    const sides = nested.sides as { name: string; members: Record<string, unknown>[] }[];
    sides[0]!.members[0]!.isAdmin = true;
    const create = await storesNothing(server, () => s.mediator.post('/api/v1/cases', nested));
    expect(expectError(create, 400, 'validation').issues?.map((i) => i.path)).toEqual(['body.sides.0.members.0.isAdmin']);
    const q = await storesNothing(server, () => s.mediator.get(`${base()}/streams/joint/events?after=0&everything=1`));
    expect(expectError(q, 400, 'validation').issues?.map((i) => i.path)).toEqual(['query.everything']);
  });

  it('bad query values are named', async () => {
    for (const [qs, field] of [
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['after=-1', 'query.after'],
      ['after=abc', 'query.after'],
    ] as const) {
      const r = await storesNothing(server, () => s.mediator.get(`${base()}/streams/joint/events?${qs}`));
      expect(expectError(r, 400, 'validation').issues?.map((i) => i.path)).toEqual([field]);
    }
  });

  it('a body over 256 KiB is a 413 and stores nothing', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const big = { body: 'x'.repeat(257 * 1024) };
    const r = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/joint/messages`, big));
    expectError(r, 413, 'payload_too_large');
    // Under the transport limit but over the message limit: a 400 naming the field.
    const long = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/joint/messages`, { body: 'x'.repeat(20_001) }));
    expect(expectError(long, 400, 'validation').issues?.map((i) => i.path)).toEqual(['body.body']);
    // Oversized before sign-in too.
    const login = await storesNothing(server, () => server.browser().post('/api/v1/auth/login', { email: 'a@example.org', password: 'p'.repeat(300 * 1024) }));
    expectError(login, 413, 'payload_too_large');
  });

  it('a non-JSON content type is a 415 and stores nothing', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const json = JSON.stringify({ body: 'hello' });
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream']) {
      const r = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/joint/messages`, json, { 'content-type': type }));
      expectError(r, 415, 'unsupported_media_type');
    }
    const login = await storesNothing(server, () =>
      server.browser().post('/api/v1/auth/login', 'email=mediator%40example.org&password=correct+horse+battery', { 'content-type': 'application/x-www-form-urlencoded' }),
    );
    expectError(login, 415, 'unsupported_media_type');
    // A body with no content type at all is not JSON either.
    const untyped = await storesNothing(server, () =>
      raw(server, 'POST', `${base()}/rooms/joint/messages`, { as: s.mediator, headers: { origin: server.origin }, body: new TextEncoder().encode(json) }),
    );
    expectError(untyped, 415, 'unsupported_media_type');
  });

  it('[C10] error answers do not echo what was sent (passwords, tokens, message bodies)', async () => {
    const secret = 'Hunter2-very-secret-password';
    const login = await server.browser().post('/api/v1/auth/login', { email: 'mediator@example.org', password: secret });
    expect(login.status).toBe(401);
    expect(login.text).not.toContain(secret);
    const token = 'SECRETTOKENSECRETTOKENSECRETTOKEN123456789';
    const redeem = await server.browser().post('/api/v1/invitations/redeem', { token });
    expect(redeem.status).toBe(410);
    expect(redeem.text).not.toContain(token);
    await s.mediator.post(`${base()}/session/start`);
    const body = `Our bottom line is 40,000 ${'!'.repeat(20_000)}`;
    const tooLong = await s.mediator.post(`${base()}/rooms/joint/messages`, { body, label: 'secret-label' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).not.toContain('bottom line');
    expect(tooLong.text).not.toContain('secret-label');
  });
});

describe('ids', () => {
  let other: OtherCase;
  beforeEach(async () => {
    other = await otherCase(server);
  });

  /** Every case-scoped route of the OpenAPI document, with the case's own sub-ids filled in. */
  async function caseProbes(ids: Record<string, string>): Promise<{ method: string; template: string; url: string; body: unknown }[]> {
    const doc = await openApi(s.mediator);
    const samples = sampleBodies(NO_SUCH_ID);
    const out: { method: string; template: string; url: string; body: unknown }[] = [];
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.includes('{caseId}')) continue;
      for (const method of Object.keys(ops)) out.push({ method: method.toUpperCase(), template, url: fill(template, ids), body: samples[template] ?? {} });
    }
    expect(out.length).toBeGreaterThan(15);
    return out;
  }

  it("[C9] a mediator gets the same 404 for another mediator's case as for no case at all", async () => {
    const probes = await caseProbes({ caseId: other.caseId, stream: 'joint', messageId: other.messageId, requestId: other.requestId, participantId: other.participantIds[0]! });
    const ghosts = await caseProbes({ caseId: NO_SUCH_ID, stream: 'joint', messageId: other.messageId, requestId: other.requestId, participantId: other.participantIds[0]! });
    for (const [i, p] of probes.entries()) {
      const hidden = await storesNothing(server, () => send(s.mediator, p.method, p.url, p.body));
      const absent = await storesNothing(server, () => send(s.mediator, p.method, ghosts[i]!.url, p.body));
      expect({ route: `${p.method} ${p.template}`, status: hidden.status, text: hidden.text }).toEqual({ route: `${p.method} ${p.template}`, status: 404, text: absent.text });
      expect(errorOf(hidden).code).toBe('not_found');
    }
    const live = await upgrade(server, other.caseId, { cookie: cookieHeader(s.mediator) });
    const none = await upgrade(server, NO_SUCH_ID, { cookie: cookieHeader(s.mediator) });
    expect([live.opened, live.status]).toEqual([false, 404]);
    expect([none.opened, none.status]).toEqual([false, 404]);
  });

  it("[C9] a party gets the same 404 for another case as for no case at all", async () => {
    const a = partyA().browser;
    const probes = await caseProbes({ caseId: other.caseId, stream: 'joint', messageId: other.messageId, requestId: other.requestId, participantId: other.participantIds[0]! });
    const ghosts = await caseProbes({ caseId: NO_SUCH_ID, stream: 'joint', messageId: other.messageId, requestId: other.requestId, participantId: other.participantIds[0]! });
    for (const [i, p] of probes.entries()) {
      const hidden = await storesNothing(server, () => send(a, p.method, p.url, p.body));
      const absent = await storesNothing(server, () => send(a, p.method, ghosts[i]!.url, p.body));
      expect({ route: `${p.method} ${p.template}`, status: hidden.status, text: hidden.text }).toEqual({ route: `${p.method} ${p.template}`, status: 404, text: absent.text });
    }
  });

  it('[C9] signed out, an existing case is answered exactly as a case that does not exist', async () => {
    const nobody = server.browser();
    const forged = server.browser();
    forged.cookies.set('caucus_acct', 'x'.repeat(43));
    for (const b of [nobody, forged]) {
      const probes = await caseProbes({ caseId: s.caseId, stream: 'joint', messageId: NO_SUCH_ID, requestId: NO_SUCH_ID, participantId: NO_SUCH_ID });
      for (const p of probes) {
        const real = await storesNothing(server, () => send(b, p.method, p.url, p.body));
        const ghost = await storesNothing(server, () => send(b, p.method, p.url.replace(s.caseId, NO_SUCH_ID), p.body));
        expect({ route: `${p.method} ${p.template}`, status: real.status, text: real.text }).toEqual({ route: `${p.method} ${p.template}`, status: ghost.status, text: ghost.text });
        expect(real.status).toBe(401);
        expect(errorOf(real).code).toBe('unauthenticated');
      }
    }
  });

  it("[C9] inside one's own case, another case's participant, message, request and side ids are unknown ids", async () => {
    const m = s.mediator;
    await m.post(`${base()}/session/start`);
    const pairs: [string, string, unknown][] = [
      ['DELETE', `participants/${other.participantIds[1]!}`, undefined],
      ['POST', `participants/${other.participantIds[1]!}/invitation`, {}],
      ['DELETE', `participants/${other.participantIds[1]!}/invitation`, undefined],
      ['POST', `messages/${other.messageId}/label`, { label: 'shareable' }],
      ['POST', `caucus-requests/${other.requestId}/answer`, { answer: 'accepted', reply: null }],
      ['GET', `streams/caucus:${other.sideIds[0]!}/events`, undefined],
      ['POST', `rooms/caucus:${other.sideIds[0]!}/messages`, { body: 'hello?' }],
      ['POST', 'session/separate', { sideId: other.sideIds[0]! }],
      ['POST', 'session/move', { sideId: other.sideIds[0]! }],
    ];
    const foreignIds = [...other.participantIds, other.messageId, other.requestId, ...other.sideIds];
    for (const [method, path, body] of pairs) {
      const ghostPath = foreignIds.reduce((acc, id) => acc.split(id).join(NO_SUCH_ID), path);
      const ghostBody = body === undefined ? undefined : JSON.parse(foreignIds.reduce((acc, id) => acc.split(id).join(NO_SUCH_ID), JSON.stringify(body))) as unknown;
      const hidden = await storesNothing(server, () => send(m, method, `${base()}/${path}`, body));
      const absent = await storesNothing(server, () => send(m, method, `${base()}/${ghostPath}`, ghostBody));
      expect({ path, status: hidden.status, text: hidden.text }).toEqual({ path, status: absent.status, text: absent.text });
      // Session moves may be refused for the phase first; everything else is a plain 404.
      if (!path.startsWith('session/')) expect(hidden.status).toBe(404);
    }
  });

  it("[C9] a party cannot tell the other side's room, message or the mediators' rooms from ones that do not exist", async () => {
    const [A, B] = s.sides;
    await s.mediator.post(`${base()}/session/start`);
    await s.mediator.post(`${base()}/session/separate`, { sideId: B!.id });
    const bMsg = await partyB().browser.post<{ created: { id: string }[] }>(`${base()}/rooms/caucus:${B!.id}/messages`, { body: 'B only' });
    const bMessageId = bMsg.body.created[0]!.id;
    const a = partyA().browser;
    const ghostRoom = `caucus:${NO_SUCH_ID}`;
    for (const room of [`caucus:${B!.id}`, 'mediators', 'notes:general', `notes:${A!.id}`, 'counsel']) {
      const read = await storesNothing(server, () => a.get(`${base()}/streams/${room}/events`));
      const readGhost = await a.get(`${base()}/streams/${ghostRoom}/events`);
      expect({ room, status: read.status, text: read.text }).toEqual({ room, status: 404, text: readGhost.text });
      const write = await storesNothing(server, () => a.post(`${base()}/rooms/${room}/messages`, { body: 'let me in' }));
      const writeGhost = await storesNothing(server, () => a.post(`${base()}/rooms/${ghostRoom}/messages`, { body: 'let me in' }));
      expect({ room, status: write.status, text: write.text }).toEqual({ room, status: 404, text: writeGhost.text });
    }
    const label = await storesNothing(server, () => a.post(`${base()}/messages/${bMessageId}/label`, { label: 'shareable' }));
    const labelGhost = await storesNothing(server, () => a.post(`${base()}/messages/${NO_SUCH_ID}/label`, { label: 'shareable' }));
    expect({ status: label.status, text: label.text }).toEqual({ status: 404, text: labelGhost.text });
  });

  it('malformed ids in the path are a 404 and store nothing', async () => {
    await s.mediator.post(`${base()}/session/start`);
    const bad = ['short', 'x'.repeat(65), 'has%20space', 'dots..dots', '%2e%2e', 'semi;colon', 'caf%C3%A9caf%C3%A9', '%00%00%00%00%00%00%00%00'];
    for (const id of bad) {
      for (const url of [`/api/v1/cases/${id}`, `/api/v1/cases/${id}/session/start`, `/api/v1/cases/${id}/streams/joint/events`]) {
        const r = await storesNothing(server, () => (url.endsWith('/start') ? s.mediator.post(url) : s.mediator.get(url)));
        expectError(r, 404, 'not_found');
      }
      const label = await storesNothing(server, () => s.mediator.post(`${base()}/messages/${id}/label`, { label: 'shareable' }));
      expectError(label, 404, 'not_found');
      const remove = await storesNothing(server, () => s.mediator.del(`${base()}/participants/${id}`));
      expectError(remove, 404, 'not_found');
      const disable = await storesNothing(server, () => s.mediator.post(`/api/v1/admin/accounts/${id}/disable`));
      expectError(disable, 404, 'not_found');
    }
    for (const room of ['caucus:', 'CAUCUS:x', 'notes:', 'joint2', 'caucus:a:b', 'session%0A']) {
      const read = await storesNothing(server, () => s.mediator.get(`${base()}/streams/${room}/events`));
      expectError(read, 404, 'not_found');
      const write = await storesNothing(server, () => s.mediator.post(`${base()}/rooms/${room}/messages`, { body: 'hi' }));
      expectError(write, 404, 'not_found');
    }
  });

  it('a bad Idempotency-Key is a 400 and stores nothing', async () => {
    await s.mediator.post(`${base()}/session/start`);
    for (const key of ['short', 'has space in it', 'k'.repeat(129), 'slash/es/here', 'quote"quote"', 'percent%20key', '']) {
      const r = await storesNothing(server, () =>
        raw(server, 'POST', `${base()}/rooms/joint/messages`, {
          as: s.mediator,
          headers: { origin: server.origin, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ body: 'once' }),
        }),
      );
      expectError(r, 400, 'validation');
    }
    const ok = await s.mediator.post(`${base()}/rooms/joint/messages`, { body: 'once' }, { 'idempotency-key': 'good-key-0001' });
    expect(ok.status).toBe(200);
  });
});

describe('invitation tokens', () => {
  const INVALID = 'This invitation link is not valid any more. Ask your mediator for a new one.';

  async function freshLink(): Promise<{ participantId: string; url: string }> {
    const r = await s.mediator.post<{ created: { id: string }[] }>(`${base()}/participants`, { role: 'party', sideId: s.sides[0]!.id, displayName: 'Nia New' });
    expect(r.status).toBe(200);
    const pid = r.body.created[0]!.id;
    const link = await s.mediator.post<{ url: string }>(`${base()}/participants/${pid}/invitation`);
    expect(link.status).toBe(201);
    return { participantId: pid, url: link.body.url };
  }

  const redeem = (token: string) => server.browser().post('/api/v1/invitations/redeem', { token });

  it('replayed, revoked, reissued, expired and garbage tokens all get the same 410 and store nothing', async () => {
    const answers: Res[] = [];

    const replayed = await freshLink();
    expect((await redeem(tokenOf(replayed.url))).status).toBe(200);
    answers.push(await storesNothing(server, () => redeem(tokenOf(replayed.url))));

    const revoked = await freshLink();
    expect((await s.mediator.del(`${base()}/participants/${revoked.participantId}/invitation`)).status).toBe(204);
    answers.push(await storesNothing(server, () => redeem(tokenOf(revoked.url))));

    const reissued = await freshLink();
    expect((await s.mediator.post(`${base()}/participants/${reissued.participantId}/invitation`)).status).toBe(201);
    answers.push(await storesNothing(server, () => redeem(tokenOf(reissued.url))));

    const removed = await freshLink();
    expect((await s.mediator.del(`${base()}/participants/${removed.participantId}`)).status).toBe(200);
    answers.push(await storesNothing(server, () => redeem(tokenOf(removed.url))));

    const expired = await freshLink();
    server.clock.advance(15 * 24 * 60 * 60 * 1000);
    answers.push(await storesNothing(server, () => redeem(tokenOf(expired.url))));

    answers.push(await storesNothing(server, () => redeem('Zm9yZ2VkLXRva2VuLXRoYXQtbmFtZXMtbm90aGluZy0x')));
    answers.push(await storesNothing(server, () => redeem(tokenOf(replayed.url).slice(0, -1) + (tokenOf(replayed.url).endsWith('A') ? 'B' : 'A'))));

    for (const a of answers) {
      expect(a.status).toBe(410);
      expect(a.text).toBe(answers[0]!.text);
      expect(a.headers.get('set-cookie')).toBeNull();
    }
    expect(errorOf(answers[0]!)).toEqual({ code: 'gone', message: INVALID });
  });

  it('a link stays unused by a failed redemption, and a token that is too short is a 400', async () => {
    const link = await freshLink();
    const short = await storesNothing(server, () => redeem('abc'));
    expect(expectError(short, 400, 'validation').issues?.map((i) => i.path)).toEqual(['body.token']);
    expect((await redeem(tokenOf(link.url))).status).toBe(200);
  });

  it('two simultaneous redemptions of one link open exactly one session', async () => {
    const link = await freshLink();
    const before = await rowCounts(server);
    const results = await Promise.all([redeem(tokenOf(link.url)), redeem(tokenOf(link.url)), redeem(tokenOf(link.url))]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410]);
    const after = await rowCounts(server);
    expect(after.auth_sessions).toBe(before.auth_sessions + 1);
  });
});

describe('fuzz', () => {
  it('random JSON to every POST route: never a 5xx, always a JSON error, and nothing stored on a 4xx', async () => {
    const A = s.sides[0]!;
    await s.mediator.post(`${base()}/session/start`);
    const msg = await s.mediator.post<{ created: { id: string }[] }>(`${base()}/rooms/joint/messages`, { body: 'a message to label' });
    const req = await partyA().browser.post<{ created: { id: string }[] }>(`${base()}/caucus-requests`, { reason: 'please' });
    const me = await s.mediator.get<{ account: { id: string } }>('/api/v1/me');
    const ids: Record<string, string> = {
      caseId: s.caseId,
      stream: 'joint',
      messageId: msg.body.created[0]!.id,
      requestId: req.body.created[0]!.id,
      participantId: partyB().participantId,
      accountId: me.body.account.id,
    };
    const doc = await openApi(s.mediator);
    const samples = sampleBodies(A.id);
    // Logout takes no body and would end the session the fuzzing runs in; auth.test.ts covers it.
    const skipped = ['/api/v1/auth/logout'];
    const routes = Object.entries(doc.paths)
      .filter(([template, ops]) => 'post' in ops && !skipped.includes(template))
      .map(([template]) => ({ template, url: fill(template, ids), sample: samples[template] ?? {} }));
    expect(routes.length).toBeGreaterThan(20);
    expect(Object.entries(doc.paths).filter(([t, ops]) => 'post' in ops && skipped.includes(t))).toHaveLength(1);

    /** A valid body with one field replaced, removed or added. */
    const mutated = (sample: unknown) =>
      fc.oneof(
        fc.tuple(fc.constantFrom(...Object.keys(sample as object), 'extra'), fc.jsonValue()).map(([k, v]) => ({ ...(sample as object), [k]: v })),
        fc.constantFrom(...Object.keys(sample as object), '-').map((k) => Object.fromEntries(Object.entries(sample as object).filter(([key]) => key !== k))),
      );
    const input = fc.constantFrom(...routes).chain((r) => fc.tuple(fc.constant(r), fc.oneof(fc.jsonValue(), mutated(r.sample))));
    const statuses = new Map<number, number>();

    await fc.assert(
      fc.asyncProperty(input, async ([r, value]) => {
        const before = await snapshot(server);
        const res = await s.mediator.post(r.url, JSON.stringify(value));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${r.template} ${res.text}`).toBeLessThan(500);
        if (res.status >= 400) {
          const e = errorOf(res);
          expect(e.code.length).toBeGreaterThan(0);
          expect(e.message.length).toBeGreaterThan(0);
          expect(await snapshot(server), `${r.template} ${JSON.stringify(value)} → ${res.status}`).toEqual(before);
        }
      }),
      { numRuns: 400 },
    );
    // The fuzz reached past validation too, not only 400s.
    expect([...statuses.keys()].some((st) => st !== 400)).toBe(true);
    // And the session it ran in still works.
    expect((await s.mediator.get('/api/v1/me')).status).toBe(200);
  });

  it('random JSON frames on a live socket close it with 4400 or are ignored, never crash the server', async () => {
    const a = partyA();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const live = await a.browser.live(s.caseId, null);
        await live.until((f) => f.t === 'hello');
        live.send(JSON.stringify(value));
        live.send({ t: 'ping' });
        const outcome = await closedOrPong(live);
        expect(['closed 4400', 'pong']).toContain(outcome);
        live.close();
      }),
      { numRuns: 40 },
    );
    expect((await a.browser.get(base())).status).toBe(200);
  });
});

describe('joined participants with a bad header', () => {
  it("x-caucus-as naming someone else's participant id acts as nobody", async () => {
    const a = partyA().browser;
    const b = partyB();
    const saved = a.as;
    a.as = b.participantId;
    const r = await storesNothing(server, () => a.post(`${base()}/rooms/joint/messages`, { body: 'as B' }));
    expectError(r, 401, 'unauthenticated');
    a.as = 'not/valid';
    expectError(await a.get(base()), 401, 'unauthenticated');
    a.as = saved;
    expect((await a.get(base())).status).toBe(200);
    // A participant cookie cannot act as the account behind another cookie name, nor the other way round.
    const m = s.mediator;
    m.as = a.as;
    expectError(await m.get(base()), 401, 'unauthenticated');
    m.as = null;
    expect((await m.get(base())).status).toBe(200);
  });
});
