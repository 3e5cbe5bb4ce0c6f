import { describe, expect, it } from 'vitest';
import { COUNSEL, JOINT, MEDIATORS, mayObserve, NOTES_GENERAL, notesStream, type Command, type DomainEvent, type ItemMeta } from '../src/index.ts';
import { attempt, caucusA, caucusB, cmd, exec, openCase, pid, post, T0, type Who, type World } from './fixtures.ts';

/** Heads of every stream except one. */
const headsWithout = (w: World, stream: string): Record<string, number> =>
  Object.fromEntries(Object.entries(w.state.heads).filter(([s]) => s !== stream));

describe('positions are per stream', () => {
  it('[C8] posting in a stream advances that stream\'s head by one and no other head', () => {
    const w = openCase();
    exec(w, 'lead', cmd('start-session', {}));
    const rows: [Who, string][] = [
      ['partyA', JOINT],
      ['partyA', caucusA(w)],
      ['repB', caucusB(w)],
      ['repA', COUNSEL],
      ['lead', MEDIATORS],
      ['co', NOTES_GENERAL],
      ['lead', notesStream(w.sideB)],
      ['partyB', caucusB(w)],
    ];
    for (const [who, stream] of rows) {
      const before = w.state.heads;
      post(w, who, stream);
      expect(w.state.heads[stream], `${who} in ${stream}`).toBe((before[stream] ?? 0) + 1);
      expect(headsWithout(w, stream), `${who} in ${stream}`).toEqual(Object.fromEntries(Object.entries(before).filter(([s]) => s !== stream)));
    }
  });

  it("[C8] side B's caucus activity never changes another stream's head", () => {
    const w = openCase();
    exec(w, 'lead', cmd('start-session', {}));
    exec(w, 'lead', cmd('start-separate', { sideId: w.sideB, purpose: null }));
    const item = post(w, 'partyB', caucusB(w));
    const activity: [string, Who, (w: World) => Command, ItemMeta?][] = [
      ['party B posts', 'partyB', (x) => cmd('post-message', { stream: caucusB(x), body: 'our limit is 40k', label: null })],
      ['the mediator posts in B', 'lead', (x) => cmd('post-message', { stream: caucusB(x), body: 'what if…', label: null })],
      ['counsel B relabels', 'repB', () => cmd('set-label', { messageId: item.id, label: 'shareable' }), item],
      ['party B requests a caucus', 'partyB', () => cmd('request-caucus', { reason: 'alone please' })],
      ['the mediator defers it', 'lead', (x) => cmd('answer-request', { requestId: Object.keys(x.state.requests)[0] ?? 'none', answer: 'deferred', reply: 'later' })],
      ['party B signals ready', 'partyB', () => cmd('signal-ready', {})],
    ];
    for (const [what, who, command, meta] of activity) {
      const before = headsWithout(w, caucusB(w));
      const headB = w.state.heads[caucusB(w)] ?? 0;
      const events = exec(w, who, command(w), meta);
      expect(events.length, what).toBeGreaterThan(0);
      expect(events.map((e) => e.stream), what).toEqual(events.map(() => caucusB(w)));
      expect(w.state.heads[caucusB(w)], what).toBe(headB + events.length);
      expect(headsWithout(w, caucusB(w)), what).toEqual(before);
    }
  });
});

/** One step of a scripted scenario; `bOnly` steps are side B's caucus activity. */
interface Step {
  readonly at: number;
  readonly who: Who;
  readonly command: (w: World) => Command;
  readonly bOnly?: boolean;
}

const SCRIPT: readonly Step[] = [
  { at: 1_000, who: 'lead', command: () => cmd('start-session', {}) },
  { at: 2_000, who: 'partyA', command: () => cmd('post-message', { stream: JOINT, body: 'good morning', label: null }) },
  { at: 3_000, who: 'lead', command: (w) => cmd('start-separate', { sideId: w.sideB, purpose: null }) },
  { at: 3_500, who: 'partyB', command: (w) => cmd('post-message', { stream: caucusB(w), body: 'we could go to 40k', label: null }), bOnly: true },
  { at: 3_600, who: 'lead', command: (w) => cmd('post-message', { stream: caucusB(w), body: 'is that firm?', label: null }), bOnly: true },
  { at: 3_700, who: 'partyA', command: (w) => cmd('post-message', { stream: caucusA(w), body: 'waiting…', label: null }) },
  { at: 3_800, who: 'repB', command: () => cmd('request-caucus', { reason: 'without the client' }), bOnly: true },
  { at: 3_900, who: 'partyB', command: () => cmd('signal-ready', {}), bOnly: true },
  { at: 4_000, who: 'lead', command: (w) => cmd('move-mediator', { sideId: w.sideA }) },
  { at: 4_500, who: 'lead', command: (w) => cmd('post-message', { stream: caucusA(w), body: 'how are you?', label: null }) },
  { at: 4_600, who: 'partyB', command: (w) => cmd('post-message', { stream: caucusB(w), body: 'still here', label: 'shareable' }), bOnly: true },
  { at: 5_000, who: 'partyA', command: () => cmd('signal-ready', {}) },
  { at: 6_000, who: 'lead', command: () => cmd('reconvene', { countdownSeconds: 0 }) },
  { at: 6_500, who: 'repA', command: () => cmd('post-message', { stream: JOINT, body: 'shall we?', label: null }) },
];

/** Everything `who` can observe of the run: each event with its stream position, plus an error probe. */
function observationOf(withB: boolean, who: Who): string {
  const w = openCase();
  for (const step of SCRIPT) {
    if (step.bOnly && !withB) continue;
    w.now = T0 + step.at;
    exec(w, step.who, step.command(w));
  }
  const id = pid(w, who);
  const positions = new Map<string, number>();
  const seen: (DomainEvent & { position: number })[] = [];
  for (const e of w.log) {
    const position = (positions.get(e.stream) ?? 0) + 1;
    positions.set(e.stream, position);
    if (mayObserve(w.state, id, { stream: e.stream, position })) seen.push({ ...e, position });
  }
  const heads = Object.fromEntries(Object.entries(w.state.heads).filter(([stream]) => mayObserve(w.state, id, { stream })));
  const probe = attempt(w, who, cmd('post-message', { stream: caucusB(w), body: 'peek', label: null }));
  return JSON.stringify({ seen, heads, probe, phase: w.state.session.phase, mediatorRoom: w.state.session.mediatorRoom });
}

describe('[C8] noninterference', () => {
  it.each(['partyA', 'repA'] as const)("[C8] what %s observes is byte-identical whatever side B does in its caucus", (who) => {
    const without = observationOf(false, who);
    const withB = observationOf(true, who);
    expect(withB).toBe(without);
    // Control: the scenarios do differ, for side B and for the mediators.
    expect(observationOf(true, 'partyB')).not.toBe(observationOf(false, 'partyB'));
    expect(observationOf(true, 'lead')).not.toBe(observationOf(false, 'lead'));
  });
});
