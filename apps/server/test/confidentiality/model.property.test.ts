import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../harness.ts';
import { testServer, type TestServer } from '../harness.ts';
import {
  ACTORS,
  admitObserver,
  type ActorName,
  api,
  call,
  check,
  closeAll,
  fakeId,
  holdSessionsOf,
  knownStreams,
  lastSeen,
  liveSockets,
  marker,
  openLive,
  otherCase,
  type OtherCase,
  probe,
  setupWorld,
  settle,
  waitFor,
  type World,
} from './support.ts';

/**
 * Model-based confidentiality tests: random command sequences by random actors drive the
 * real server over real HTTP and WebSockets; every frame and every answer each actor got
 * is then held against the visibility oracle (see support.ts `check`).
 */

type Side = 'A' | 'B';
type Label = 'confidential' | 'shareable';
type RoomRef =
  | 'joint'
  | 'caucusA'
  | 'caucusB'
  | 'counsel'
  | 'mediators'
  | 'notesG'
  | 'notesA'
  | 'notesB'
  | 'session'
  | 'forged'
  | 'malformed'
  | 'case2joint'
  | 'case2caucus';

export type Cmd =
  | { k: 'start' | 'pause' | 'end' | 'open-joint'; by: ActorName }
  | { k: 'separate'; by: ActorName; side: Side; purpose: boolean }
  | { k: 'move'; by: ActorName; side: Side | null }
  | { k: 'reconvene'; by: ActorName; countdown: number }
  | { k: 'clock'; ms: number }
  | { k: 'post'; by: ActorName; room: RoomRef; label: Label | null; via?: 'http' | 'live' }
  | { k: 'label'; by: ActorName; msg: number | 'other-case' | 'absent'; label: Label }
  | { k: 'ready'; by: ActorName }
  | { k: 'request'; by: ActorName; reason: boolean }
  | { k: 'answer'; by: ActorName; req: number | 'absent'; answer: 'accepted' | 'declined' | 'deferred' }
  | { k: 'read'; by: ActorName; room: RoomRef; after: number }
  | { k: 'view'; by: ActorName; otherCase: boolean }
  | { k: 'reconnect'; by: ActorName; rewind: boolean }
  | { k: 'bad-frame'; by: ActorName; frame: number }
  | { k: 'focus' | 'typing'; by: ActorName; room: RoomRef }
  | { k: 'race'; by: ActorName; side: Side | null; room: RoomRef }
  | { k: 'revoke' | 'remove'; by: ActorName; race: 'none' | 'concurrent' | 'held' }
  | { k: 'admit' };

export interface RunInput {
  readonly regime: 'opt-in' | 'opt-out';
  readonly requesterVisible: boolean;
  readonly cmds: readonly Cmd[];
}

// ---------------------------------------------------------------------------------------
// Arbitraries

