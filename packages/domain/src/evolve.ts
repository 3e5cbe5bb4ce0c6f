import type { DomainEvent, EventOf, EventType } from './events.ts';
import type { CaseState, SessionState, TimeWithSides } from './types.ts';

/**
 * Folds events into case state. One handler per event type (a typed map, not a
 * switch), each pure. Position bookkeeping is common to every event.
 */
type Handler<K extends EventType> = (s: CaseState, e: EventOf<K>) => CaseState;
type HandlerMap = { [K in EventType]: Handler<K> };

const add = (m: Readonly<Record<string, number>>, key: string, ms: number): Record<string, number> => ({ ...m, [key]: (m[key] ?? 0) + ms });

/** Ends the visit in progress at `at`, adding its time to the totals. */
const closeVisit = (s: CaseState, at: number): TimeWithSides => {
  const t = s.session.time;
  if (!t.open) return t;
  const ms = Math.max(0, at - t.open.from);
  return {
    total: add(t.total, t.open.sideId, ms),
    thisSession: t.open.sessionNo === s.session.sessionNo ? add(t.thisSession, t.open.sideId, ms) : t.thisSession,
    open: null,
  };
};

/** Ends the visit in progress and, when the mediator enters a side's room, starts one there. */
const visit = (s: CaseState, at: number, sideId: string | null): TimeWithSides => ({
  ...closeVisit(s, at),
  open: sideId ? { sideId, from: at, sessionNo: s.session.sessionNo } : null,
});

const withSession = (s: CaseState, patch: Partial<SessionState>): CaseState => ({
  ...s,
  session: { ...s.session, ...patch },
});

const patchParticipant = (s: CaseState, id: string, patch: Partial<CaseState['participants'][string]>): CaseState => {
  const p = s.participants[id];
  if (!p) return s;
  return { ...s, participants: { ...s.participants, [id]: { ...p, ...patch } } };
};

