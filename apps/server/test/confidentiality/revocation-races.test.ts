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
});
