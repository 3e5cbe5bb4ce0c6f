import type { CaseView, EventView } from '@caucus/protocol';
import type { CaseState } from './case-state.ts';

/** Derived views of the folded case state, pure and tested. */
export type Label = 'confidential' | 'shareable';
export type Phase = CaseView['session']['phase'];

export interface Message {
  readonly id: string;
  readonly eventId: string;
  readonly stream: string;
  readonly position: number;
  readonly authorId: string;
  readonly body: string;
  readonly at: number;
  readonly label: Label | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Messages of a room, with each item's latest label folded in. */
export function messagesOf(s: CaseState, stream: string): Message[] {
  const events = s.streams[stream]?.events ?? [];
  const labels = new Map<string, Label>();
  for (const e of events)
    if (e.type === 'message.labelled') {
      const id = str(e.data.messageId);
      const label = str(e.data.label);
      if (id && (label === 'confidential' || label === 'shareable')) labels.set(id, label);
    }
  return events.flatMap((e) => {
    if (e.type !== 'message.posted') return [];
    const id = str(e.data.messageId) ?? e.id;
    const initial = str(e.data.label);
    const label = labels.get(id) ?? (initial === 'confidential' || initial === 'shareable' ? initial : null);
    return [{ id, eventId: e.id, stream: e.stream, position: e.position, authorId: str(e.data.authorId) ?? e.actorId ?? '', body: e.content?.body ?? '', at: e.at, label }];
  });
}

/** Messages in a room after `seen` not written by `me`. */
export function unreadCount(s: CaseState, stream: string, seen: number, me: string): number {
  return messagesOf(s, stream).filter((m) => m.position > seen && m.authorId !== me).length;
}

export interface CaucusRequestItem {
  readonly requestId: string;
  readonly sideId: string;
  readonly requesterId: string;
  readonly reason: string;
  readonly at: number;
  readonly status: 'open' | 'accepted' | 'declined' | 'deferred';
  readonly reply: string;
}

/** Caucus requests folded from the caucus rooms the viewer may read (mediators: all; a side: its own). */
export function caucusRequests(s: CaseState): CaucusRequestItem[] {
  const byId = new Map<string, CaucusRequestItem>();
  for (const [stream, st] of Object.entries(s.streams)) {
    if (!stream.startsWith('caucus:')) continue;
    const sideId = stream.slice('caucus:'.length);
    for (const e of st.events) {
      const requestId = str(e.data.requestId);
      if (!requestId) continue;
      if (e.type === 'caucus.requested')
        byId.set(requestId, { requestId, sideId, requesterId: str(e.data.requesterId) ?? '', reason: e.content?.reason ?? '', at: e.at, status: 'open', reply: '' });
      if (e.type === 'caucus.answered') {
        const cur = byId.get(requestId);
        const answer = str(e.data.answer);
        if (cur && (answer === 'accepted' || answer === 'declined' || answer === 'deferred')) byId.set(requestId, { ...cur, status: answer, reply: e.content?.reply ?? '' });
      }
    }
  }
  return [...byId.values()].sort((a, b) => a.at - b.at);
}

/** The phase as it is now: a reconvene countdown that has run out means the joint room is open. */
export function effectivePhase(view: CaseView, serverNow: number): Phase {
  const { phase, reconveneAt } = view.session;
  return phase === 'reconvening' && reconveneAt !== null && serverNow >= reconveneAt ? 'joint' : phase;
}

export const serverNow = (s: CaseState, localNow: number): number => localNow + s.clockOffset;

/** Who can read a room, by name: the same rule the server applies (C1), for the audience banner. */
export function audienceOf(view: CaseView, stream: string): CaseView['participants'] {
  // Parties and representatives not joined yet will read the room once they accept (its
  // history too); an observer reads nothing from before their admission (C6).
  const active = view.participants.filter((p) => !p.removed && (p.role !== 'observer' || p.accepted));
  const mediators = active.filter((p) => p.role === 'mediator');
  if (stream === 'joint') return active;
  if (stream.startsWith('caucus:')) {
    const side = stream.slice('caucus:'.length);
    return [...mediators, ...active.filter((p) => p.sideId === side && p.role !== 'observer')];
  }
  if (stream === 'counsel') return [...mediators, ...active.filter((p) => p.role === 'representative')];
  return mediators; // mediators, notes:*
}

export function isTyping(s: CaseState, stream: string, localNow: number): string[] {
  return Object.entries(s.typing[stream] ?? {})
    .filter(([, until]) => until > localNow)
    .map(([id]) => id);
}

export const nameOf = (view: CaseView, participantId: string): string => view.participants.find((p) => p.id === participantId)?.displayName ?? '';
export const sideName = (view: CaseView, sideId: string | null): string => view.sides.find((x) => x.id === sideId)?.name ?? '';

/** Live events that should alert a party: the mediator arriving in their room, or writing. */
export function mediatorAlerts(view: CaseView, fresh: readonly EventView[]): EventView[] {
  const mediators = new Set(view.participants.filter((p) => p.role === 'mediator').map((p) => p.id));
  const mySide = view.me.sideId;
  return fresh.filter((e) => {
    if (e.type === 'message.posted') return mediators.has(str(e.data.authorId) ?? '') && e.stream !== 'notes:general';
    if (e.type === 'mediator.moved' || e.type === 'separate.started') return str(e.data.sideId) === mySide;
    return e.type === 'session.joint-opened' || e.type === 'session.started';
  });
}
