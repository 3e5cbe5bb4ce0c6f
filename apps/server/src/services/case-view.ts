import { type CaseState, effectivePhase, mayObserve, observableStreams, parseStream, positionOffset, type StoredEvent } from '@caucus/domain';
import type { CaseView, EventView } from '@caucus/protocol';

/**
 * What one participant may see of a case, built from state through the visibility
 * oracle. The ready signals of other sides are caucus activity (C8) and are left out.
 */
export function caseViewFor(state: CaseState, participantId: string, now: number): CaseView {
  const me = state.participants[participantId];
  if (!me) throw new Error('caseViewFor: not a participant');
  const isMediator = me.role === 'mediator';
  return {
    id: state.id,
    title: state.title,
    reference: state.reference,
    regime: state.regime,
    status: state.status,
    settings: { ...state.settings },
    sides: state.sides.map((s) => ({ id: s.id, name: s.name })),
    participants: Object.values(state.participants)
      .filter((p) => !p.removed || isMediator)
      .map((p) => ({ id: p.id, role: p.role, sideId: p.sideId, displayName: p.displayName, accepted: p.acceptedAt !== null, removed: p.removed, lead: p.lead === true })),
    session: {
      phase: effectivePhase(state.session, now),
      sessionNo: state.session.sessionNo,
      mediatorRoom: state.session.mediatorRoom,
      since: state.session.since,
      reconveneAt: state.session.reconveneAt,
      ready: isMediator ? [...state.session.ready] : state.session.ready.filter((s) => s === me.sideId),
    },
    me: { participantId: me.id, role: me.role, sideId: me.sideId },
    streams: observableStreams(state, participantId).map((id) => {
      const parsed = parseStream(id);
      return { id, kind: parsed?.kind ?? 'session', sideId: parsed?.sideId ?? null, head: (state.heads[id] ?? 0) - positionOffset(state, participantId, id) };
    }),
    now,
  };
}

/**
 * Whether this viewer gets the event exactly as everyone else does, so that one frame can
 * serve them all: not an observer with its own numbering (C6), and not an observer's
 * admission floors, which count what came before it and are for mediators only.
 */
export function sharedView(state: CaseState, viewerId: string, e: StoredEvent): boolean {
  if (positionOffset(state, viewerId, e.stream) !== 0) return false;
  return !(e.type === 'agreement.accepted' && e.data.floors !== null && state.participants[viewerId]?.role !== 'mediator');
}

/** An event as it goes on the wire to this viewer; callers have checked the viewer may observe it. */
export function eventView(state: CaseState, viewerId: string, e: StoredEvent): EventView {
  const data = e.type === 'agreement.accepted' && state.participants[viewerId]?.role !== 'mediator' ? { ...e.data, floors: null } : e.data;
  return {
    id: e.id,
    stream: e.stream,
    position: e.position - positionOffset(state, viewerId, e.stream),
    type: e.type,
    actorId: e.actorId,
    at: e.at,
    data,
    // A closed case's content is destroyed (C11): none leaves, even should a row still hold
    // some (a shredding that failed and waits for the next start to be finished).
    content: state.status === 'closed' ? null : (e.content ?? null),
  };
}

/** The single gate for events leaving the server: HTTP reads and live frames both use it. */
export const mayObserveEvent = (state: CaseState, participantId: string, e: Pick<StoredEvent, 'stream' | 'position'>): boolean =>
  mayObserve(state, participantId, { stream: e.stream, position: e.position });
