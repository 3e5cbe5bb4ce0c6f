import type { EventView } from '@caucus/protocol';
import { describe, expect, it } from 'vitest';
import { addEvents, emptyState, withView } from './case-state.ts';
import { mediatorMe, msg, partyA, viewFor } from './fixtures.ts';
import { audienceOf, caucusRequests, effectivePhase, mediatorAlerts, messagesOf, unreadCount } from './selectors.ts';

const ev = (over: Partial<EventView> & Pick<EventView, 'type' | 'stream' | 'position' | 'data'>): EventView => ({
  id: `${over.stream}-${over.position}`,
  actorId: null,
  at: 5_000,
  content: null,
  ...over,
});

describe('selectors', () => {
  it('folds label changes into caucus items', () => {
    const s = addEvents(withView(emptyState, viewFor(partyA), 0), [
      msg('caucus:sideAAAAA', 1, 'secret', 'partyAAAA', 'confidential'),
      ev({ type: 'message.labelled', stream: 'caucus:sideAAAAA', position: 2, data: { messageId: 'm-caucus:sideAAAAA-1', label: 'shareable' } }),
    ]);
    expect(messagesOf(s, 'caucus:sideAAAAA').map((m) => [m.body, m.label])).toEqual([['secret', 'shareable']]);
  });

  it('counts unread messages by others after the last seen position', () => {
    const s = addEvents(emptyState, [msg('joint', 1, 'a', 'partyBBBB'), msg('joint', 2, 'mine', 'partyAAAA'), msg('joint', 3, 'b', 'mediator1')]);
    expect(unreadCount(s, 'joint', 0, 'partyAAAA')).toBe(2);
    expect(unreadCount(s, 'joint', 2, 'partyAAAA')).toBe(1);
  });

  it('folds the caucus-request queue from requested and answered events, per side', () => {
    const s = addEvents(emptyState, [
      ev({ type: 'caucus.requested', stream: 'caucus:sideBBBBB', position: 1, at: 2, data: { requestId: 'r1', requesterId: 'partyBBBB' }, content: { reason: 'numbers' } }),
      ev({ type: 'caucus.requested', stream: 'caucus:sideAAAAA', position: 1, at: 1, data: { requestId: 'r2', requesterId: 'partyAAAA' }, content: { reason: '' } }),
      ev({ type: 'caucus.answered', stream: 'caucus:sideAAAAA', position: 2, data: { requestId: 'r2', answer: 'deferred' }, content: { reply: '' } }),
    ]);
    expect(caucusRequests(s).map((r) => [r.requestId, r.sideId, r.status, r.reason])).toEqual([
      ['r2', 'sideAAAAA', 'deferred', ''],
      ['r1', 'sideBBBBB', 'open', 'numbers'],
    ]);
  });

  it('treats a reconvene countdown that has run out as the joint phase', () => {
    const v = viewFor(partyA, { phase: 'reconvening', reconveneAt: 20_000 });
    expect(effectivePhase(v, 19_999)).toBe('reconvening');
    expect(effectivePhase(v, 20_000)).toBe('joint');
  });

  it("[C1] names a side's private room audience: that side and the mediators, never the other side", () => {
    const names = audienceOf(viewFor(mediatorMe), 'caucus:sideBBBBB').map((p) => p.displayName);
    expect(names).toEqual(['Mia', 'Ben']);
    expect(audienceOf(viewFor(mediatorMe), 'joint').map((p) => p.displayName)).toEqual(['Mia', 'Ana', 'Ben']);
    expect(audienceOf(viewFor(mediatorMe), 'notes:general').map((p) => p.displayName)).toEqual(['Mia']);
  });

  it("alerts a party when the mediator arrives in its room or writes, not for the other side's moves", () => {
    const v = viewFor(partyA);
    const fresh = [
      ev({ type: 'mediator.moved', stream: 'session', position: 5, data: { sideId: 'sideBBBBB' } }),
      ev({ type: 'mediator.moved', stream: 'session', position: 6, data: { sideId: 'sideAAAAA' } }),
      msg('joint', 9, 'hi', 'partyBBBB'),
      msg('joint', 10, 'welcome', 'mediator1'),
    ];
    expect(mediatorAlerts(v, fresh).map((e) => e.position)).toEqual([6, 10]);
  });
});
