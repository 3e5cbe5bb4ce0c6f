/**
 * Test fixtures for the domain package: no mocks. A "world" is a case state built only
 * by `decide` + `foldEvents` from `emptyCase`, a fixed clock and a per-scope id counter,
 * so every scenario replays exactly.
 */
import {
  caucusStream,
  decide,
  DomainError,
  effectivePhase,
  emptyCase,
  foldEvents,
  type CaseState,
  type Command,
  type CommandMap,
  type CommandType,
  type DecideContext,
  type DomainEvent,
  type ErrorCode,
  type ItemMeta,
  type Phase,
  type Regime,
} from '../src/index.ts';

/** Monday 6 January 2025, 09:00 UTC. */
export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
export const AGREEMENT_HASH = 'sha256:agreement-to-mediate-v1';
export const CASE_ID = 'case-1';

export type Who = 'lead' | 'co' | 'partyA' | 'repA' | 'partyB' | 'repB' | 'observer';
export const MEDIATORS_WHO: readonly Who[] = ['lead', 'co'];
export const SIDE_WHO: readonly Who[] = ['partyA', 'repA', 'partyB', 'repB'];
export const ALL_WHO: readonly Who[] = ['lead', 'co', 'partyA', 'repA', 'partyB', 'repB', 'observer'];

const DISPLAY: Record<Who, string> = {
  lead: 'Lead Mediator',
  co: 'Co-Mediator',
  partyA: 'Party A',
  repA: 'Counsel A',
  partyB: 'Party B',
  repB: 'Counsel B',
  observer: 'Observer',
};

export interface World {
  state: CaseState;
  now: number;
  /** Every event decided so far, in order. */
  readonly log: DomainEvent[];
  readonly counters: Map<string, number>;
  readonly ids: Partial<Record<Who, string>>;
  readonly sideA: string;
  readonly sideB: string;
}

export interface OpenOptions {
  readonly regime?: Regime;
  readonly requesterVisible?: boolean;
  /** Adds an observer (and turns settings.observersAllowed on). */
  readonly observer?: boolean;
  /** Who accepts the agreement (the lead accepts by opening the case). Default: everyone. */
  readonly accept?: readonly Who[];
}

/** Builds a command; the type ties the input to the command type. */
export function cmd<K extends CommandType>(type: K, input: CommandMap[K]): Command {
  return { type, input } as Command;
}

export function newIdFor(counters: Map<string, number>): (scope: string) => string {
  return (scope) => {
    const n = (counters.get(scope) ?? 0) + 1;
    counters.set(scope, n);
    return `${scope}-${n}`;
  };
}

export function pid(w: World, who: Who): string {
  const id = w.ids[who];
  if (id === undefined) throw new Error(`fixture: no ${who} in this case`);
  return id;
}

/** The participant id for a role key, or a raw id (for unknown actors). */
const actorIdOf = (w: World, who: Who | { raw: string | null }): string | null =>
  typeof who === 'string' ? pid(w, who) : who.raw;

export function ctxFor(w: World, actorId: string | null, item?: ItemMeta | null): DecideContext {
  return { now: w.now, newId: newIdFor(w.counters), actorId, ...(item !== undefined ? { item } : {}) };
}

/** Decides and applies a command; throws what `decide` throws. */
export function exec(w: World, who: Who | { raw: string | null }, command: Command, item?: ItemMeta | null): DomainEvent[] {
  const events = decide(w.state, command, ctxFor(w, actorIdOf(w, who), item));
  w.state = foldEvents(w.state, events);
  w.log.push(...events);
  return events;
}

