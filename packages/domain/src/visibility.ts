import { parseStream, type StreamId } from './streams.ts';
import type { CaseState, Participant } from './types.ts';

/**
 * The visibility oracle: written plainly from the table in confidentiality.md so that
 * it can be read against it line by line. Every way data leaves the server asks this
 * module (through `mayObserveStream` or `audienceOf`).
 */

export interface ObservedItem {
  readonly stream: StreamId;
  /** Position in the stream, for the observer floor (C6); omit for the stream itself. */
  readonly position?: number;
}

/** The active, accepted participant behind a viewer, or null (C6, C7). */
export function activeMember(state: CaseState, participantId: string | null | undefined): Participant | null {
  if (!participantId) return null;
  const p = state.participants[participantId];
  if (!p || p.removed || p.acceptedAt === null) return null;
  // A closed case is observable by its mediators only (C7).
  if (state.status === 'closed' && p.role !== 'mediator') return null;
  return p;
}

/** May this participant observe this stream (and this position of it)? */
export function mayObserve(state: CaseState, participantId: string | null | undefined, item: ObservedItem): boolean {
  const p = activeMember(state, participantId);
  if (!p) return false; // C6: nothing before accepting the agreement; C1: nothing unauthenticated
  const s = parseStream(item.stream);
  if (!s) return false;
  if (s.sideId !== null && !state.sides.some((x) => x.id === s.sideId)) return false;
  if (p.role === 'mediator') return true; // the case's mediators observe every room
  switch (s.kind) {
    case 'session':
    case 'joint': {
      if (p.role !== 'observer') return true;
      // C6: observers see nothing from before their admission.
      const floor = p.floors?.[item.stream] ?? 0;
      return item.position === undefined || item.position > floor;
    }
    case 'caucus': // C1: only the side's members (and the mediators)
      return p.role !== 'observer' && p.sideId === s.sideId;
    case 'counsel':
      return p.role === 'representative';
    case 'mediators': // C2: mediator-only streams and notes
    case 'notes':
      return false;
  }
}

/** The participants who may receive a stream's events now (C5: decided from state only). */
export function audienceOf(state: CaseState, stream: StreamId): string[] {
  return Object.keys(state.participants).filter((id) => mayObserve(state, id, { stream }));
}

/**
 * C6: where this participant's numbering of a stream starts. An observer admitted after
 * events were committed must not learn how many: positions leave the server as
 * `position - offset` and come back (resume, reads) as `position + offset`. Zero for
 * everyone but observers.
 */
export function positionOffset(state: CaseState, participantId: string, stream: StreamId): number {
  const p = state.participants[participantId];
  return p?.role === 'observer' ? (p.floors?.[stream] ?? 0) : 0;
}

/** Streams this participant may observe, in a stable order. */
export function observableStreams(state: CaseState, participantId: string): StreamId[] {
  const all = [
    'session',
    'joint',
    ...state.sides.map((s) => `caucus:${s.id}`),
    'counsel',
    'mediators',
    'notes:general',
    ...state.sides.map((s) => `notes:${s.id}`),
  ];
  return all.filter((stream) => mayObserve(state, participantId, { stream }));
}

/** Whether this participant may write messages in a room now. */
export function mayPost(state: CaseState, participantId: string, stream: StreamId, phase: string): boolean {
  const p = activeMember(state, participantId);
  if (!p || p.role === 'observer' || !mayObserve(state, participantId, { stream })) return false;
  const s = parseStream(stream);
  if (!s || s.kind === 'session') return false;
  if (s.kind === 'joint' && p.role !== 'mediator') return phase === 'none' || phase === 'joint';
  return true;
}
