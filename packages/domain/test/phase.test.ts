import { describe, expect, it } from 'vitest';
import { JOINT, type Command, type ErrorCode, type Phase } from '../src/index.ts';
import {
  advance,
  AGREEMENT_HASH,
  attempt,
  cmd,
  enterPhase,
  exec,
  openCase,
  outcome,
  phaseNow,
  PHASE_SETUPS,
  pid,
  type PhaseSetup,
  type Who,
  type World,
} from './fixtures.ts';

/** What a command does in a phase: the effective phase afterwards, or the error code. */
type Result = Phase | ErrorCode;

interface PhaseRow {
  readonly name: string;
  readonly who: Who;
  readonly command: (w: World) => Command;
  readonly expected: Record<PhaseSetup, Result>;
}

// In 'separate' the mediator is in side A's room; the reconvene countdown is 60 s.
const PHASE_TABLE: readonly PhaseRow[] = [
  {
    name: 'start-session',
    who: 'lead',
    command: () => cmd('start-session', {}),
    expected: { none: 'joint', joint: 'conflict', separate: 'conflict', reconvening: 'conflict', 'reconvening-elapsed': 'conflict', paused: 'conflict' },
  },
  {
    name: 'start-separate (side B)',
    who: 'lead',
    command: (w) => cmd('start-separate', { sideId: w.sideB, purpose: 'reality-test' }),
    expected: { none: 'conflict', joint: 'separate', separate: 'conflict', reconvening: 'separate', 'reconvening-elapsed': 'separate', paused: 'separate' },
  },
  {
    name: 'move-mediator (to side B)',
    who: 'lead',
    command: (w) => cmd('move-mediator', { sideId: w.sideB }),
    expected: { none: 'conflict', joint: 'conflict', separate: 'separate', reconvening: 'conflict', 'reconvening-elapsed': 'conflict', paused: 'conflict' },
  },
  {
    name: 'reconvene (30 s countdown)',
    who: 'lead',
    command: () => cmd('reconvene', { countdownSeconds: 30 }),
    expected: { none: 'conflict', joint: 'conflict', separate: 'reconvening', reconvening: 'reconvening', 'reconvening-elapsed': 'conflict', paused: 'reconvening' },
  },
  {
    name: 'reconvene (no countdown)',
    who: 'lead',
    command: () => cmd('reconvene', { countdownSeconds: 0 }),
    expected: { none: 'conflict', joint: 'conflict', separate: 'joint', reconvening: 'joint', 'reconvening-elapsed': 'conflict', paused: 'joint' },
  },
  {
    name: 'open-joint',
    who: 'lead',
    command: () => cmd('open-joint', {}),
    expected: { none: 'conflict', joint: 'conflict', separate: 'joint', reconvening: 'joint', 'reconvening-elapsed': 'conflict', paused: 'joint' },
  },
  {
    name: 'pause',
    who: 'lead',
    command: () => cmd('pause', {}),
    expected: { none: 'conflict', joint: 'paused', separate: 'paused', reconvening: 'paused', 'reconvening-elapsed': 'paused', paused: 'conflict' },
  },
  {
    name: 'end-session',
    who: 'lead',
    command: () => cmd('end-session', {}),
    expected: { none: 'conflict', joint: 'none', separate: 'none', reconvening: 'none', 'reconvening-elapsed': 'none', paused: 'none' },
  },
  {
    name: 'signal-ready (party A)',
    who: 'partyA',
    command: () => cmd('signal-ready', {}),
    expected: { none: 'conflict', joint: 'conflict', separate: 'separate', reconvening: 'reconvening', 'reconvening-elapsed': 'conflict', paused: 'conflict' },
  },
  {
    name: 'post-message in the joint room (party B)',
    who: 'partyB',
    command: () => cmd('post-message', { stream: JOINT, body: 'hello', label: null }),
    expected: { none: 'none', joint: 'joint', separate: 'conflict', reconvening: 'conflict', 'reconvening-elapsed': 'joint', paused: 'conflict' },
  },
];

