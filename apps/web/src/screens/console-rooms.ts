import type { CaseView } from '@caucus/protocol';
import { listOf, t } from '../i18n/index.ts';
import { audienceOf, effectivePhase, sideName } from '../live/selectors.ts';

/** Rooms of the mediator's console and their audience sentences (pure). */
export interface RoomInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: 'joint' | 'caucus' | 'counsel' | 'mediators' | 'notes';
  readonly sideId: string | null;
}


export function roomInfo(view: CaseView, stream: string): RoomInfo {
  if (stream === 'joint') return { id: stream, name: t('room.joint'), kind: 'joint', sideId: null };
  if (stream === 'counsel') return { id: stream, name: t('room.counsel'), kind: 'counsel', sideId: null };
  if (stream === 'mediators') return { id: stream, name: t('room.mediators'), kind: 'mediators', sideId: null };
  if (stream === 'notes:general') return { id: stream, name: t('notes.general'), kind: 'notes', sideId: null };
  const [kind, sideId = ''] = stream.split(':');
  if (kind === 'notes') return { id: stream, name: t('notes.side', { side: sideName(view, sideId) }), kind: 'notes', sideId };
  return { id: stream, name: t('room.sidePrivate', { side: sideName(view, sideId) }), kind: 'caucus', sideId };
}

/** The rooms a mediator writes in, in a stable order: joint, each side, counsel, mediators. */
export function consoleRooms(view: CaseView): RoomInfo[] {
  const ids = new Set(view.streams.map((s) => s.id));
  // The representatives' room only matters when a side has a representative.
  if (!view.participants.some((p) => p.role === 'representative' && !p.removed)) ids.delete('counsel');
  const order = ['joint', ...view.sides.map((s) => `caucus:${s.id}`), 'counsel', 'mediators'];
  return order.filter((id) => ids.has(id)).map((id) => roomInfo(view, id));
}

export const noteStreams = (view: CaseView): RoomInfo[] =>
  ['notes:general', ...view.sides.map((s) => `notes:${s.id}`)].filter((id) => view.streams.some((s) => s.id === id)).map((id) => roomInfo(view, id));

/** "Only Ana Tenant and the mediators (Mia) can read this." — names exactly who reads. */
export function audienceSentence(view: CaseView, stream: string): string {
  const people = audienceOf(view, stream);
  const names = (ps: typeof people) => listOf(ps.map((p) => (p.id === view.me.participantId ? t('msg.youLower') : p.displayName)));
  const mediators = people.filter((p) => p.role === 'mediator');
  const others = people.filter((p) => p.role !== 'mediator');
  const info = roomInfo(view, stream);
  switch (info.kind) {
    case 'joint':
      return t('audience.joint', { names: names(people) });
    case 'caucus':
      return others.length > 0
        ? t('audience.caucus', { side: sideName(view, info.sideId), names: names(others), mediators: names(mediators) })
        : t('audience.caucusNobody', { side: sideName(view, info.sideId), mediators: names(mediators) });
    case 'counsel':
      return t('audience.counsel', { names: names(people) });
    case 'mediators':
    case 'notes':
      return t('audience.mediators', { names: names(mediators) });
  }
}

/** The room the mediator should be looking at after a phase change. */
export function suggestedRoom(view: CaseView, serverNow: number): string {
  const phase = effectivePhase(view, serverNow);
  if (phase === 'separate' && view.session.mediatorRoom) return `caucus:${view.session.mediatorRoom}`;
  return 'joint';
}
