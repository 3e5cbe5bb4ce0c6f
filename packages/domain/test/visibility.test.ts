import { describe, expect, it } from 'vitest';
import { audienceOf, COUNSEL, JOINT, MEDIATORS, mayObserve, mayPost, NOTES_GENERAL, notesStream, observableStreams, SESSION } from '../src/index.ts';
import { ALL_WHO, attempt, caucusA, caucusB, cmd, exec, openCase, pid, post, type Who, type World } from './fixtures.ts';

/** The nine stream kinds of the table, by a readable key. */
type StreamKey = 'session' | 'joint' | 'caucusA' | 'caucusB' | 'counsel' | 'mediators' | 'notesGeneral' | 'notesA' | 'notesB';
const STREAM_KEYS: readonly StreamKey[] = ['session', 'joint', 'caucusA', 'caucusB', 'counsel', 'mediators', 'notesGeneral', 'notesA', 'notesB'];

const streamOf = (w: World, k: StreamKey): string =>
  ({
    session: SESSION,
    joint: JOINT,
    caucusA: caucusA(w),
    caucusB: caucusB(w),
    counsel: COUNSEL,
    mediators: MEDIATORS,
    notesGeneral: NOTES_GENERAL,
    notesA: notesStream(w.sideA),
    notesB: notesStream(w.sideB),
  })[k];

const keysWhere = (w: World, pred: (stream: string) => boolean): StreamKey[] => STREAM_KEYS.filter((k) => pred(streamOf(w, k)));

// Written from confidentiality.md, not from the code: C1 (caucus), C2 (notes, mediators).
const OBSERVES: Record<Who, readonly StreamKey[]> = {
  lead: STREAM_KEYS,
  co: STREAM_KEYS,
  partyA: ['session', 'joint', 'caucusA'],
  repA: ['session', 'joint', 'caucusA', 'counsel'],
  partyB: ['session', 'joint', 'caucusB'],
  repB: ['session', 'joint', 'caucusB', 'counsel'],
  observer: ['session', 'joint'],
};

describe('mayObserve / observableStreams: every role × every stream kind', () => {
  it.each(ALL_WHO)('[C1][C2] %s observes exactly its streams', (who) => {
    const w = openCase({ observer: true });
    const id = pid(w, who);
    expect(keysWhere(w, (stream) => mayObserve(w.state, id, { stream }))).toEqual(OBSERVES[who]);
    // observableStreams agrees with mayObserve, in the stable order of the table.
    expect(observableStreams(w.state, id)).toEqual(OBSERVES[who].map((k) => streamOf(w, k)));
  });

  it("[C1] a party or representative never observes another side's caucus, at any position", () => {
    const w = openCase();
    const pairs: [Who, string][] = [
      ['partyA', caucusB(w)],
      ['repA', caucusB(w)],
      ['partyB', caucusA(w)],
      ['repB', caucusA(w)],
    ];
    for (const [who, stream] of pairs) {
      for (const position of [undefined, 0, 1, 1_000]) {
        expect(mayObserve(w.state, pid(w, who), { stream, position }), `${who} ${stream}@${position}`).toBe(false);
      }
    }
  });

  it("[C1] a caucus's audience is the mediators and that side's members only", () => {
    const w = openCase({ observer: true });
    expect(audienceOf(w.state, caucusA(w)).sort()).toEqual([pid(w, 'lead'), pid(w, 'co'), pid(w, 'partyA'), pid(w, 'repA')].sort());
    expect(audienceOf(w.state, caucusB(w)).sort()).toEqual([pid(w, 'lead'), pid(w, 'co'), pid(w, 'partyB'), pid(w, 'repB')].sort());
  });

  it("[C2] the audience of the mediators stream and of every notes stream is the case's mediators only", () => {
    const w = openCase({ observer: true });
    for (const stream of [MEDIATORS, NOTES_GENERAL, notesStream(w.sideA), notesStream(w.sideB)]) {
      expect(audienceOf(w.state, stream).sort(), stream).toEqual([pid(w, 'lead'), pid(w, 'co')].sort());
    }
  });

  it('[C5] the session and joint audience is every accepted participant, decided from state alone', () => {
    const w = openCase({ observer: true, accept: ['co', 'partyA', 'repA', 'partyB', 'observer'] });
    const expected = (['lead', 'co', 'partyA', 'repA', 'partyB', 'observer'] as const).map((who) => pid(w, who)).sort();
    expect(audienceOf(w.state, SESSION).sort()).toEqual(expected);
    expect(audienceOf(w.state, JOINT).sort()).toEqual(expected);
  });
});