describe('phase transitions: every command × every phase', () => {
  it.each(PHASE_TABLE)('$name', (row) => {
    const actual = {} as Record<PhaseSetup, Result>;
    for (const phase of PHASE_SETUPS) {
      const w = openCase();
      enterPhase(w, phase);
      const before = w.log.length;
      const r = attempt(w, row.who, row.command(w));
      actual[phase] = r.ok ? phaseNow(w) : r.code;
      // A refused command leaves the record untouched.
      if (!r.ok) expect(w.log.length, `${row.name} in ${phase}`).toBe(before);
    }
    expect(actual).toEqual(row.expected);
  });

  it('move-mediator records which room the mediator is in, clears that side\'s ready, and moving to the same room emits nothing', () => {
    const w = openCase();
    enterPhase(w, 'separate');
    expect(w.state.session.mediatorRoom).toBe(w.sideA);
    expect(exec(w, 'lead', cmd('move-mediator', { sideId: w.sideA }))).toEqual([]);
    exec(w, 'lead', cmd('move-mediator', { sideId: w.sideB }));
    expect(w.state.session.mediatorRoom).toBe(w.sideB);
    // A side's "ready" holds until the mediator comes back to it.
    exec(w, 'repA', cmd('signal-ready', {}));
    expect(exec(w, 'partyA', cmd('signal-ready', {}))).toEqual([]);
    exec(w, 'lead', cmd('move-mediator', { sideId: null }));
    expect(w.state.session).toMatchObject({ phase: 'separate', mediatorRoom: null, ready: [w.sideA] });
    exec(w, 'lead', cmd('move-mediator', { sideId: w.sideA }));
    expect(w.state.session).toMatchObject({ mediatorRoom: w.sideA, ready: [] });
  });

  it("a side's ready signal goes once none of its members is left in the case, and stays while one is", () => {
    const w = openCase();
    enterPhase(w, 'separate');
    exec(w, 'lead', cmd('move-mediator', { sideId: w.sideB }));
    exec(w, 'partyA', cmd('signal-ready', {}));
    exec(w, 'lead', cmd('remove-participant', { participantId: pid(w, 'repA') }));
    expect(w.state.session.ready).toEqual([w.sideA]); // the party is still there
    exec(w, 'lead', cmd('remove-participant', { participantId: pid(w, 'partyA') }));
    expect(w.state.session.ready).toEqual([]);
  });

  it.each([
    { name: 'start-separate', command: (): Command => cmd('start-separate', { sideId: 'side-99', purpose: null }), phase: 'joint' as const },
    { name: 'move-mediator', command: (): Command => cmd('move-mediator', { sideId: 'side-99' }), phase: 'separate' as const },
  ])('$name to a side that is not in the case is not_found', ({ command, phase }) => {
    const w = openCase();
    enterPhase(w, phase);
    expect(outcome(w, 'lead', command())).toBe('not_found');
  });
});

describe('effectivePhase: the reconvene countdown is read from the clock', () => {
  it('a 30 s countdown keeps the joint room closed until exactly 30 s have passed', () => {
    const table = [
      [0, 'reconvening'],
      [29_999, 'reconvening'],
      [30_000, 'joint'],
      [3_600_000, 'joint'],
    ] as const;
    const w = openCase();
    enterPhase(w, 'separate');
    exec(w, 'lead', cmd('reconvene', { countdownSeconds: 30 }));
    const start = w.now;
    expect(w.state.session.reconveneAt).toBe(start + 30_000);
    for (const [after, phase] of table) {
      w.now = start + after;
      expect(phaseNow(w), `${after} ms after reconvening`).toBe(phase);
    }
    // The stored phase does not change by itself: only the derived one does.
    expect(w.state.session.phase).toBe('reconvening');
  });

  it('a paused session stays paused however long it waits', () => {
    const w = openCase();
    enterPhase(w, 'paused');
    advance(w, 86_400_000);
    expect(phaseNow(w)).toBe('paused');
  });
});

// Each row puts the case in a state where the lead mediator's command succeeds.
const MEDIATOR_ONLY: readonly { name: string; phase: PhaseSetup; command: (w: World) => Command; setup?: (w: World) => void }[] = [
  { name: 'add-participant', phase: 'none', command: (w) => cmd('add-participant', { role: 'party', sideId: w.sideA, displayName: 'Another', email: null }) },
  { name: 'remove-participant', phase: 'none', command: (w) => cmd('remove-participant', { participantId: pid(w, 'repB') }) },
  { name: 'issue-invitation', phase: 'none', command: (w) => cmd('issue-invitation', { participantId: pid(w, 'partyB'), expiresAt: w.now + 86_400_000 }) },
  { name: 'revoke-invitation', phase: 'none', command: (w) => cmd('revoke-invitation', { participantId: pid(w, 'partyB') }) },
  { name: 'start-session', phase: 'none', command: () => cmd('start-session', {}) },
  { name: 'start-separate', phase: 'joint', command: (w) => cmd('start-separate', { sideId: w.sideA, purpose: null }) },
  { name: 'move-mediator', phase: 'separate', command: (w) => cmd('move-mediator', { sideId: w.sideB }) },
  { name: 'reconvene', phase: 'separate', command: () => cmd('reconvene', { countdownSeconds: 10 }) },
  { name: 'open-joint', phase: 'paused', command: () => cmd('open-joint', {}) },
  { name: 'pause', phase: 'joint', command: () => cmd('pause', {}) },
  { name: 'end-session', phase: 'joint', command: () => cmd('end-session', {}) },
  {
    name: 'answer-request',
    phase: 'joint',
    setup: (w) => {
      exec(w, 'partyB', cmd('request-caucus', { reason: null }));
    },
    command: (w) => cmd('answer-request', { requestId: Object.keys(w.state.requests)[0] ?? 'none', answer: 'declined', reply: null }),
  },
];

