import { describe, expect, it } from 'vitest';
import { audienceOf, caucusStream, SESSION, type RequestStatus } from '../src/index.ts';
import { advance, caucusA, cmd, enterPhase, exec, openCase, outcome, phaseNow, pid, type PhaseSetup, type World } from './fixtures.ts';

const requestIdOf = (w: World): string => {
  const id = Object.keys(w.state.requests)[0];
  if (id === undefined) throw new Error('no request recorded');
  return id;
};

describe('[C12] caucus requests', () => {
  it("[C12] a request goes to the requester's own caucus stream only, which the other side and observers cannot observe", () => {
    const w = openCase({ observer: true });
    const sessionHead = w.state.heads[SESSION];
    const events = exec(w, 'repA', cmd('request-caucus', { reason: 'my client is upset' }));
    expect(events).toHaveLength(1);
    const [e] = events;
    expect(e).toMatchObject({ type: 'caucus.requested', stream: caucusA(w), data: { requesterId: pid(w, 'repA') }, content: { reason: 'my client is upset' } });
    expect(w.state.heads[SESSION]).toBe(sessionHead);
    const audience = audienceOf(w.state, caucusA(w));
    for (const who of ['partyB', 'repB', 'observer'] as const) expect(audience, who).not.toContain(pid(w, who));
    expect(audience).toEqual(expect.arrayContaining([pid(w, 'lead'), pid(w, 'co')]));
    expect(Object.values(w.state.requests)).toEqual([{ id: requestIdOf(w), sideId: w.sideA, requesterId: pid(w, 'repA'), status: 'pending', at: w.now }]);
  });

  it.each([
    { requesterVisible: false, streams: ['caucus:A'] },
    { requesterVisible: true, streams: ['caucus:A', 'session'] },
  ])('[C12] with requesterVisible=$requesterVisible the events go to $streams', ({ requesterVisible, streams }) => {
    const w = openCase({ requesterVisible });
    const events = exec(w, 'partyA', cmd('request-caucus', { reason: null }));
    expect(events.map((e) => (e.stream === caucusA(w) ? 'caucus:A' : e.stream))).toEqual(streams);
    const pub = events.find((e) => e.stream === SESSION);
    // Made public, it names the side, never the person who asked.
    if (requesterVisible) expect(pub).toMatchObject({ type: 'caucus.requested-public', data: { sideId: w.sideA }, content: null });
    if (pub) expect(Object.keys(pub.data)).toEqual(['sideId']);
  });
});

interface AnswerRow {
  readonly phase: PhaseSetup | 'separate-in-B';
  readonly answer: 'accepted' | 'declined' | 'deferred';
  readonly types: readonly string[];
  readonly after: { phase: string; mediatorRoom: 'A' | 'B' | null; sessionNo: number };
}

// Side A asks; the mediator answers.
const ANSWERS: readonly AnswerRow[] = [
  { phase: 'none', answer: 'accepted', types: ['caucus.answered', 'session.started', 'separate.started'], after: { phase: 'separate', mediatorRoom: 'A', sessionNo: 1 } },
  { phase: 'joint', answer: 'accepted', types: ['caucus.answered', 'separate.started'], after: { phase: 'separate', mediatorRoom: 'A', sessionNo: 1 } },
  { phase: 'paused', answer: 'accepted', types: ['caucus.answered', 'separate.started'], after: { phase: 'separate', mediatorRoom: 'A', sessionNo: 1 } },
  { phase: 'separate-in-B', answer: 'accepted', types: ['caucus.answered', 'mediator.moved'], after: { phase: 'separate', mediatorRoom: 'A', sessionNo: 1 } },
  { phase: 'separate', answer: 'accepted', types: ['caucus.answered'], after: { phase: 'separate', mediatorRoom: 'A', sessionNo: 1 } },
  { phase: 'joint', answer: 'declined', types: ['caucus.answered'], after: { phase: 'joint', mediatorRoom: null, sessionNo: 1 } },
];

describe('answering a caucus request', () => {
  it.each(ANSWERS)('$answer in phase $phase: $types', ({ phase, answer, types, after }) => {
    const w = openCase();
    if (phase === 'separate-in-B') {
      enterPhase(w, 'separate');
      exec(w, 'lead', cmd('move-mediator', { sideId: w.sideB }));
    } else enterPhase(w, phase);
    exec(w, 'partyA', cmd('request-caucus', { reason: 'please' }));
    advance(w, 1_000);
    const events = exec(w, 'lead', cmd('answer-request', { requestId: requestIdOf(w), answer, reply: 'coming' }));
    expect(events.map((e) => e.type)).toEqual(types);
    // The answer (and its reply) stays in the requester's caucus; only the mediator's whereabouts are public.
    expect(events[0]).toMatchObject({ stream: caucusStream(w.sideA), data: { answer }, content: { reply: 'coming' } });
    expect(events.slice(1).every((e) => e.stream === SESSION)).toBe(true);
    const room = w.state.session.mediatorRoom;
    expect({ phase: phaseNow(w), mediatorRoom: room === w.sideA ? 'A' : room === w.sideB ? 'B' : room, sessionNo: w.state.session.sessionNo }).toEqual(after);
    expect(w.state.requests[requestIdOf(w)]?.status).toBe(answer);
  });

  it('a request answered accepted or declined cannot be answered again; a deferred one can', () => {
    const table: [RequestStatus & ('accepted' | 'declined' | 'deferred'), string][] = [
      ['accepted', 'conflict'],
      ['declined', 'conflict'],
      ['deferred', 'ok'],
    ];
    for (const [first, second] of table) {
      const w = openCase();
      enterPhase(w, 'joint');
      exec(w, 'partyB', cmd('request-caucus', { reason: null }));
      exec(w, 'lead', cmd('answer-request', { requestId: requestIdOf(w), answer: first, reply: null }));
      expect(outcome(w, 'co', cmd('answer-request', { requestId: requestIdOf(w), answer: 'declined', reply: null })), `after ${first}`).toBe(second);
    }
  });

  it('answering a request that does not exist is not_found', () => {
    const w = openCase();
    expect(outcome(w, 'lead', cmd('answer-request', { requestId: 'caucus:side-1-1', answer: 'accepted', reply: null }))).toBe('not_found');
  });
});