describe('[C5] stream ids are checked, never trusted', () => {
  const MALFORMED = ['', 'Session', 'JOINT', ' joint', 'caucus', 'caucus:', 'notes', 'notes:', 'caucus:a:b', 'caucus:../x', 'caucus: x', `caucus:${'a'.repeat(65)}`, 'admin', '__proto__', 'toString'];

  it('[C5] malformed stream ids are observable by nobody, not even the lead mediator', () => {
    const w = openCase({ observer: true });
    for (const stream of MALFORMED) {
      for (const who of ALL_WHO) expect(mayObserve(w.state, pid(w, who), { stream }), `${who} '${stream}'`).toBe(false);
      expect(audienceOf(w.state, stream), `'${stream}'`).toEqual([]);
    }
  });

  it('[C5] caucus and notes streams of a side that is not in the case are observable by nobody', () => {
    const w = openCase();
    // Syntactically valid side ids, including one shaped like this case's own ids.
    for (const stream of ['caucus:side-3', 'notes:side-3', 'caucus:nope', 'notes:nope', 'caucus:__proto__', 'caucus:general']) {
      expect(audienceOf(w.state, stream), stream).toEqual([]);
    }
  });

  it('[C5][C9] posting to a forged room is not_found, exactly like posting to a room that does not exist', () => {
    const w = openCase();
    const hidden = attempt(w, 'partyA', cmd('post-message', { stream: caucusB(w), body: 'hi', label: null }));
    const absent = attempt(w, 'partyA', cmd('post-message', { stream: 'caucus:side-3', body: 'hi', label: null }));
    const malformed = attempt(w, 'partyA', cmd('post-message', { stream: 'caucus:../x', body: 'hi', label: null }));
    expect(hidden).toMatchObject({ ok: false, code: 'not_found' });
    expect(absent).toEqual(hidden);
    expect(malformed).toEqual(hidden);
  });
});

