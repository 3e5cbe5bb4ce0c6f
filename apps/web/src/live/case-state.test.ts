import { describe, expect, it } from 'vitest';
import { addEvents, applyFrame, emptyState, resumePositions } from './case-state.ts';
import { mediatorMe, msg, partyA, viewFor } from './fixtures.ts';
import { messagesOf } from './selectors.ts';

describe('case state: folding live frames', () => {
  const hello = applyFrame(emptyState, { t: 'hello', v: 1, view: viewFor(partyA) }, 5_000);

  it('keeps the view and the server clock offset from hello', () => {
    expect(hello.view?.title).toBe('Harbour Lane');
    expect(hello.clockOffset).toBe(10_000 - 5_000);
    expect(hello.caughtUp).toBe(false);
  });

  it('[C11] lets go of everything written in the case once a view says it closed', () => {
    const mediator = applyFrame(emptyState, { t: 'hello', v: 1, view: viewFor(mediatorMe) }, 0);
    const held = addEvents(mediator, [msg('joint', 1, 'our limit is 40,000'), msg('mediators', 1, 'A may move')]);
    expect(messagesOf(held, 'joint').map((m) => m.body)).toEqual(['our limit is 40,000']);
    const closed = applyFrame(held, { t: 'view', view: { ...viewFor(mediatorMe), status: 'closed' } }, 0);
    expect(JSON.stringify(closed.streams)).not.toContain('40,000');
    expect(JSON.stringify(closed.streams)).not.toContain('A may move');
    // The record stays: the same events, in the same places.
    expect(messagesOf(closed, 'joint').map((m) => [m.position, m.authorId])).toEqual([[1, 'partyAAAA']]);
    expect(closed.streams.mediators?.position).toBe(1);
  });

  it('drops an event it already holds (same id), whatever the path it came by', () => {
    const e = msg('joint', 1, 'hello');
    const once = addEvents(hello, [e]);
    const twice = applyFrame(once, { t: 'event', event: e }, 0);
    expect(twice).toBe(once); // nothing changed: not even a new object
    expect(messagesOf(twice, 'joint').map((m) => m.body)).toEqual(['hello']);
  });

  it('orders by position even when a resume delivers older events after newer ones', () => {
    const s = addEvents(hello, [msg('joint', 3, 'c'), msg('joint', 1, 'a'), msg('joint', 2, 'b')]);
    expect(messagesOf(s, 'joint').map((m) => m.body)).toEqual(['a', 'b', 'c']);
    expect(s.streams.joint?.position).toBe(3);
  });

  it('resumes every stream of the view from the last position held (0 when nothing yet)', () => {
    const s = addEvents(hello, [msg('joint', 4, 'x'), msg('caucus:sideAAAAA', 2, 'y')]);
    expect(resumePositions(s)).toEqual({ session: 0, joint: 4, 'caucus:sideAAAAA': 2 });
  });

  it('marks events as fresh only once caught up (history does not ring the bell)', () => {
    const replayed = applyFrame(hello, { t: 'event', event: msg('joint', 1, 'old') }, 0);
    expect(replayed.fresh).toEqual([]);
    const live = applyFrame(applyFrame(replayed, { t: 'caught-up', heads: { joint: 1 } }, 0), { t: 'event', event: msg('joint', 2, 'new') }, 0);
    expect(live.status).toBe('live');
    expect(live.fresh.map((e) => e.position)).toEqual([2]);
  });

  it('keeps presence per stream and typing with an expiry', () => {
    const s = applyFrame(applyFrame(hello, { t: 'presence', stream: 'joint', online: ['partyAAAA'] }, 0), { t: 'typing', stream: 'joint', participantId: 'partyBBBB' }, 100);
    expect(s.presence.joint).toEqual(['partyAAAA']);
    expect(s.typing.joint?.partyBBBB).toBe(4_100);
  });

  it("a message from someone ends their 'is writing' in that room at once", () => {
    const typing = applyFrame(hello, { t: 'typing', stream: 'joint', participantId: 'partyBBBB' }, 100);
    const other = applyFrame(typing, { t: 'event', event: msg('joint', 1, 'from A', 'partyAAAA') }, 200);
    expect(other.typing.joint?.partyBBBB).toBe(4_100); // someone else's message changes nothing
    const sent = applyFrame(other, { t: 'event', event: msg('joint', 2, 'from B', 'partyBBBB') }, 300);
    expect(sent.typing.joint?.partyBBBB).toBeUndefined();
  });
});