const anyone = fc.constantFrom<ActorName>(...ACTORS);
const member = fc.constantFrom<ActorName>('A1', 'A2', 'B1', 'B2', 'R', 'V', 'O', 'O2', 'M');
const mostlyMediator = fc.oneof({ weight: 5, arbitrary: fc.constant<ActorName>('M') }, { weight: 1, arbitrary: anyone });
const poster = fc.oneof({ weight: 4, arbitrary: member }, { weight: 1, arbitrary: anyone });
const side = fc.constantFrom<Side>('A', 'B');
const label = fc.constantFrom<Label>('confidential', 'shareable');
const room = fc.constantFrom<RoomRef>(
  'joint',
  'caucusA',
  'caucusB',
  'counsel',
  'mediators',
  'notesG',
  'notesA',
  'notesB',
  'session',
  'forged',
  'malformed',
  'case2joint',
  'case2caucus',
);
const ownRoomish = fc.oneof({ weight: 3, arbitrary: fc.constantFrom<RoomRef>('joint', 'caucusA', 'caucusB') }, { weight: 2, arbitrary: room });

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('start' as const), by: mostlyMediator }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('separate' as const), by: mostlyMediator, side, purpose: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('move' as const), by: mostlyMediator, side: fc.option(side, { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('reconvene' as const), by: mostlyMediator, countdown: fc.constantFrom(0, 0, 30, 120) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('pause' as const, 'end' as const, 'open-joint' as const), by: mostlyMediator }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('clock' as const), ms: fc.constantFrom(1_000, 30_000, 120_000) }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('post' as const), by: poster, room: ownRoomish, label: fc.option(label, { nil: null }), via: fc.constantFrom('http' as const, 'http' as const, 'live' as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('label' as const),
      by: poster,
      msg: fc.oneof({ weight: 5, arbitrary: fc.nat(50) }, { weight: 1, arbitrary: fc.constantFrom('other-case' as const, 'absent' as const) }),
      label,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('ready' as const), by: poster }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('request' as const), by: poster, reason: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('answer' as const),
      by: mostlyMediator,
      req: fc.oneof({ weight: 4, arbitrary: fc.nat(10) }, { weight: 1, arbitrary: fc.constant('absent' as const) }),
      answer: fc.constantFrom('accepted' as const, 'declined' as const, 'deferred' as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('read' as const), by: anyone, room, after: fc.constantFrom(0, 0, 1, 3) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('view' as const), by: anyone, otherCase: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('reconnect' as const), by: anyone, rewind: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('bad-frame' as const), by: member, frame: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('focus' as const, 'typing' as const), by: member, room }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('race' as const), by: poster, side: fc.option(side, { nil: null }), room: ownRoomish }) },
  { weight: 1, arbitrary: fc.constant<Cmd>({ k: 'admit' }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constantFrom('revoke' as const, 'remove' as const), by: mostlyMediator, race: fc.constantFrom('none' as const, 'concurrent' as const, 'held' as const) }),
  },
);

/** Most runs open with a live session in separate sessions, where the caucus rooms matter most. */
const opening = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Cmd[]>([]) },
  { weight: 1, arbitrary: fc.constant<Cmd[]>([{ k: 'start', by: 'M' }]) },
  { weight: 4, arbitrary: side.map((s): Cmd[] => [{ k: 'start', by: 'M' }, { k: 'separate', by: 'M', side: s, purpose: true }]) },
);

const runArb: fc.Arbitrary<RunInput> = fc.record({
  regime: fc.constantFrom('opt-in' as const, 'opt-out' as const),
  requesterVisible: fc.boolean(),
  cmds: fc.tuple(opening, fc.array(cmdArb, { minLength: 10, maxLength: 38 })).map(([o, rest]) => [...o, ...rest]),
});

// ---------------------------------------------------------------------------------------
// The executor: one command → real requests and socket actions

const MALFORMED = ['lobby', 'caucus:', 'caucus:../joint', 'CAUCUS:x', 'notes:a b', 'caucus:' + 'x'.repeat(65)];
const BAD_FRAMES = [
  'not json',
  '{"t":"resume","v":1,"streams":{"lobby":0}}',
  '{"t":"focus","stream":"caucus:../x"}',
  '{"t":"resume","v":2,"streams":{}}',
  '{"t":"subscribe","stream":"mediators"}',
];
const enc = encodeURIComponent;

interface RoomTarget {
  readonly caseId: string;
  readonly stream: string;
  readonly wellFormed: boolean;
}

