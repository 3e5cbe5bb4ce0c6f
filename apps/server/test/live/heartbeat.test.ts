import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/platform.ts';
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
});
