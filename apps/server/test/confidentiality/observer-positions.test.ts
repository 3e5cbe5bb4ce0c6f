import type { EventView, ServerFrame } from '@caucus/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join, scenario, testServer, type Joined, type Scenario, type TestServer } from '../harness.ts';

/**
 * C6: an observer admitted late learns nothing of what came before, not even how much:
 * its positions count from its admission, everywhere a position leaves the server
 * (live frames, resume, paginated reads, views, command answers), and its admission
 * floors (a count of earlier events) go to mediators only.
 */

let server: TestServer;
let s: Scenario;
beforeEach(async () => {
  server = await testServer();
  s = await scenario(server, { settings: { requesterVisible: false, observersAllowed: true } });
});
afterEach(async () => {
  await server.stop();
});

const url = () => `/api/v1/cases/${s.caseId}`;

interface Read {
  events: EventView[];
  head: number;
}

/** Some history in the shared rooms, then an observer who accepts. */
async function lateObserver(): Promise<Joined> {
  await s.mediator.post(`${url()}/session/start`);
  for (let i = 0; i < 4; i++) await s.mediator.post(`${url()}/rooms/joint/messages`, { body: `before ${i}` });
  await s.members[0]![0]!.browser.post(`${url()}/rooms/joint/messages`, { body: 'party before' });
  const add = await s.mediator.post<{ created: { id: string }[] }>(`${url()}/participants`, { role: 'observer', displayName: 'Olu Observer' });
  const link = await s.mediator.post<{ url: string }>(`${url()}/participants/${add.body.created[0]!.id}/invitation`);
  return join(server, link.body.url);
}