const handlers: HandlerMap = {
  'case.opened': (s, e) => ({
    ...s,
    title: e.data.title,
    reference: e.data.reference,
    regime: e.data.regime,
    agreementHash: e.data.agreementHash,
    settings: e.data.settings,
    sides: e.data.sides,
    createdAt: e.at,
  }),
  'participant.added': (s, e) => ({
    ...s,
    participants: {
      ...s.participants,
      [e.data.participantId]: {
        id: e.data.participantId,
        role: e.data.role,
        sideId: e.data.sideId,
        accountId: e.data.accountId,
        displayName: e.data.displayName,
        acceptedAt: null,
        acceptedHash: null,
        floors: null,
        removed: false,
        ...(e.data.lead ? { lead: true as const } : {}),
      },
    },
  }),
  'participant.removed': (s, e) => {
    const next = patchParticipant(s, e.data.participantId, { removed: true });
    // A side's ready signal stands for its members: once none is left, nobody is ready to return.
    const sideId = s.participants[e.data.participantId]?.sideId ?? null;
    if (sideId === null || !next.session.ready.includes(sideId)) return next;
    if (Object.values(next.participants).some((p) => p.sideId === sideId && !p.removed)) return next;
    return withSession(next, { ready: next.session.ready.filter((x) => x !== sideId) });
  },
  'participant.contact': (s) => s,
  'agreement.accepted': (s, e) =>
    patchParticipant(s, e.data.participantId, { acceptedAt: e.at, acceptedHash: e.data.agreementHash, floors: e.data.floors }),
  'invitation.issued': (s) => s,
  'invitation.revoked': (s) => s,
  'session.started': (s, e) =>
    withSession(s, {
      phase: 'joint',
      sessionNo: e.data.sessionNo,
      mediatorRoom: null,
      since: e.at,
      reconveneAt: null,
      ready: [],
      // A new session counts its own time; a visit still open stays with the session it began in.
      time: { ...s.session.time, thisSession: {} },
    }),
  'separate.started': (s, e) =>
    withSession(s, {
      phase: 'separate',
      mediatorRoom: e.data.sideId,
      since: e.at,
      reconveneAt: null,
      ready: [],
      time: visit(s, e.at, e.data.sideId),
    }),
  'separate.purpose': (s) => s,
  'mediator.moved': (s, e) =>
    withSession(s, {
      mediatorRoom: e.data.sideId,
      since: e.at,
      ready: e.data.sideId ? s.session.ready.filter((x) => x !== e.data.sideId) : s.session.ready,
      time: visit(s, e.at, e.data.sideId),
    }),
  'session.reconvening': (s, e) =>
    withSession(s, { phase: 'reconvening', mediatorRoom: null, since: e.at, reconveneAt: e.data.reconveneAt, time: closeVisit(s, e.at) }),
  'session.joint-opened': (s, e) =>
    withSession(s, { phase: 'joint', mediatorRoom: null, since: e.at, reconveneAt: null, ready: [], time: closeVisit(s, e.at) }),
  'session.paused': (s, e) =>
    withSession(s, { phase: 'paused', mediatorRoom: null, since: e.at, reconveneAt: null, time: closeVisit(s, e.at) }),
  'session.ended': (s, e) =>
    withSession(s, { phase: 'none', mediatorRoom: null, since: e.at, reconveneAt: null, ready: [], time: closeVisit(s, e.at) }),
  'side.ready': (s, e) =>
    withSession(s, { ready: s.session.ready.includes(e.data.sideId) ? s.session.ready : [...s.session.ready, e.data.sideId] }),
  'message.posted': (s) => s,
  'message.labelled': (s) => s,
  'caucus.requested': (s, e) => {
    const requester = s.participants[e.data.requesterId];
    return {
      ...s,
      requests: {
        ...s.requests,
        [e.data.requestId]: { id: e.data.requestId, sideId: requester?.sideId ?? '', requesterId: e.data.requesterId, status: 'pending', at: e.at },
      },
    };
  },
  'caucus.requested-public': (s) => s,
  'case.closed': (s) => ({ ...s, status: 'closed' }),
  'caucus.answered': (s, e) => {
    const r = s.requests[e.data.requestId];
    if (!r) return s;
    return { ...s, requests: { ...s.requests, [r.id]: { ...r, status: e.data.answer } } };
  },
};

export function emptyCase(id: string): CaseState {
  return {
    id,
    title: '',
    reference: '',
    regime: 'opt-in',
    agreementHash: '',
    settings: { requesterVisible: false, observersAllowed: false },
    status: 'open',
    createdAt: 0,
    sides: [],
    participants: {},
    session: { phase: 'none', sessionNo: 0, mediatorRoom: null, since: 0, reconveneAt: null, ready: [], time: { total: {}, thisSession: {}, open: null } },
    heads: {},
    requests: {},
  };
}

/** Applies one event: its handler, then the stream head moves on by one. */
export function evolve(state: CaseState, event: DomainEvent): CaseState {
  const handler = handlers[event.type] as Handler<EventType>;
  const next = handler(state, event);
  return { ...next, heads: { ...next.heads, [event.stream]: (next.heads[event.stream] ?? 0) + 1 } };
}

export const foldEvents = (state: CaseState, events: readonly DomainEvent[]): CaseState => events.reduce(evolve, state);

/**
 * Whether `next` differs from `prev` in more than its stream heads. States are immutable
 * and handlers copy only what they change, so a message (which moves a head and nothing
 * else) leaves every other part the very same object. Storage uses it to keep the stored
 * state instead of writing it again for every message.
 */
export function changedBeyondHeads(prev: CaseState, next: CaseState): boolean {
  if (prev === next) return false;
  for (const k of Object.keys(next) as (keyof CaseState)[]) if (k !== 'heads' && next[k] !== prev[k]) return true;
  return Object.keys(prev).length !== Object.keys(next).length;
}
