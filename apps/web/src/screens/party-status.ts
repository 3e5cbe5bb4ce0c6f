import type { CaseView } from '@caucus/protocol';
import { formatCountdown, formatDuration, formatTime } from '../lib/format.ts';
import { listOf, t, tn } from '../i18n/index.ts';
import { audienceOf, effectivePhase, sideName } from '../live/selectors.ts';

/**
 * The party's status banner in plain words: who can read what I write now, and where
 * the mediator is. Pure, so that every phase's wording is tested.
 */
export interface PartyStatus {
  readonly tone: 'joint' | 'private' | 'waiting' | 'paused' | 'reconvening' | 'async';
  /** Who can read what you write in the room on screen. */
  readonly audience: string;
  /** Where the mediator is, and what you can do. */
  readonly where: string;
}


/** Who reads the room, in words and by name (the same people the mediator's banner names). */
export function partyAudience(view: CaseView, stream: string): string {
  const me = view.me.participantId;
  const people = audienceOf(view, stream);
  const who = stream === 'joint' ? t('party.audience.joint') : tn('party.audience.private', people.filter((p) => p.role === 'mediator').length);
  const names = [...people.filter((p) => p.id === me).map(() => t('msg.youLower')), ...people.filter((p) => p.id !== me).map((p) => p.displayName)];
  return t('party.audience.named', { who, names: listOf(names) });
}

export function partyStatus(view: CaseView, onScreen: string, serverNow: number): PartyStatus {
  const phase = effectivePhase(view, serverNow);
  const { mediatorRoom, since, reconveneAt } = view.session;
  const mine = view.me.sideId;
  const audience = partyAudience(view, onScreen);
  const elapsed = { time: formatTime(since), duration: formatDuration(serverNow - since) };
  switch (phase) {
    case 'joint':
      return { tone: onScreen === 'joint' ? 'joint' : 'private', audience, where: t('party.where.joint') };
    case 'none':
      return { tone: 'async', audience, where: t('party.where.none') };
    case 'paused':
      return { tone: 'paused', audience, where: t('party.where.paused', elapsed) };
    case 'reconvening':
      return { tone: 'reconvening', audience, where: t('party.where.reconvening', { countdown: formatCountdown((reconveneAt ?? serverNow) - serverNow) }) };
    case 'separate':
      if (mediatorRoom !== null && mediatorRoom === mine) return { tone: 'private', audience, where: t('party.where.withYou', elapsed) };
      if (mediatorRoom === null) return { tone: 'waiting', audience, where: t('party.where.betweenRooms', elapsed) };
      return {
        tone: 'waiting',
        audience,
        where:
          view.sides.length > 2
            ? t('party.where.withSide', { ...elapsed, side: sideName(view, mediatorRoom) })
            : t('party.where.withOther', elapsed),
      };
  }
}

/** The room a party should be looking at in this phase. */
export function partyDefaultRoom(view: CaseView, serverNow: number): string {
  const phase = effectivePhase(view, serverNow);
  return phase === 'joint' || phase === 'none' || !view.me.sideId ? 'joint' : `caucus:${view.me.sideId}`;
}