export type Attempt = { readonly ok: true; readonly events: DomainEvent[] } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** Like exec, but a DomainError becomes a value (anything else is rethrown: it is a bug). */
export function attempt(w: World, who: Who | { raw: string | null }, command: Command, item?: ItemMeta | null): Attempt {
  try {
    return { ok: true, events: exec(w, who, command, item) };
  } catch (e) {
    if (e instanceof DomainError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

/** The error code a command fails with, or 'ok'. */
export function outcome(w: World, who: Who | { raw: string | null }, command: Command, item?: ItemMeta | null): ErrorCode | 'ok' {
  const r = attempt(w, who, command, item);
  return r.ok ? 'ok' : r.code;
}

export function advance(w: World, ms: number): void {
  w.now += ms;
}

export function openCase(opts: OpenOptions = {}): World {
  const counters = new Map<string, number>();
  const open = cmd('open-case', {
    title: 'Acme v. Bolt',
    reference: 'MED-2025-001',
    regime: opts.regime ?? 'opt-in',
    agreementHash: AGREEMENT_HASH,
    settings: { requesterVisible: opts.requesterVisible ?? false, observersAllowed: opts.observer ?? false },
    sides: [
      {
        name: 'Acme',
        members: [
          { role: 'party', displayName: DISPLAY.partyA, email: null },
          { role: 'representative', displayName: DISPLAY.repA, email: null },
        ],
      },
      {
        name: 'Bolt',
        members: [
          { role: 'party', displayName: DISPLAY.partyB, email: null },
          { role: 'representative', displayName: DISPLAY.repB, email: null },
        ],
      },
    ],
    mediators: [
      { accountId: 'acct-lead', displayName: DISPLAY.lead, email: 'lead@example.test', lead: true },
      { accountId: 'acct-co', displayName: DISPLAY.co, email: null, lead: false },
    ],
    observers: opts.observer ? [{ displayName: DISPLAY.observer, email: null }] : [],
    invitationExpiresAt: T0 + 14 * 86_400_000,
  });
  const events = decide(emptyCase(CASE_ID), open, { now: T0, newId: newIdFor(counters), actorId: null, accountId: 'acct-lead' });
  const state = foldEvents(emptyCase(CASE_ID), events);
  const ids: Partial<Record<Who, string>> = {};
  for (const who of ALL_WHO) {
    const p = Object.values(state.participants).find((x) => x.displayName === DISPLAY[who]);
    if (p) ids[who] = p.id;
  }
  const [a, b] = state.sides;
  if (!a || !b) throw new Error('fixture: the case should have two sides');
  const w: World = { state, now: T0, log: [...events], counters, ids, sideA: a.id, sideB: b.id };
  const accept = opts.accept ?? ALL_WHO;
  for (const who of accept) {
    if (who === 'lead' || w.ids[who] === undefined) continue;
    exec(w, who, cmd('accept-agreement', { agreementHash: AGREEMENT_HASH }));
  }
  return w;
}

/** The phases the phase table runs through; 'reconvening-elapsed' is reconvening after its countdown ran out. */
export type PhaseSetup = 'none' | 'joint' | 'separate' | 'reconvening' | 'reconvening-elapsed' | 'paused';
export const PHASE_SETUPS: readonly PhaseSetup[] = ['none', 'joint', 'separate', 'reconvening', 'reconvening-elapsed', 'paused'];
export const RECONVENE_SECONDS = 60;

/** Drives a fresh world into a phase with the lead mediator's commands (separate: mediator in side A's room). */
export function enterPhase(w: World, phase: PhaseSetup): void {
  const step = (c: Command): void => {
    exec(w, 'lead', c);
    advance(w, 1_000);
  };
  if (phase === 'none') return;
  step(cmd('start-session', {}));
  switch (phase) {
    case 'joint':
      return;
    case 'paused':
      step(cmd('pause', {}));
      return;
    case 'separate':
      step(cmd('start-separate', { sideId: w.sideA, purpose: null }));
      return;
    case 'reconvening':
    case 'reconvening-elapsed':
      step(cmd('start-separate', { sideId: w.sideA, purpose: null }));
      exec(w, 'lead', cmd('reconvene', { countdownSeconds: RECONVENE_SECONDS }));
      advance(w, phase === 'reconvening' ? 1_000 : RECONVENE_SECONDS * 1_000);
      return;
  }
}

export const phaseNow = (w: World): Phase => effectivePhase(w.state.session, w.now);

/** Posts a message and returns the ItemMeta the service would load for it. */
export function post(w: World, who: Who, stream: string, label: 'confidential' | 'shareable' | null = null): ItemMeta {
  const events = exec(w, who, cmd('post-message', { stream, body: `a message from ${who}`, label }));
  const e = events[0];
  if (!e || e.type !== 'message.posted') throw new Error('fixture: expected message.posted');
  return { id: e.data.messageId, stream: e.stream, authorId: e.data.authorId, label: e.data.label, conveyed: false };
}

export const caucusA = (w: World): string => caucusStream(w.sideA);
export const caucusB = (w: World): string => caucusStream(w.sideB);
