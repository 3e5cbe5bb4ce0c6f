import type { CaseState, Phase, SessionState } from './types.ts';

/**
 * The phase as it is at `now`: a reconvene countdown that has run out means the joint
 * room is open again. Derived rather than stored so that no timer has to fire for the
 * record to be right after a crash.
 */
export function effectivePhase(session: SessionState, now: number): Phase {
  if (session.phase === 'reconvening' && session.reconveneAt !== null && now >= session.reconveneAt) return 'joint';
  return session.phase;
}

export interface TimeBalance {
  /** Milliseconds the mediator spent in each side's room, in the current session. */
  readonly thisSession: Readonly<Record<string, number>>;
  /** Milliseconds across every session of the case. */
  readonly total: Readonly<Record<string, number>>;
}

/** Time the mediator spent in each side's room, from the recorded visits. */
export function timeBalance(state: CaseState, now: number): TimeBalance {
  const thisSession: Record<string, number> = {};
  const total: Record<string, number> = {};
  for (const side of state.sides) {
    thisSession[side.id] = 0;
    total[side.id] = 0;
  }
  for (const v of state.session.visits) {
    const ms = Math.max(0, (v.to ?? now) - v.from);
    total[v.sideId] = (total[v.sideId] ?? 0) + ms;
    if (v.sessionNo === state.session.sessionNo) thisSession[v.sideId] = (thisSession[v.sideId] ?? 0) + ms;
  }
  return { thisSession, total };
}
