import type { EventView, ServerFrame } from '@caucus/protocol';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../src/platform.ts';
import { type Browser, type LiveClient, type Scenario, type TestServer, scenarioPerTest } from './harness.ts';

/**
 * Commands over the live socket: the same commands as HTTP, decided and stored the same way,
 * acknowledged only after the commit, answered with the same errors, never applied twice.
 */

let server: TestServer;
let s: Scenario;
scenarioPerTest((a, b) => {
  server = a;
  s = b;
});

const api = () => `/api/v1/cases/${s.caseId}`;
type Ack = Extract<ServerFrame, { t: 'ack' }>;
type Nack = Extract<ServerFrame, { t: 'nack' }>;

async function connect(b: Browser): Promise<LiveClient> {
  const live = await b.live(s.caseId, {});
  await live.until((f) => f.t === 'caught-up');
  return live;
}

/** The `nth` answer (1-based) to the command `id` on this connection. */
async function answer(live: LiveClient, id: string, nth = 1): Promise<Ack | Nack> {
  const answers = () => live.frames.filter((f): f is Ack | Nack => (f.t === 'ack' || f.t === 'nack') && f.id === id);
  await live.until(() => answers().length >= nth);
  return answers()[nth - 1]!;
}

const messages = async (stream: string): Promise<EventView[]> => {
  const r = await s.mediator.get<{ events: EventView[] }>(`${api()}/streams/${stream}/events`);
  return r.body.events.filter((e) => e.type === 'message.posted');
};

