import { describe, expect, it } from 'vitest';
import { type CaseState, timeBalance, upgradeState, type Command } from '../src/index.ts';
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
      if (w.state.session.time.open === null) expect(balance(w, w.now + 3_600_000), `an hour after "${step.does}"`).toEqual(expected);
    }
  });

  it.each([
    { now: 21_000, thisSession: [0, 0], total: [5_000, 2_500] },
    { now: 22_500, thisSession: [0, 1_500], total: [5_000, 4_000] },
    { now: 24_999, thisSession: [0, 3_999], total: [5_000, 6_499] },
  ])('an open visit counts up to now (t=$now)', ({ now, thisSession, total }) => {
    const w = replay(10); // in session 2, with B since t=21 000
    expect(w.state.session.time.open).toEqual({ sessionNo: 2, sideId: w.sideB, from: T0 + 21_000 });
    expect(balance(w, T0 + now)).toEqual({ thisSession, total });
  });

  it('the state keeps running totals, not a list: its size does not grow with the number of moves', () => {
    const w = replay(6); // separate sessions, with B
    const size = () => JSON.stringify(w.state).length;
    const before = size();
    for (let i = 0; i < 200; i++) {
      w.now += 1_000;
      exec(w, 'lead', cmd('move-mediator', { sideId: i % 2 === 0 ? w.sideA : w.sideB }));
    }
    expect(size() - before).toBeLessThan(40); // a few digits more in the totals, nothing per move
    expect(balance(w, w.now).total).toEqual([5_000 + 100_000, 2_000 + 100_000]);
  });

  it('a state stored with the list of visits is upgraded to the same balance', () => {
    const w = replay(10); // session 2, with B since t=21 000; visits of session 1 closed
    const legacy = {
      ...w.state,
      session: {
        ...w.state.session,
        time: undefined,
        visits: [
          { sessionNo: 1, sideId: w.sideA, from: T0 + 1_000, to: T0 + 4_000 },
          { sessionNo: 1, sideId: w.sideB, from: T0 + 4_000, to: T0 + 6_000 },
          { sessionNo: 1, sideId: w.sideA, from: T0 + 7_000, to: T0 + 9_000 },
          { sessionNo: 1, sideId: w.sideB, from: T0 + 10_000, to: T0 + 10_500 },
          { sessionNo: 2, sideId: w.sideB, from: T0 + 21_000, to: null },
        ],
      },
    } as unknown as CaseState;
    const upgraded = upgradeState(JSON.parse(JSON.stringify(legacy)) as CaseState);
    expect(upgraded.session.time).toEqual(w.state.session.time);
    expect('visits' in upgraded.session).toBe(false);
    expect(timeBalance(upgraded, T0 + 22_500)).toEqual(timeBalance(w.state, T0 + 22_500));
    expect(upgradeState(w.state)).toBe(w.state);
  });

  it('every side of the case is listed, with zero before any separate session', () => {
    const w = openCase();
    expect(timeBalance(w.state, T0 + 1_000)).toEqual({ thisSession: { [w.sideA]: 0, [w.sideB]: 0 }, total: { [w.sideA]: 0, [w.sideB]: 0 } });
  });
});
