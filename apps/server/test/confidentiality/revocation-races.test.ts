import type { EventView } from '@caucus/protocol';
import { describe, expect, it } from 'vitest';
import { type LiveClient, type Scenario, type TestServer, scenarioPerTest } from '../harness.ts';
import { api, holdSessionsOf, sleep, waitFor } from './support.ts';

/**
 * C7 under the worst interleaving, made deterministic: a request (or a live upgrade)
 * whose session was checked just *before* a revocation commits, and which carries on
 * just *after* the revocation was acknowledged. Such a request must not carry out, nor
 * show, anything that happened after the change. The victim's session lookups are held
 * (see `holdSessionsOf`) while the mediator revokes; then they go on.
 */

let server: TestServer;
let s: Scenario;
scenarioPerTest((a, b) => {
  server = a;
  s = b;
});

const revoke = (who: string) => s.mediator.del(`${api(s.caseId)}/participants/${who}/invitation`);

describe('[C7] revocation racing a request that was already authenticated', () => {
  it('[C7] a live upgrade authenticated before a revocation gets no frame after it is acknowledged', async () => {
    const victim = s.members[1]![0]!;
    const gate = holdSessionsOf(server, victim.browser);
    const upgrade = victim.browser.live(s.caseId).then(
      (c) => c,
      () => null,
    );
    await waitFor(() => gate.held() > 0);
    expect((await revoke(victim.participantId)).status).toBe(204);
    gate.restore();
    const live: LiveClient | null = await upgrade;
    // The mediator speaks after the revocation: this must not reach the victim.
    await s.mediator.post(`${api(s.caseId)}/session/start`);
    await s.mediator.post(`${api(s.caseId)}/rooms/joint/messages`, { body: 'after the revocation' });
    if (live) {
      await waitFor(() => live.closed !== null, 1000);
      await sleep(100);
      expect(live.raw).toEqual([]);
      expect(live.closed).not.toBeNull();
    }
  });

  it('[C7] a command authenticated before a revocation is not carried out after it', async () => {
    const victim = s.members[1]![0]!;
    const side = s.sides[1]!.id;
    const gate = holdSessionsOf(server, victim.browser);
    const posting = victim.browser.post(`${api(s.caseId)}/rooms/caucus:${side}/messages`, { body: 'written after the revocation' });
    await waitFor(() => gate.held() > 0);
    expect((await revoke(victim.participantId)).status).toBe(204);
    gate.restore();
    const res = await posting;
    expect(res.status).toBe(401);
    const log = await s.mediator.get<{ events: EventView[] }>(`${api(s.caseId)}/streams/caucus:${side}/events`);
    expect(log.body.events.filter((e) => e.type === 'message.posted')).toEqual([]);
  });

  it('[C7] a read authenticated before a revocation shows nothing committed after it', async () => {
    const victim = s.members[1]![0]!;
    const colleague = s.members[1]![1]!;
    const side = s.sides[1]!.id;
    const gate = holdSessionsOf(server, victim.browser);
    const reading = victim.browser.get(`${api(s.caseId)}/streams/caucus:${side}/events`);
    await waitFor(() => gate.held() > 0);
    expect((await revoke(victim.participantId)).status).toBe(204);
    expect((await colleague.browser.post(`${api(s.caseId)}/rooms/caucus:${side}/messages`, { body: 'said after the revocation' })).status).toBe(200);
    gate.restore();
    const res = await reading;
    expect(res.text).not.toContain('said after the revocation');
  });

  for (const when of ['just before', 'just after'] as const)
    it(`[C7] a link redeemed while it is revoked (the revocation landing ${when} it is marked used) gives no session that works after the revocation`, async () => {
      const pid = s.members[0]?.[0]?.participantId ?? '';
      const issued = await s.mediator.post<{ url: string }>(`${api(s.caseId)}/participants/${pid}/invitation`);
      expect(issued.status).toBe(201);
      const token = new URL(issued.body.url).hash.replace('#token=', '');
      const cases = server.svc.cases;
      const original = cases.markRedeemed.bind(cases);
      let revoked = 0;
      cases.markRedeemed = async (tokenHash, at, session) => {
        if (when === 'just before') revoked = (await revoke(pid)).status;
        const ok = await original(tokenHash, at, session);
        if (when === 'just after') revoked = (await revoke(pid)).status;
        return ok;
      };
      const b = server.browser();
      let redeemed: { status: number; body: { participantId?: string } };
      try {
        redeemed = await b.post<{ participantId?: string }>('/api/v1/invitations/redeem', { token });
      } finally {
        cases.markRedeemed = original;
      }
      expect(revoked).toBe(204);
      b.as = pid;
      // Whatever the redemption answered, what it opened does not let anyone in any more.
      expect([200, 410]).toContain(redeemed.status);
      expect((await b.get(api(s.caseId))).status).toBe(401);
      expect((await b.post(`${api(s.caseId)}/rooms/joint/messages`, { body: 'after the revocation' })).status).toBe(401);
    });
});
