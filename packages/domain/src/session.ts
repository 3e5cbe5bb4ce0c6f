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

/** Time the mediator spent in each side's room: the finished visits, plus the one in progress up to `now`. */
export function timeBalance(state: CaseState, now: number): TimeBalance {
  const t = state.session.time;
  const thisSession: Record<string, number> = {};
  const total: Record<string, number> = {};
  for (const side of state.sides) {
    thisSession[side.id] = t.thisSession[side.id] ?? 0;
    total[side.id] = t.total[side.id] ?? 0;
  }
  if (t.open) {
    const ms = Math.max(0, now - t.open.from);
    total[t.open.sideId] = (total[t.open.sideId] ?? 0) + ms;
    if (t.open.sessionNo === state.session.sessionNo) thisSession[t.open.sideId] = (thisSession[t.open.sideId] ?? 0) + ms;
  }
  return { thisSession, total };
}

/** A visit as states written before running totals recorded it (a list of every visit). */
interface LegacyVisit {
  readonly sessionNo: number;
  readonly sideId: string;
  readonly from: number;
  readonly to: number | null;
}

/**
 * Brings a stored state up to the current shape. States stored before the time with each
 * side was kept as running totals hold the list of visits instead: it is folded into the
 * totals here, with the same result as the list gave.
 */
export function upgradeState(stored: CaseState): CaseState {
  const session = stored.session as SessionState & { readonly visits?: readonly LegacyVisit[] };
  if (session.time) return stored;
  const total: Record<string, number> = {};
  const thisSession: Record<string, number> = {};
  let open: SessionState['time']['open'] = null;
  for (const v of session.visits ?? []) {
    if (v.to === null) {
      open = { sideId: v.sideId, from: v.from, sessionNo: v.sessionNo };
      continue;
    }
    const ms = Math.max(0, v.to - v.from);
    total[v.sideId] = (total[v.sideId] ?? 0) + ms;
    if (v.sessionNo === session.sessionNo) thisSession[v.sideId] = (thisSession[v.sideId] ?? 0) + ms;
  }
  const { visits: _legacy, ...rest } = session;
  return { ...stored, session: { ...rest, time: { total, thisSession, open } } };
}