function roomOf(w: World, ref: RoomRef, i: number): RoomTarget {
  const here = (stream: string): RoomTarget => ({ caseId: w.caseId, stream, wellFormed: true });
  switch (ref) {
    case 'joint':
    case 'counsel':
    case 'mediators':
    case 'session':
      return here(ref);
    case 'caucusA':
      return here(`caucus:${w.sides.A}`);
    case 'caucusB':
      return here(`caucus:${w.sides.B}`);
    case 'notesG':
      return here('notes:general');
    case 'notesA':
      return here(`notes:${w.sides.A}`);
    case 'notesB':
      return here(`notes:${w.sides.B}`);
    case 'forged':
      return here(`caucus:${fakeId()}`);
    case 'malformed':
      return { caseId: w.caseId, stream: MALFORMED[i % MALFORMED.length] ?? 'lobby', wellFormed: false };
    case 'case2joint':
      return { caseId: w.other.caseId, stream: 'joint', wellFormed: true };
    case 'case2caucus':
      return { caseId: w.other.caseId, stream: `caucus:${w.other.sideId}`, wellFormed: true };
  }
}

/** The same room shape, in nothing that exists: a fresh side id, or a case that does not exist. */
const twinOf = (w: World, t: RoomTarget): RoomTarget =>
  t.caseId !== w.caseId ? { ...t, caseId: fakeId() } : { ...t, stream: `${t.stream.startsWith('notes:') ? 'notes' : 'caucus'}:${fakeId()}` };

type CreatedBody = { created?: { id: string; stream: string }[] };

let commandNo = 0;

async function post(w: World, by: ActorName, t: RoomTarget, lbl: Label | null, twin: boolean, via: 'http' | 'live' = 'http'): Promise<void> {
  const url = (r: RoomTarget) => `${api(r.caseId)}/rooms/${enc(r.stream)}/messages`;
  const body = { body: `said in ${t.stream}: ${marker()}`, label: lbl };
  const sock = via === 'live' && t.caseId === w.caseId ? liveSockets(w.actors[by])[0] : undefined;
  if (sock) {
    // Over the live socket: the same command, answered by an ack or a nack (or the socket closes).
    const id = `live-cmd-${++commandNo}`;
    const sentAfterCut = w.actors[by].cutAcked;
    sock.send({ t: 'cmd', id, command: { type: 'post-message', input: { stream: t.stream, ...body } } });
    await waitFor(() => sock.closed !== null || sock.frames.some((f) => (f.t === 'ack' || f.t === 'nack') && f.id === id), 5000);
    const ack = sock.frames.find((f) => f.t === 'ack' && f.id === id);
    if (ack?.t === 'ack') {
      if (sentAfterCut) w.violations.push(`[C7] ${by}: a live command sent after its access was revoked was acknowledged`);
      w.messages.push(...ack.created);
    }
    return;
  }
  const res = twin && t.wellFormed
    ? await probe(w, by, `post ${t.stream}`, { kind: 'stream', caseId: t.caseId, stream: t.stream }, 'POST', url(t), url(twinOf(w, t)), body)
    : await call(w, by, 'POST', url(t), body);
  if (res.status === 200) {
    for (const c of (res.body as CreatedBody).created ?? []) w.messages.push(c);
  }
}

const sideId = (w: World, s: Side | null): string | null => (s === null ? null : w.sides[s]);

async function reopen(w: World, by: ActorName, rewind: boolean): Promise<void> {
  const a = w.actors[by];
  for (const s of liveSockets(a)) {
    s.close();
    await s.untilClosed(2000).catch(() => null);
  }
  // Like a client: every stream its last view listed, from the last position seen there
  // (or, rewinding, from the start: duplicates must be harmless).
  const seen = lastSeen(a);
  const from: Record<string, number> = {};
  for (const stream of [...knownStreams(a), ...Object.keys(seen)]) from[stream] = rewind ? 0 : (seen[stream] ?? 0);
  // Ask for rooms it may not observe, too: the server must ignore them (C5).
  from[`caucus:${by.startsWith('A') ? w.sides.B : w.sides.A}`] = 0;
  from.mediators = 0;
  await openLive(w, by, from);
}

/**
 * Removal of R or revocation of V, optionally raced by the victim: 'concurrent' sends the
 * victim's requests alongside; 'held' authenticates them first, holds them until the change
 * is acknowledged and a colleague has written in the victim's room, then lets them go on.
 */