describe('[C6] an observer counts positions from its admission', () => {
  it('[C6] the view, the hello frame and the first live event start at its admission', async () => {
    const o = await lateObserver();
    const view = await o.browser.get<{ streams: { id: string; head: number }[] }>(url());
    // Its own acceptance is the only session event it may know of; nothing of the joint room yet.
    expect(view.body.streams.map((x) => [x.id, x.head])).toEqual([
      ['session', 1],
      ['joint', 0],
    ]);

    const live = await o.browser.live(s.caseId, { session: 0, joint: 0 });
    const hello = await live.until((f) => f.t === 'hello');
    expect(hello.t === 'hello' && hello.view.streams.map((x) => x.head)).toEqual([1, 0]);
    const caught = await live.until((f) => f.t === 'caught-up');
    expect(caught.t === 'caught-up' && caught.heads).toEqual({ session: 1, joint: 0 });

    await s.mediator.post(`${url()}/rooms/joint/messages`, { body: 'after' });
    await live.until((f) => f.t === 'event' && f.event.stream === 'joint');
    const seen = live.events().map((e) => [e.stream, e.position, e.type]);
    expect(seen).toEqual([
      ['session', 1, 'agreement.accepted'],
      ['joint', 1, 'message.posted'],
    ]);
    live.close();

    // The mediator still counts the real positions: five joint messages came before.
    const mv = await s.mediator.get<{ streams: { id: string; head: number }[] }>(url());
    expect(mv.body.streams.find((x) => x.id === 'joint')?.head).toBe(6);
  });

  it('[C6] paginated reads and resume take and give positions in its numbering', async () => {
    const o = await lateObserver();
    for (let i = 0; i < 3; i++) await s.mediator.post(`${url()}/rooms/joint/messages`, { body: `after ${i}` });

    const all = await o.browser.get<Read>(`${url()}/streams/joint/events?after=0`);
    expect(all.status).toBe(200);
    expect(all.body.head).toBe(3);
    expect(all.body.events.map((e) => e.position)).toEqual([1, 2, 3]);
    expect(all.body.events.map((e) => e.content)).toEqual([{ body: 'after 0' }, { body: 'after 1' }, { body: 'after 2' }]);
    const rest = await o.browser.get<Read>(`${url()}/streams/joint/events?after=2`);
    expect(rest.body.events.map((e) => [e.position, e.content])).toEqual([[3, { body: 'after 2' }]]);

    // A reconnect that held joint up to 1 gets 2 and 3 and nothing from before admission.
    const live = await o.browser.live(s.caseId, { session: 1, joint: 1 });
    const caught = await live.until((f) => f.t === 'caught-up');
    expect(caught.t === 'caught-up' && caught.heads).toEqual({ session: 1, joint: 3 });
    expect(live.events().map((e) => [e.stream, e.position])).toEqual([
      ['joint', 2],
      ['joint', 3],
    ]);
    expect(live.raw.join('\n')).not.toContain('before');
    live.close();
  });

  it('[C6] the admission floors reach the mediators only', async () => {
    const o = await lateObserver();
    const floorsIn = async (b: Joined['browser']) => {
      const r = await b.get<Read>(`${url()}/streams/session/events?after=0`);
      expect(r.status).toBe(200);
      const accepted = r.body.events.filter((e) => e.type === 'agreement.accepted' && (e.data as { participantId: string }).participantId === o.participantId);
      expect(accepted).toHaveLength(1);
      return { floors: (accepted[0]!.data as { floors: unknown }).floors, position: accepted[0]!.position };
    };
    // For the mediator: everything committed in each shared room before the acceptance.
    const m = await floorsIn(s.mediator);
    expect(m.floors).toEqual({ session: m.position - 1, joint: 5 });
    expect(m.position).toBeGreaterThan(1);
    expect((await floorsIn(o.browser)).floors).toBeNull();
    expect((await floorsIn(s.members[1]![0]!.browser)).floors).toBeNull();

    // Live, the same: the party's frame of the acceptance carries no floors either.
    const party = await s.members[1]![0]!.browser.live(s.caseId, { session: 0, joint: 0 });
    await party.until((f) => f.t === 'caught-up');
    const mine = party.events().filter((e) => e.type === 'agreement.accepted' && (e.data as { participantId: string }).participantId === o.participantId);
    expect(mine.map((e) => (e.data as { floors: unknown }).floors)).toEqual([null]);
    party.close();
  });

  it('[C6][C9] an item from before its admission is answered like one that does not exist', async () => {
    const before = await s.mediator.post<{ created: { id: string }[] }>(`${url()}/rooms/joint/messages`, { body: 'before admission' });
    const hiddenId = before.body.created[0]!.id;
    const o = await lateObserver();
    const after = await s.mediator.post<{ created: { id: string }[] }>(`${url()}/rooms/joint/messages`, { body: 'after admission' });
    const live = await o.browser.live(s.caseId, {});
    await live.until((f) => f.t === 'caught-up');
    const ask = (id: string, messageId: string) => live.send({ t: 'cmd', id, command: { type: 'set-label', input: { messageId, label: 'shareable' } } });
    ask('probe-hidden-1', hiddenId);
    ask('probe-absent-1', 'AAAAAAAAAAAAAAAAAAAAAA');
    ask('probe-visible-1', after.body.created[0]!.id);
    type Nack = Extract<ServerFrame, { t: 'nack' }>;
    const nack = (id: string) => live.until((f) => f.t === 'nack' && f.id === id) as Promise<Nack>;
    const [hidden, absent, visible] = [await nack('probe-hidden-1'), await nack('probe-absent-1'), await nack('probe-visible-1')];
    live.close();
    expect({ status: hidden.status, error: hidden.error }).toEqual({ status: absent.status, error: absent.error });
    expect({ status: visible.status, error: visible.error }).toEqual({ status: absent.status, error: absent.error }); // observers label nothing
    // Over HTTP, the same.
    const http = await o.browser.post(`${url()}/messages/${hiddenId}/label`, { label: 'shareable' });
    expect({ status: http.status, error: (http.body as { error: unknown }).error }).toEqual({ status: absent.status, error: absent.error });
  });
});
