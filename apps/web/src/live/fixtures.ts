import type { CaseView, EventView } from '@caucus/protocol';

/** Test fixtures: a two-sided case as side A's participant sees it, and events. */
export function viewFor(me: { participantId: string; role: CaseView['me']['role']; sideId: string | null }, over: Partial<CaseView['session']> = {}): CaseView {
  const caucusA = { id: 'caucus:sideAAAAA', kind: 'caucus', sideId: 'sideAAAAA', head: 0 };
  const caucusB = { id: 'caucus:sideBBBBB', kind: 'caucus', sideId: 'sideBBBBB', head: 0 };
  const mediator = me.role === 'mediator';
  return {
    id: 'case00001',
    title: 'Harbour Lane',
    reference: '',
    regime: 'opt-in',
    status: 'open',
    settings: { requesterVisible: false, observersAllowed: false },
    sides: [
      { id: 'sideAAAAA', name: 'Tenant' },
      { id: 'sideBBBBB', name: 'Landlord' },
    ],
    participants: [
      { id: 'mediator1', role: 'mediator', sideId: null, displayName: 'Mia', accepted: true, removed: false, lead: true },
      { id: 'partyAAAA', role: 'party', sideId: 'sideAAAAA', displayName: 'Ana', accepted: true, removed: false, lead: false },
      { id: 'partyBBBB', role: 'party', sideId: 'sideBBBBB', displayName: 'Ben', accepted: true, removed: false, lead: false },
    ],
    session: { phase: 'joint', sessionNo: 1, mediatorRoom: null, since: 1_000, reconveneAt: null, ready: [], ...over },
    me,
    streams: [
      { id: 'session', kind: 'session', sideId: null, head: 0 },
      { id: 'joint', kind: 'joint', sideId: null, head: 0 },
      ...(mediator ? [caucusA, caucusB] : me.sideId === 'sideAAAAA' ? [caucusA] : [caucusB]),
    ],
    now: 10_000,
  };
}

export const partyA = { participantId: 'partyAAAA', role: 'party' as const, sideId: 'sideAAAAA' };
export const mediatorMe = { participantId: 'mediator1', role: 'mediator' as const, sideId: null };

let n = 0;
export function msg(stream: string, position: number, body: string, authorId = 'partyAAAA', label: string | null = null): EventView {
  n += 1;
  return {
    id: `ev-${stream}-${position}-${n}`,
    stream,
    position,
    type: 'message.posted',
    actorId: authorId,
    at: 1_000 + position,
    data: { messageId: `m-${stream}-${position}`, authorId, label },
    content: { body },
  };
}