describe('commands over the live socket', () => {
  it('a message is stored, delivered to its audience, then acknowledged with what it created', async () => {
    const m = await connect(s.mediator);
    const party = await connect(s.members[0]![0]!.browser);
    const other = await connect(s.members[1]![0]!.browser);
    m.send({ t: 'cmd', id: 'cmd-start-1', command: { type: 'start-session', input: {} } });
    expect((await answer(m, 'cmd-start-1')).t).toBe('ack');

    party.send({ t: 'cmd', id: 'cmd-hello-1', command: { type: 'post-message', input: { stream: 'joint', body: 'Good morning', label: null } } });
    const ack = await answer(party, 'cmd-hello-1');
    expect(ack.t).toBe('ack');
    const created = (ack as Ack).created;
    expect(created).toHaveLength(1);
    // The actor's own event frame came before the acknowledgement.
    const evAt = party.frames.findIndex((f) => f.t === 'event' && f.event.content !== null && JSON.stringify(f.event.content).includes('Good morning'));
    const ackAt = party.frames.findIndex((f) => f.t === 'ack' && f.id === 'cmd-hello-1');
    expect(evAt).toBeGreaterThanOrEqual(0);
    expect(evAt).toBeLessThan(ackAt);
    // Stored: the log (not the socket) has it, at the position the ack names.
    const stored = await messages('joint');
    expect(stored.map((e) => [e.position, (e.data as { messageId: string }).messageId])).toEqual([[created[0]!.position, created[0]!.id]]);
    await other.until((f) => f.t === 'event' && f.event.type === 'message.posted');
    m.close();
    party.close();
    other.close();
  });

  it('a retried command id is answered again and not applied twice', async () => {
    const party = await connect(s.members[0]![0]!.browser);
    const side = s.sides[0]!.id;
    const cmd = { t: 'cmd', id: 'retry-me-0001', command: { type: 'post-message', input: { stream: `caucus:${side}`, body: 'only once', label: null } } };
    party.send(cmd);
    const first = (await answer(party, 'retry-me-0001')) as Ack;
    party.close();
    // On a new connection, as after a drop before the ack arrived.
    const again = await connect(s.members[0]![0]!.browser);
    again.send(cmd);
    const second = (await answer(again, 'retry-me-0001')) as Ack;
    expect(second).toEqual(first);
    // Marked as sent again, as the web client marks it: the same answer.
    again.send({ ...cmd, again: true });
    expect(await answer(again, 'retry-me-0001', 2)).toEqual(first);
    expect(await messages(`caucus:${side}`)).toHaveLength(1);
    // The same id with another command is a conflict, and changes nothing.
    again.send({ ...cmd, command: { ...cmd.command, input: { ...cmd.command.input, body: 'something else' } } });
    const third = (await answer(again, 'retry-me-0001', 3)) as Nack;
    expect([third.t, third.status, third.error.code]).toEqual(['nack', 409, 'conflict']);
    expect(await messages(`caucus:${side}`)).toHaveLength(1);
    again.close();
  });

  it('a bad command is refused with the HTTP error body, and the connection stays open', async () => {
    const party = await connect(s.members[0]![0]!.browser);
    party.send({ t: 'cmd', id: 'bad-command-1', command: { type: 'post-message', input: { stream: 'joint', body: '   ', label: null } } });
    const nack = (await answer(party, 'bad-command-1')) as Nack;
    expect([nack.t, nack.status, nack.error.code]).toEqual(['nack', 400, 'validation']);
    expect(nack.error.issues?.some((i) => i.path.endsWith('body'))).toBe(true);
    party.send({ t: 'cmd', id: 'bad-command-2', command: { type: 'remove-participant', input: { participantId: 'x'.repeat(10) } } });
    expect(((await answer(party, 'bad-command-2')) as Nack).status).toBe(400); // not a live command
    party.send({ t: 'ping' });
    await party.until((f) => f.t === 'pong');
    expect(party.closed).toBeNull();
    // Without a usable id there is nothing to answer: the connection ends (4400).
    party.send({ t: 'cmd', id: 'x', command: {} });
    expect((await party.untilClosed()).code).toBe(4400);
  });

  it('[C9] another side\u2019s room is refused exactly like a room that does not exist', async () => {
    const party = await connect(s.members[0]![0]!.browser);
    const post = (id: string, stream: string) => party.send({ t: 'cmd', id, command: { type: 'post-message', input: { stream, body: 'hi', label: null } } });
    post('c9-hidden-01', `caucus:${s.sides[1]!.id}`);
    post('c9-absent-01', 'caucus:NoSuchSide01');
    const hidden = (await answer(party, 'c9-hidden-01')) as Nack;
    const absent = (await answer(party, 'c9-absent-01')) as Nack;
    expect(hidden.t).toBe('nack');
    expect({ ...hidden, id: '' }).toEqual({ ...absent, id: '' });
    // Over HTTP the same command gets the same status and body.
    const http = await s.members[0]![0]!.browser.post(`${api()}/rooms/caucus:${s.sides[1]!.id}/messages`, { body: 'hi' });
    expect({ status: http.status, error: (http.body as { error: unknown }).error }).toEqual({ status: hidden.status, error: hidden.error });
    party.close();
  });

  it('[C7] a command that arrives while a revocation is being committed is not carried out after it', async () => {
    const victim = s.members[1]![0]!;
    const side = s.sides[1]!.id;
    const live = await connect(victim.browser);
    // Hold the mediator's in-turn session check (its second lookup: the first authenticates
    // the request), so that the revocation sits in the case's queue while the victim's
    // command arrives behind it.
    const accounts = server.svc.accounts;
    const original = accounts.session.bind(accounts);
    const mediatorHash = hashToken(s.mediator.cookies.get('caucus_acct') ?? '');
    let lookups = 0;
    let release = (): void => undefined;
    const released = new Promise<void>((r) => (release = r));
    accounts.session = async (idHash, now) => {
      const row = await original(idHash, now);
      if (idHash === mediatorHash && ++lookups === 2) await released;
      return row;
    };
    try {
      const revoking = s.mediator.del(`${api()}/participants/${victim.participantId}/invitation`);
      while (lookups < 2) await new Promise((r) => setTimeout(r, 5));
      live.send({ t: 'cmd', id: 'after-revoke-1', command: { type: 'post-message', input: { stream: `caucus:${side}`, body: 'written after the revocation', label: null } } });
      await new Promise((r) => setTimeout(r, 50));
      release();
      expect((await revoking).status).toBe(204);
      await live.untilClosed();
    } finally {
      accounts.session = original;
    }
    expect(live.frames.some((f) => f.t === 'ack')).toBe(false);
    expect(await messages(`caucus:${side}`)).toEqual([]);
  });

  it('[C7] a command after the session expired is refused, and its answer is the end of the connection (nothing more reaches an expired session)', async () => {
    const party = await connect(s.members[0]![0]!.browser);
    server.clock.advance(400 * 24 * 3600 * 1000);
    party.send({ t: 'cmd', id: 'expired-0001', command: { type: 'signal-ready', input: {} } });
    const closed = await party.untilClosed(2000);
    expect([closed.code, closed.reason]).toEqual([4000, 'session expired']);
    expect(party.raw.some((r) => r.includes('expired-0001'))).toBe(false);
    // Not carried out: no record of it was stored.
    expect(await server.svc.cases.findIdempotent(`p:${s.members[0]![0]!.participantId}`, 'expired-0001')).toBeNull();
    await expect(s.members[0]![0]!.browser.live(s.caseId)).rejects.toThrow(/401/);
  });

  it("[C8] the rate limit counts the sender's own commands per second, not how long they wait", async () => {
    const party = await connect(s.members[0]![0]!.browser);
    const ready = (n: number) => party.send({ t: 'cmd', id: `rate-limit-${n}`, command: { type: 'signal-ready', input: {} } });
    for (let n = 1; n <= 101; n++) ready(n);
    const last = (await answer(party, 'rate-limit-101')) as Nack;
    expect([last.status, last.error.code]).toEqual([429, 'rate_limited']);
    const first = await answer(party, 'rate-limit-1');
    expect(first.t === 'nack' ? first.status : 200).not.toBe(429);
    // A second later (the server's clock), the connection may send again.
    server.clock.advance(1000);
    ready(102);
    const again = await answer(party, 'rate-limit-102');
    expect(again.t === 'nack' ? again.status : 200).not.toBe(429);
    party.close();
  });

  it('[C7] a command already checked when its sender signs out is not stored after the sign-out is acknowledged', async () => {
    const m = await connect(s.mediator);
    const side = s.sides[0]!.id;
    const room = `caucus:${side}`;
    m.send({ t: 'cmd', id: 'before-logout-1', command: { type: 'post-message', input: { stream: room, body: 'a note of the mediator', label: 'confidential' } } });
    const posted = await answer(m, 'before-logout-1');
    const messageId = posted.t === 'ack' ? posted.created[0]?.id : undefined;
    expect(messageId).toBeTruthy();
    // Hold the relabelling after its in-turn access check, where it reads the item it labels
    // (the last wait before it is decided), sign out, then let it go on.
    const cases = server.svc.cases;
    const original = cases.item.bind(cases);
    let held = false;
    let release = (): void => undefined;
    const released = new Promise<void>((r) => (release = r));
    cases.item = async (caseId, id) => {
      if (id === messageId) {
        held = true;
        await released;
      }
      return original(caseId, id);
    };
    try {
      m.send({ t: 'cmd', id: 'after-logout-1', command: { type: 'set-label', input: { messageId: messageId!, label: 'shareable' } } });
      while (!held) await new Promise((r) => setTimeout(r, 5));
      expect((await s.mediator.post('/api/v1/auth/logout')).status).toBe(204);
      await m.untilClosed();
      release();
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      cases.item = original;
    }
    expect(m.frames.some((f) => f.t === 'ack' && f.id === 'after-logout-1')).toBe(false);
    const log = await server.svc.cases.readStream(s.caseId, room, 0, 100);
    expect(log.map((e) => e.type)).toEqual(['message.posted']);
  });
});