async function cut(w: World, c: Extract<Cmd, { k: 'revoke' | 'remove' }>): Promise<void> {
  const victim = c.k === 'revoke' ? 'V' : 'R';
  const colleague = c.k === 'revoke' ? 'B2' : 'A2';
  const room = `caucus:${victim === 'V' ? w.sides.B : w.sides.A}`;
  const v = w.actors[victim];
  const url = c.k === 'revoke' ? `${api(w.caseId)}/participants/${v.pid ?? ''}/invitation` : `${api(w.caseId)}/participants/${v.pid ?? ''}`;
  const wasCut = v.cutAcked;
  // Exactly the three racers' authentications are held (the change may be asked by the victim).
  const gate = c.race === 'held' ? holdSessionsOf(w.server, v.browser, 3) : null;
  try {
    const racers =
      c.race === 'none'
        ? []
        : [
            post(w, victim, { caseId: w.caseId, stream: room, wellFormed: true }, null, false),
            call(w, victim, 'GET', `${api(w.caseId)}/streams/${enc(room)}/events`),
            reopen(w, victim, false),
          ];
    if (gate && !(await waitFor(() => gate.held() >= 3, 2000))) gate.release();
    const r = await call(w, c.by, 'DELETE', url);
    // Acknowledged: from now on nothing may reach the victim (C7).
    if (r.status < 300) v.cutAcked = true;
    if (gate) {
      await call(w, colleague, 'POST', `${api(w.caseId)}/rooms/${enc(room)}/messages`, { body: `after the ${c.k}: ${marker()}` });
      gate.release();
    }
    await Promise.all(racers);
    if (r.status < 300 && c.by !== 'M') w.violations.push(`[C5] ${c.by} could ${c.k} ${victim}`);
    if (r.status < 300 && !wasCut) {
      const closed = await waitFor(() => liveSockets(v).length === 0, 1000);
      if (!closed) w.violations.push(`[C7] ${victim}'s live socket stayed open after the ${c.k} was acknowledged`);
    }
  } finally {
    gate?.restore();
  }
}