describe('[C6] nothing before accepting the agreement', () => {
  it.each(['co', 'partyA', 'repA', 'observer'] as const)('[C6] %s sees nothing and may post nowhere before accepting', (who) => {
    const w = openCase({ observer: true, accept: [] });
    const id = pid(w, who);
    expect(observableStreams(w.state, id)).toEqual([]);
    for (const k of STREAM_KEYS) {
      expect(mayPost(w.state, id, streamOf(w, k), 'joint'), k).toBe(false);
      expect(audienceOf(w.state, streamOf(w, k)), k).not.toContain(id);
    }
    // After accepting, the same participant observes its table row.
    exec(w, who, cmd('accept-agreement', { agreementHash: w.state.agreementHash }));
    expect(keysWhere(w, (stream) => mayObserve(w.state, id, { stream }))).toEqual(OBSERVES[who]);
  });

  it('[C6] an observer sees session and joint positions only after the floor recorded at admission', () => {
    const w = openCase({ observer: true, accept: ['co', 'partyA', 'repA', 'partyB', 'repB'] });
    exec(w, 'lead', cmd('start-session', {}));
    post(w, 'partyA', JOINT);
    post(w, 'partyB', JOINT);
    const sessionHead = w.state.heads[SESSION] ?? 0;
    const jointHead = w.state.heads[JOINT] ?? 0;
    expect(jointHead).toBe(2);
    exec(w, 'observer', cmd('accept-agreement', { agreementHash: w.state.agreementHash }));
    const id = pid(w, 'observer');
    expect(w.state.participants[id]?.floors).toEqual({ [SESSION]: sessionHead, [JOINT]: jointHead });
    post(w, 'partyA', JOINT);
    const table: [string, number, boolean][] = [
      [SESSION, 1, false],
      [SESSION, sessionHead, false],
      [SESSION, sessionHead + 1, true], // the observer's own acceptance
      [JOINT, 1, false],
      [JOINT, jointHead, false],
      [JOINT, jointHead + 1, true],
      [caucusA(w), 1, false],
      [caucusA(w), 1_000, false],
      [COUNSEL, 1_000, false],
    ];
    for (const [stream, position, seen] of table) expect(mayObserve(w.state, id, { stream, position }), `${stream}@${position}`).toBe(seen);
    // Participants are not floored: a party admitted from the start sees position 1.
    expect(mayObserve(w.state, pid(w, 'partyA'), { stream: JOINT, position: 1 })).toBe(true);
  });

  it('[C6] an observer may observe the joint room but never write in it, nor reach any caucus', () => {
    const w = openCase({ observer: true });
    expect(attempt(w, 'observer', cmd('post-message', { stream: JOINT, body: 'hi', label: null }))).toMatchObject({ ok: false, code: 'forbidden' });
    expect(attempt(w, 'observer', cmd('post-message', { stream: caucusA(w), body: 'hi', label: null }))).toMatchObject({ ok: false, code: 'not_found' });
  });
});

describe('[C7] removed participants see nothing', () => {
  it.each(['co', 'partyA', 'repB', 'observer'] as const)('[C7] once %s is removed, every stream is closed to them', (who) => {
    const w = openCase({ observer: true });
    const id = pid(w, who);
    expect(observableStreams(w.state, id).length).toBeGreaterThan(0);
    exec(w, 'lead', cmd('remove-participant', { participantId: id }));
    expect(observableStreams(w.state, id)).toEqual([]);
    for (const k of STREAM_KEYS) {
      expect(audienceOf(w.state, streamOf(w, k)), k).not.toContain(id);
      expect(mayPost(w.state, id, streamOf(w, k), 'joint'), k).toBe(false);
    }
  });
});

// Which streams each role may write in, by phase. Nobody writes in the session stream;
// parties and representatives write in the joint room only while it is open.
const POSTS: Record<Who, { joint: readonly StreamKey[]; separate: readonly StreamKey[] }> = {
  lead: { joint: STREAM_KEYS.filter((k) => k !== 'session'), separate: STREAM_KEYS.filter((k) => k !== 'session') },
  co: { joint: STREAM_KEYS.filter((k) => k !== 'session'), separate: STREAM_KEYS.filter((k) => k !== 'session') },
  partyA: { joint: ['joint', 'caucusA'], separate: ['caucusA'] },
  repA: { joint: ['joint', 'caucusA', 'counsel'], separate: ['caucusA', 'counsel'] },
  partyB: { joint: ['joint', 'caucusB'], separate: ['caucusB'] },
  repB: { joint: ['joint', 'caucusB', 'counsel'], separate: ['caucusB', 'counsel'] },
  observer: { joint: [], separate: [] },
};

describe('mayPost: every role × every stream kind × open / closed joint room', () => {
  it.each(ALL_WHO)('[C1][C2][C6] %s may post exactly in its rooms', (who) => {
    const w = openCase({ observer: true });
    const id = pid(w, who);
    for (const phase of ['joint', 'none'] as const) {
      expect(keysWhere(w, (stream) => mayPost(w.state, id, stream, phase)), phase).toEqual(POSTS[who].joint);
    }
    for (const phase of ['separate', 'paused', 'reconvening'] as const) {
      expect(keysWhere(w, (stream) => mayPost(w.state, id, stream, phase)), phase).toEqual(POSTS[who].separate);
    }
  });
});
