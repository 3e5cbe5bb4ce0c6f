import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/platform.ts';
import { ACCOUNT_SESSION_MS } from '../../src/services/accounts.ts';
import { scenario, type TestServer, testServer } from '../harness.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('live heartbeats', () => {
  it('[C7] a connection whose session ended behind the hub (expired, or ended by another process) is closed within a heartbeat period', async () => {
    server = await testServer({ heartbeatMs: 200 });
    const s = await scenario(server);
    const party = s.members[0]?.[0];
    const other = s.members[1]?.[0];
    if (!party || !other) throw new Error('members');
    const ended = await party.browser.live(s.caseId);
    const kept = await other.browser.live(s.caseId);
    await ended.until((f) => f.t === 'caught-up');
    await kept.until((f) => f.t === 'caught-up');
    // Straight in the store: no disconnect is announced, only the heartbeat can find out.
    const cookie = party.browser.cookies.get(`caucus_p_${party.participantId}`) ?? '';
    await server.svc.accounts.endSession(hashToken(cookie), server.clock.now());
    const closed = await ended.untilClosed(2000);
    expect(closed.code).toBe(4000);
    // The other side's connection, whose session stands, stays open through several beats.
    await new Promise((r) => setTimeout(r, 600));
    kept.send({ t: 'ping' });
    await kept.until((f) => f.t === 'pong');
    kept.close();
  });

  it('[C7] a connection whose session expired gets no frame from the expiry on: the first one that would reach it closes it instead', async () => {
    server = await testServer();
    const s = await scenario(server);
    const party = s.members[0]?.[0];
    if (!party) throw new Error('members');
    const api = `/api/v1/cases/${s.caseId}`;
    expect((await s.mediator.post(`${api}/session/start`)).status).toBe(200);
    const mediator = await s.mediator.live(s.caseId);
    const partyLive = await party.browser.live(s.caseId);
    await mediator.until((f) => f.t === 'caught-up');
    await partyLive.until((f) => f.t === 'caught-up');
    // The mediator's session (7 days) runs out; the party's (30 days) stands. Nothing is
    // announced: an expiry is only a time.
    server.clock.advance(ACCOUNT_SESSION_MS + 1000);
    expect((await party.browser.post(`${api}/rooms/joint/messages`, { body: 'said after the expiry' })).status).toBe(200);
    await partyLive.until((f) => f.t === 'event' && (f.event.content as { body?: string } | null)?.body === 'said after the expiry');
    const closed = await mediator.untilClosed(2000);
    expect(closed.code).toBe(4000);
    expect(mediator.raw.some((r) => r.includes('said after the expiry'))).toBe(false);
    // Reconnecting does not help: the session is over.
    await expect(s.mediator.live(s.caseId)).rejects.toThrow(/401/);
    partyLive.close();
  });
});
