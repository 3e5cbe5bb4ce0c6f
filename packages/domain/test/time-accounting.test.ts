import { describe, expect, it } from 'vitest';
import { timeBalance, type Command } from '../src/index.ts';
import { cmd, exec, openCase, T0, type World } from './fixtures.ts';

/**
 * One scripted case over two live sessions. Times are milliseconds after T0; every
 * command is the lead mediator's. `thisSession` and `total` are the balance right after
 * the step, as [side A, side B].
 */
interface Step {
  readonly at: number;
  readonly does: string;
  readonly command: (w: World) => Command;
  readonly thisSession: readonly [number, number];
  readonly total: readonly [number, number];
}

const STEPS: readonly Step[] = [
  { at: 0, does: 'session 1 starts in joint', command: () => cmd('start-session', {}), thisSession: [0, 0], total: [0, 0] },
  { at: 1_000, does: 'separate sessions start with A', command: (w) => cmd('start-separate', { sideId: w.sideA, purpose: null }), thisSession: [0, 0], total: [0, 0] },
  { at: 4_000, does: 'the mediator moves to B', command: (w) => cmd('move-mediator', { sideId: w.sideB }), thisSession: [3_000, 0], total: [3_000, 0] },
  { at: 6_000, does: 'the mediator steps out of every room', command: () => cmd('move-mediator', { sideId: null }), thisSession: [3_000, 2_000], total: [3_000, 2_000] },
  { at: 7_000, does: 'the mediator goes back to A', command: (w) => cmd('move-mediator', { sideId: w.sideA }), thisSession: [3_000, 2_000], total: [3_000, 2_000] },
  { at: 9_000, does: 'pause', command: () => cmd('pause', {}), thisSession: [5_000, 2_000], total: [5_000, 2_000] },
  { at: 10_000, does: 'separate sessions resume with B', command: (w) => cmd('start-separate', { sideId: w.sideB, purpose: null }), thisSession: [5_000, 2_000], total: [5_000, 2_000] },
  { at: 10_500, does: 'reconvene with a countdown', command: () => cmd('reconvene', { countdownSeconds: 120 }), thisSession: [5_000, 2_500], total: [5_000, 2_500] },
  { at: 12_000, does: 'session 1 ends', command: () => cmd('end-session', {}), thisSession: [5_000, 2_500], total: [5_000, 2_500] },
  { at: 20_000, does: 'session 2 starts', command: () => cmd('start-session', {}), thisSession: [0, 0], total: [5_000, 2_500] },
  { at: 21_000, does: 'separate sessions start with B', command: (w) => cmd('start-separate', { sideId: w.sideB, purpose: null }), thisSession: [0, 0], total: [5_000, 2_500] },
  { at: 25_000, does: 'the mediator moves to A', command: (w) => cmd('move-mediator', { sideId: w.sideA }), thisSession: [0, 4_000], total: [5_000, 6_500] },
  { at: 26_000, does: 'the joint room opens', command: () => cmd('open-joint', {}), thisSession: [1_000, 4_000], total: [6_000, 6_500] },
  { at: 27_000, does: 'separate sessions start with A again', command: (w) => cmd('start-separate', { sideId: w.sideA, purpose: null }), thisSession: [1_000, 4_000], total: [6_000, 6_500] },
  { at: 29_500, does: 'session 2 ends while the mediator is with A', command: () => cmd('end-session', {}), thisSession: [3_500, 4_000], total: [8_500, 6_500] },
];

/** Replays the script up to and including step `n` (index into STEPS). */
function replay(n: number): World {
  const w = openCase();
  for (const step of STEPS.slice(0, n + 1)) {
    w.now = T0 + step.at;
    exec(w, 'lead', step.command(w));
  }
  return w;
}

const balance = (w: World, now: number): { thisSession: [number, number]; total: [number, number] } => {
  const b = timeBalance(w.state, now);
  return { thisSession: [b.thisSession[w.sideA] ?? -1, b.thisSession[w.sideB] ?? -1], total: [b.total[w.sideA] ?? -1, b.total[w.sideB] ?? -1] };
};

describe('timeBalance: time the mediator spent with each side', () => {
  it('across two sessions: start-separate, move-mediator, pause, reconvene, open-joint and end-session open and close visits', () => {
    const w = openCase();
    for (const step of STEPS) {
      w.now = T0 + step.at;
      exec(w, 'lead', step.command(w));
      const expected = { thisSession: step.thisSession, total: step.total };
      expect(balance(w, w.now), `after "${step.does}" (t=${step.at})`).toEqual(expected);
      // Visits that are closed stop counting: an hour later the balance only differs by an open visit.
      if (!w.state.session.visits.some((v) => v.to === null)) expect(balance(w, w.now + 3_600_000), `an hour after "${step.does}"`).toEqual(expected);
    }
  });

  it.each([
    { now: 21_000, thisSession: [0, 0], total: [5_000, 2_500] },
    { now: 22_500, thisSession: [0, 1_500], total: [5_000, 4_000] },
    { now: 24_999, thisSession: [0, 3_999], total: [5_000, 6_499] },
  ])('an open visit counts up to now (t=$now)', ({ now, thisSession, total }) => {
    const w = replay(10); // in session 2, with B since t=21 000
    expect(w.state.session.visits.filter((v) => v.to === null)).toEqual([{ sessionNo: 2, sideId: w.sideB, from: T0 + 21_000, to: null }]);
    expect(balance(w, T0 + now)).toEqual({ thisSession, total });
  });

  it('the recorded visits carry their session number and close when the mediator leaves', () => {
    const w = replay(STEPS.length - 1);
    const rows = w.state.session.visits.map((v) => [v.sessionNo, v.sideId === w.sideA ? 'A' : 'B', v.from - T0, v.to === null ? null : v.to - T0]);
    expect(rows).toEqual([
      [1, 'A', 1_000, 4_000],
      [1, 'B', 4_000, 6_000],
      [1, 'A', 7_000, 9_000],
      [1, 'B', 10_000, 10_500],
      [2, 'B', 21_000, 25_000],
      [2, 'A', 25_000, 26_000],
      [2, 'A', 27_000, 29_500],
    ]);
  });

  it('every side of the case is listed, with zero before any separate session', () => {
    const w = openCase();
    expect(timeBalance(w.state, T0 + 1_000)).toEqual({ thisSession: { [w.sideA]: 0, [w.sideB]: 0 }, total: { [w.sideA]: 0, [w.sideB]: 0 } });
  });
});