async function exec(w: World, c: Cmd, i: number): Promise<void> {
  const base = api(w.caseId);
  switch (c.k) {
    case 'start':
      return void (await call(w, c.by, 'POST', `${base}/session/start`));
    case 'pause':
      return void (await call(w, c.by, 'POST', `${base}/session/pause`));
    case 'end':
      return void (await call(w, c.by, 'POST', `${base}/session/end`));
    case 'open-joint':
      return void (await call(w, c.by, 'POST', `${base}/session/open-joint`));
    case 'separate':
      return void (await call(w, c.by, 'POST', `${base}/session/separate`, { sideId: w.sides[c.side], purpose: c.purpose ? `purpose ${marker()}` : null }));
    case 'move':
      return void (await call(w, c.by, 'POST', `${base}/session/move`, { sideId: sideId(w, c.side) }));
    case 'reconvene':
      return void (await call(w, c.by, 'POST', `${base}/session/reconvene`, { countdownSeconds: c.countdown }));
    case 'clock':
      return w.server.clock.advance(c.ms);
    case 'post':
      return post(w, c.by, roomOf(w, c.room, i), c.label, true, c.via);
    case 'label': {
      const id =
        c.msg === 'absent' ? fakeId() : c.msg === 'other-case' ? (w.other.messageIds[i % w.other.messageIds.length] ?? fakeId()) : (w.messages[c.msg % Math.max(1, w.messages.length)]?.id ?? fakeId());
      const url = (m: string) => `${base}/messages/${m}/label`;
      return void (await probe(w, c.by, `label ${id}`, { kind: 'message', caseId: w.caseId, messageId: id }, 'POST', url(id), url(fakeId()), { label: c.label }));
    }
    case 'ready':
      return void (await call(w, c.by, 'POST', `${base}/session/ready`));
    case 'request': {
      const r = await call(w, c.by, 'POST', `${base}/caucus-requests`, { reason: c.reason ? `because ${marker()}` : null });
      if (r.status === 200) for (const x of (r.body as CreatedBody).created ?? []) w.requests.push(x.id);
      return;
    }
    case 'answer': {
      const id = c.req === 'absent' ? fakeId() : (w.requests[c.req % Math.max(1, w.requests.length)] ?? fakeId());
      return void (await call(w, c.by, 'POST', `${base}/caucus-requests/${id}/answer`, { answer: c.answer, reply: `reply ${marker()}` }));
    }
    case 'read': {
      const t = roomOf(w, c.room, i);
      const url = (r: RoomTarget) => `${api(r.caseId)}/streams/${enc(r.stream)}/events?after=${c.after}`;
      if (!t.wellFormed) return void (await call(w, c.by, 'GET', url(t)));
      return void (await probe(w, c.by, `read ${t.stream}`, { kind: 'stream', caseId: t.caseId, stream: t.stream }, 'GET', url(t), url(twinOf(w, t))));
    }
    case 'view': {
      if (!c.otherCase) return void (await call(w, c.by, 'GET', base));
      await probe(w, c.by, 'view other case', { kind: 'case', caseId: w.other.caseId }, 'GET', api(w.other.caseId), api(fakeId()));
      // The live endpoint answers another case's socket exactly as a case that does not exist (C9).
      const refusal = async (caseId: string): Promise<string> => {
        try {
          const s = await w.actors[c.by].browser.live(caseId, null);
          s.close();
          return 'opened';
        } catch (e) {
          return e instanceof Error ? e.message : String(e);
        }
      };
      const [real, none] = [await refusal(w.other.caseId), await refusal(fakeId())];
      if (real === 'opened' || real !== none) w.violations.push(`[C9] ${c.by}'s socket to another case: ${real} vs absent: ${none}`);
      return;
    }
    case 'reconnect':
      return reopen(w, c.by, c.rewind);
    case 'bad-frame': {
      const s = liveSockets(w.actors[c.by])[0];
      if (!s) return;
      s.send(BAD_FRAMES[c.frame % BAD_FRAMES.length] ?? 'x');
      await s.untilClosed(2000).catch(() => w.violations.push(`${c.by}: a malformed frame did not close the socket`));
      return reopen(w, c.by, false);
    }
    case 'focus':
    case 'typing': {
      const s = liveSockets(w.actors[c.by])[0];
      const t = roomOf(w, c.room, i);
      if (!s || !t.wellFormed) return;
      s.send({ t: c.k, stream: t.stream });
      return;
    }
    case 'race': {
      await Promise.all([call(w, 'M', 'POST', `${base}/session/move`, { sideId: sideId(w, c.side) }), post(w, c.by, roomOf(w, c.room, i), null, false)]);
      return;
    }
    case 'revoke':
    case 'remove':
      return cut(w, c);
    case 'admit':
      return admitObserver(w);
  }
}

// ---------------------------------------------------------------------------------------

let server: TestServer;
let mediator: Browser;
let other: OtherCase;

beforeAll(async () => {
  server = await testServer();
  mediator = await server.mediator();
  other = await otherCase(server, await server.mediator('other@example.org', 'Otto Other'));
});
afterAll(async () => {
  await server.stop();
});

/** For CAUCUS_DEBUG=1: how many answers of each kind each actor got (ids masked). */
function summary(w: World): string {
  const hist: Record<string, number> = {};
  for (const a of Object.values(w.actors))
    for (const h of a.http) {
      const key = `${a.name} ${h.method} ${h.url.replace(/[A-Za-z0-9_-]{22}/g, '*').split('?')[0] ?? ''} ${h.status}`;
      hist[key] = (hist[key] ?? 0) + 1;
    }
  return JSON.stringify(hist, null, 1);
}