describe('mediator-only commands', () => {
  it.each(MEDIATOR_ONLY)('$name: parties, representatives and observers get forbidden; mediators succeed', (row) => {
    const results: Partial<Record<Who, string>> = {};
    for (const who of ['partyA', 'repA', 'partyB', 'repB', 'observer', 'co', 'lead'] as const) {
      const w = openCase({ observer: true });
      enterPhase(w, row.phase);
      row.setup?.(w);
      results[who] = outcome(w, who, row.command(w));
    }
    expect(results).toEqual({ partyA: 'forbidden', repA: 'forbidden', partyB: 'forbidden', repB: 'forbidden', observer: 'forbidden', co: 'ok', lead: 'ok' });
  });

  it('signal-ready and request-caucus are for sides only: mediators and observers get forbidden', () => {
    const rows = [
      ['signal-ready', 'lead'],
      ['signal-ready', 'observer'],
      ['request-caucus', 'co'],
      ['request-caucus', 'observer'],
    ] as const;
    for (const [name, who] of rows) {
      const w = openCase({ observer: true });
      enterPhase(w, 'separate');
      const c = name === 'signal-ready' ? cmd('signal-ready', {}) : cmd('request-caucus', { reason: null });
      expect(outcome(w, who, c), `${name} by ${who}`).toBe('forbidden');
      // Control: a party of the side in the mediator's room may do both.
      expect(outcome(w, 'partyA', c), `${name} by partyA`).toBe('ok');
    }
  });

  it('a mediator cannot remove themselves from the case, and nobody removes the lead mediator', () => {
    const w = openCase();
    expect(outcome(w, 'lead', cmd('remove-participant', { participantId: pid(w, 'lead') }))).toBe('conflict');
    expect(outcome(w, 'co', cmd('remove-participant', { participantId: pid(w, 'lead') }))).toBe('forbidden');
    expect(w.state.participants[pid(w, 'lead')]?.removed).toBe(false);
  });

  it('[C11] only the lead mediator closes the case; it ends a live session, and afterwards nothing more is decided in it', () => {
    const results: Partial<Record<Who, string>> = {};
    for (const who of ['partyA', 'repB', 'observer', 'co', 'lead'] as const) {
      const w = openCase({ observer: true });
      enterPhase(w, 'separate');
      results[who] = outcome(w, who, cmd('close-case', {}));
    }
    expect(results).toEqual({ partyA: 'forbidden', repB: 'forbidden', observer: 'forbidden', co: 'forbidden', lead: 'ok' });
    const w = openCase();
    enterPhase(w, 'separate');
    const events = exec(w, 'lead', cmd('close-case', {}));
    expect(events.map((e) => [e.type, e.stream])).toEqual([
      ['session.ended', 'session'],
      ['case.closed', 'session'],
    ]);
    expect(w.state.status).toBe('closed');
    expect(w.state.session.phase).toBe('none');
    for (const [who, c] of [
      ['lead', cmd('start-session', {})],
      ['lead', cmd('close-case', {})],
      ['partyA', cmd('post-message', { stream: JOINT, body: 'after', label: null })],
    ] as const)
      expect(outcome(w, who, c), `${c.type} by ${who}`).toBe('conflict');
  });
});

describe('who may act at all', () => {
  it('[C6] a participant who has not accepted the agreement gets agreement_required, for any command', () => {
    const w = openCase({ accept: ['partyA'] });
    const commands = [cmd('signal-ready', {}), cmd('request-caucus', { reason: null }), cmd('post-message', { stream: JOINT, body: 'x', label: null })];
    expect(commands.map((c) => outcome(w, 'partyB', c))).toEqual(['agreement_required', 'agreement_required', 'agreement_required']);
    expect(outcome(w, 'co', cmd('start-session', {}))).toBe('agreement_required');
  });

  it('[C7] a removed participant and an unknown actor get not_found, also when accepting', () => {
    const w = openCase();
    exec(w, 'lead', cmd('remove-participant', { participantId: pid(w, 'partyB') }));
    expect(outcome(w, 'partyB', cmd('request-caucus', { reason: null }))).toBe('not_found');
    expect(outcome(w, 'partyB', cmd('accept-agreement', { agreementHash: AGREEMENT_HASH }))).toBe('not_found');
    expect(outcome(w, { raw: 'participant-999' }, cmd('request-caucus', { reason: null }))).toBe('not_found');
    expect(outcome(w, { raw: null }, cmd('start-session', {}))).toBe('not_found');
  });

  it('accepting a changed agreement is a conflict; accepting twice emits nothing', () => {
    const w = openCase({ accept: [] });
    expect(outcome(w, 'partyA', cmd('accept-agreement', { agreementHash: 'sha256:some-other-text' }))).toBe('conflict');
    expect(w.state.participants[pid(w, 'partyA')]?.acceptedAt).toBeNull();
    expect(exec(w, 'partyA', cmd('accept-agreement', { agreementHash: AGREEMENT_HASH }))).toHaveLength(1);
    expect(w.state.participants[pid(w, 'partyA')]).toMatchObject({ acceptedAt: w.now, acceptedHash: AGREEMENT_HASH });
    expect(exec(w, 'partyA', cmd('accept-agreement', { agreementHash: AGREEMENT_HASH }))).toEqual([]);
  });
});