async function runModel(input: RunInput): Promise<{ frames: number; http: number; probes: number }> {
  const w = await setupWorld(server, mediator, other, { regime: input.regime, requesterVisible: input.requesterVisible });
  try {
    for (const [i, c] of input.cmds.entries()) await exec(w, c, i);
    await settle(w);
    const r = await check(w);
    if (process.env.CAUCUS_DEBUG) console.log(JSON.stringify(r.counts), summary(w));
    if (r.violations.length > 0) throw new Error(`${r.violations.length} violation(s):\n  ${r.violations.slice(0, 12).join('\n  ')}`);
    return r.counts;
  } finally {
    await closeAll(w);
  }
}

/** Explicit sequences replayed on every run: shrunk counterexamples and hand-written corner cases. */
const regressions: { readonly name: string; readonly input: RunInput }[] = [
  {
    name: 'a full separate-session round with secrets on both sides, reconnects and a revocation',
    input: {
      regime: 'opt-in',
      requesterVisible: false,
      cmds: [
        { k: 'start', by: 'M' },
        { k: 'post', by: 'A1', room: 'joint', label: null },
        { k: 'separate', by: 'M', side: 'B', purpose: true },
        { k: 'post', by: 'B1', room: 'caucusB', label: null },
        { k: 'post', by: 'B2', room: 'caucusB', label: 'shareable' },
        { k: 'post', by: 'M', room: 'notesB', label: null },
        { k: 'post', by: 'M', room: 'mediators', label: null },
        { k: 'post', by: 'A2', room: 'counsel', label: null },
        { k: 'request', by: 'A1', reason: true },
        { k: 'label', by: 'A1', msg: 0, label: 'shareable' },
        { k: 'label', by: 'B1', msg: 0, label: 'shareable' },
        { k: 'read', by: 'A1', room: 'caucusB', after: 0 },
        { k: 'read', by: 'O', room: 'joint', after: 0 },
        { k: 'admit' },
        { k: 'read', by: 'O2', room: 'joint', after: 0 },
        { k: 'read', by: 'O2', room: 'session', after: 0 },
        { k: 'focus', by: 'B1', room: 'caucusB' },
        { k: 'typing', by: 'B1', room: 'caucusB' },
        { k: 'reconnect', by: 'A1', rewind: true },
        { k: 'reconnect', by: 'O', rewind: true },
        { k: 'reconnect', by: 'O2', rewind: true },
        { k: 'race', by: 'B1', side: 'A', room: 'caucusB' },
        { k: 'answer', by: 'M', req: 0, answer: 'accepted' },
        { k: 'revoke', by: 'M', race: 'concurrent' },
        { k: 'post', by: 'B2', room: 'caucusB', label: null },
        { k: 'reconnect', by: 'V', rewind: false },
        { k: 'reconvene', by: 'M', countdown: 30 },
        { k: 'clock', ms: 30_000 },
        { k: 'post', by: 'A1', room: 'joint', label: null },
        { k: 'remove', by: 'M', race: 'concurrent' },
        { k: 'post', by: 'A2', room: 'caucusA', label: null },
        { k: 'view', by: 'B1', otherCase: true },
        { k: 'read', by: 'U', room: 'joint', after: 0 },
        { k: 'read', by: 'X', room: 'joint', after: 0 },
      ],
    },
  },
  {
    // Found with the 'held' race (C7): a request or live upgrade authenticated just before a
    // revocation went on after it was acknowledged: the upgrade attached and received
    // everything, the post was accepted, the read showed what the colleague wrote after.
    // Fixed by re-confirming the session (services/access.ts confirmSession) in turn with
    // the case's commands and after reads, and by the hub's cut marks for upgrades.
    name: 'requests and an upgrade authenticated before a revocation or removal, carried on after it',
    input: {
      regime: 'opt-out',
      requesterVisible: true,
      cmds: [
        { k: 'start', by: 'M' },
        { k: 'separate', by: 'M', side: 'B', purpose: false },
        { k: 'post', by: 'V', room: 'caucusB', label: null },
        { k: 'post', by: 'R', room: 'caucusA', label: null },
        { k: 'revoke', by: 'M', race: 'held' },
        { k: 'post', by: 'B1', room: 'caucusB', label: 'confidential' },
        { k: 'reconnect', by: 'V', rewind: true },
        { k: 'remove', by: 'M', race: 'held' },
        { k: 'post', by: 'A1', room: 'caucusA', label: null },
        { k: 'move', by: 'M', side: 'A' },
        { k: 'read', by: 'R', room: 'caucusA', after: 0 },
        { k: 'view', by: 'V', otherCase: false },
      ],
    },
  },
  {
    // Shrunk counterexample (a test-client bug, kept as a liveness check of resume): V's
    // post landed in a room V had not seen an event of yet while V was reconnecting; the
    // reconnect must name every stream of its last view, or that event is never resent.
    name: "a post in a room the poster has not seen yet, while the poster's socket reconnects",
    input: {
      regime: 'opt-in',
      requesterVisible: false,
      cmds: [
        { k: 'start', by: 'M' },
        { k: 'separate', by: 'M', side: 'A', purpose: true },
        { k: 'revoke', by: 'O', race: 'concurrent' },
        { k: 'move', by: 'M', side: null },
        { k: 'race', by: 'A1', side: null, room: 'joint' },
        { k: 'request', by: 'A1', reason: false },
        { k: 'ready', by: 'M' },
        { k: 'post', by: 'A1', room: 'joint', label: null },
        { k: 'post', by: 'M', room: 'joint', label: null },
        { k: 'race', by: 'A1', side: null, room: 'joint' },
        { k: 'answer', by: 'M', req: 0, answer: 'accepted' },
        { k: 'post', by: 'A1', room: 'joint', label: null },
      ],
    },
  },
  {
    // Shrunk counterexample (a deadlock of the test's own gate, kept): the victim itself asks
    // for the revocation while its racing requests are held; it must be refused, and the
    // racing requests then carry on as usual.
    name: 'the victim asks for its own revocation while its racing requests are held',
    input: {
      regime: 'opt-in',
      requesterVisible: false,
      cmds: [
        { k: 'label', by: 'A1', msg: 0, label: 'confidential' },
        { k: 'start', by: 'M' },
        { k: 'read', by: 'M', room: 'joint', after: 0 },
        { k: 'post', by: 'M', room: 'joint', label: null },
        { k: 'revoke', by: 'V', race: 'held' },
        { k: 'label', by: 'A1', msg: 0, label: 'confidential' },
        { k: 'clock', ms: 1000 },
        { k: 'remove', by: 'R', race: 'held' },
        { k: 'post', by: 'B1', room: 'caucusB', label: null },
        { k: 'post', by: 'A2', room: 'caucusA', label: null },
      ],
    },
  },
];

describe('confidentiality under random command sequences (model-based)', () => {
  it('[C1][C2][C5][C6][C7][C9][C12] random sequences never deliver to the wrong audience', async () => {
    const seed = process.env.CAUCUS_FC_SEED ? Number(process.env.CAUCUS_FC_SEED) : undefined;
    await fc.assert(
      fc.asyncProperty(runArb, async (input) => {
        await runModel(input);
      }),
      { numRuns: Number(process.env.CAUCUS_FC_RUNS ?? 20), seed, endOnFailure: false },
    );
  }, 600_000);

  for (const r of regressions)
    it(`[C1][C2][C5][C6][C7][C9][C12] regression: ${r.name}`, async () => {
      const counts = await runModel(r.input);
      // The replay must have exercised the server, not passed vacuously.
      expect(counts.frames).toBeGreaterThan(50);
      expect(counts.http).toBeGreaterThan(5);
    }, 60_000);
});
