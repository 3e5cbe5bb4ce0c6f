import { randomBytes } from 'node:crypto';
import { type CaseState, mayObserve, type Participant, type StoredEvent } from '@caucus/domain';
import { CaseView, EventView, ReadResponse, ServerFrame } from '@caucus/protocol';
import { z } from 'zod';
import { hashToken } from '../../src/platform.ts';
import { type Browser, join, type LiveClient, type Res, type TestServer } from '../harness.ts';

/**
 * Support for the confidentiality suites: a world of actors around one case, every
 * observation they make (each live frame as raw text, each HTTP answer), and the
 * checker that holds every observation against the visibility oracle (`mayObserve`).
 */

export type ActorName = 'M' | 'A1' | 'A2' | 'R' | 'B1' | 'B2' | 'V' | 'U' | 'O' | 'O2' | 'X';
/**
 * M mediator; A1/B1 parties; A2/B2 representatives; R is removed, V revoked, U never
 * accepts, O observes from the start, O2 is admitted as an observer mid-run (until then it
 * has no cookie, like X), X has no cookie.
 */
export const ACTORS: readonly ActorName[] = ['M', 'A1', 'A2', 'R', 'B1', 'B2', 'V', 'U', 'O', 'O2', 'X'];
/** Actors that hold a live socket (U and X are refused one, which is checked too). */
export const SOCKET_ACTORS: readonly ActorName[] = ['M', 'A1', 'A2', 'R', 'B1', 'B2', 'V', 'O'];

let markerNo = 0;
/** A unique secret string to plant in content; found again by a token scan of observations. */
export const marker = (): string => `mkr-${++markerNo}-rkm`;
const MARKER = /^mkr-\d+-rkm$/;
/** A well-formed id that names nothing (for the C9 twins). */
export const fakeId = (): string => randomBytes(16).toString('base64url').slice(0, 22);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const api = (caseId: string): string => `/api/v1/cases/${caseId}`;

export async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

export interface HttpObs {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly text: string;
  /** Sent after this actor's access shrank and the change was acknowledged (C7). */
  readonly sentAfterCut: boolean;
}

export interface Actor {
  readonly name: ActorName;
  /** Replaced once, for O2 when it is admitted. */
  browser: Browser;
  pid: string | null;
  readonly sockets: LiveClient[];
  readonly http: HttpObs[];
  readonly refusals: string[];
  /** Set once the removal / revocation of this actor was acknowledged. */
  cutAcked: boolean;
}

export type Target =
  | { readonly kind: 'stream'; readonly caseId: string; readonly stream: string }
  | { readonly kind: 'message'; readonly caseId: string; readonly messageId: string }
  | { readonly kind: 'case'; readonly caseId: string };

/** A request about an object and the same request about one that does not exist (C9). */
export interface Probe {
  readonly actor: ActorName;
  readonly what: string;
  readonly target: Target;
  readonly real: Res;
  readonly none: Res;
}

export interface OtherCase {
  readonly caseId: string;
  readonly sideId: string;
  readonly messageIds: readonly string[];
}

export interface World {
  readonly server: TestServer;
  readonly caseId: string;
  readonly sides: { readonly A: string; readonly B: string };
  readonly actors: Record<ActorName, Actor>;
  readonly other: OtherCase;
  readonly settings: { readonly regime: 'opt-in' | 'opt-out'; readonly requesterVisible: boolean };
  /** Messages (any room) and caucus requests created in this run: targets for labels and answers. */
  readonly messages: { id: string; stream: string }[];
  readonly requests: string[];
  readonly probes: Probe[];
  /** Violations found while running (sockets not closed on time, upgrades that should fail). */
  readonly violations: string[];
}

export async function call<T = unknown>(w: World, who: ActorName, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<Res<T>> {
  const a = w.actors[who];
  const sentAfterCut = a.cutAcked;
  // A request the server never answers is a finding too: fail fast and name it.
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within 15 s: ${who} ${method} ${url}`)), 15_000);
  });
  const res = await Promise.race([a.browser.request<T>(method, url, method === 'POST' ? (body ?? {}) : undefined), hung]).finally(() => clearTimeout(timer));
  a.http.push({ method, url, status: res.status, text: res.text, sentAfterCut });
  return res;
}

/** Sends a request about `target` and its twin about nothing; records both for the C9 check. */
export async function probe(w: World, who: ActorName, what: string, target: Target, method: 'GET' | 'POST', url: string, twinUrl: string, body?: unknown): Promise<Res> {
  const real = await call(w, who, method, url, body);
  const none = await call(w, who, method, twinUrl, body);
  w.probes.push({ actor: who, what, target, real, none });
  return real;
}

/**
 * Makes the worst interleaving deterministic: every session lookup of `browser`'s
 * participant session (up to `max` of them; later ones pass) is answered, as it stands when
 * read, only once `release` is called. Requests and upgrades of that participant are thus
 * authenticated, then held, while the test changes their access (C7).
 */
export function holdSessionsOf(server: TestServer, browser: Browser, max = Infinity): { held(): number; release(): void; restore(): void } {
  const accounts = server.svc.accounts;
  const original = accounts.session.bind(accounts);
  const hash = hashToken(browser.cookies.get(`caucus_p_${browser.as ?? ''}`) ?? '');
  let held = 0;
  let release = (): void => undefined;
  const released = new Promise<void>((r) => (release = r));
  let open = false;
  accounts.session = async (idHash, now) => {
    const row = await original(idHash, now);
    if (!open && idHash === hash && held < max) {
      held += 1;
      await released;
    }
    return row;
  };
  return {
    held: () => held,
    release() {
      open = true;
      release();
    },
    restore() {
      open = true;
      release();
      accounts.session = original;
    },
  };
}

export const liveSockets = (a: Actor): LiveClient[] => a.sockets.filter((s) => s.closed === null);

/** Opens a live socket and waits until its resume is served (or it is refused / closed). */
export async function openLive(w: World, who: ActorName, resume: Record<string, number>): Promise<LiveClient | null> {
  const a = w.actors[who];
  const cutBefore = a.cutAcked;
  let c: LiveClient;
  try {
    c = await a.browser.live(w.caseId, resume);
  } catch (e) {
    a.refusals.push(e instanceof Error ? e.message : String(e));
    return null;
  }
  a.sockets.push(c);
  if (cutBefore || who === 'U' || who === 'X' || a.pid === null) w.violations.push(`[C6][C7] ${who} was given a live socket it must not have`);
  await waitFor(() => c.closed !== null || c.frames.some((f) => f.t === 'caught-up'), 3000);
  return c;
}

/** The last position this actor saw of each stream, over all its sockets. */
export function lastSeen(a: Actor): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of a.sockets) for (const e of s.events()) out[e.stream] = Math.max(out[e.stream] ?? 0, e.position);
  return out;
}

/** The streams the latest view this actor got (live or HTTP) lists: a client resumes all of them. */
export function knownStreams(a: Actor): string[] {
  const views = a.sockets.flatMap((s) => s.frames.flatMap((f) => (f.t === 'hello' || f.t === 'view' ? [f.view] : [])));
  return views.at(-1)?.streams.map((s) => s.id) ?? [];
}

/** Waits until every open socket has been sent everything so far (a ping's pong comes after). */
export async function settle(w: World): Promise<void> {
  const pongs = (c: LiveClient) => c.frames.filter((f) => f.t === 'pong').length;
  const open = Object.values(w.actors).flatMap(liveSockets);
  await Promise.all(
    open.map(async (c) => {
      const before = pongs(c);
      c.send({ t: 'ping' });
      await waitFor(() => pongs(c) > before || c.closed !== null, 3000);
    }),
  );
}

export async function closeAll(w: World): Promise<void> {
  const open = Object.values(w.actors).flatMap(liveSockets);
  for (const c of open) c.close();
  await Promise.all(open.map((c) => c.untilClosed(2000).catch(() => null)));
}

// ---------------------------------------------------------------------------------------
// Setting up a world

type Created = {
  case: { id: string; sides: { id: string; name: string }[]; participants: { id: string; role: string; displayName: string }[] };
  invitations: { participantId: string; displayName: string; url: string }[];
};

/** A second case, of another mediator: every id and word in it is foreign to the world's case. */
export async function otherCase(server: TestServer, mediator: Browser): Promise<OtherCase> {
  const r = await mediator.post<Created>('/api/v1/cases', {
    title: 'Another case',
    regime: 'opt-in',
    sides: [
      { name: 'North', members: [{ role: 'party', displayName: 'Nora North', email: `${marker()}@example.org` }] },
      { name: 'South', members: [{ role: 'party', displayName: 'Sam South' }] },
    ],
  });
  if (r.status !== 201) throw new Error(`other case: ${r.status} ${r.text}`);
  const c = r.body.case;
  const sideId = c.sides[0]?.id ?? '';
  await mediator.post(`${api(c.id)}/session/start`);
  const ids: string[] = [];
  for (const stream of ['joint', `caucus:${sideId}`, 'mediators', 'notes:general', `notes:${sideId}`]) {
    const p = await mediator.post<{ created: { id: string }[] }>(`${api(c.id)}/rooms/${stream}/messages`, { body: `foreign ${marker()}` });
    if (p.status !== 200) throw new Error(`other case post: ${p.status} ${p.text}`);
    ids.push(...p.body.created.map((x) => x.id));
  }
  return { caseId: c.id, sideId, messageIds: ids };
}

/**
 * Opens the world's case: side A (A1 party, A2 representative, R party), side B (B1 party,
 * B2 representative, V party, U party who never accepts) and an observer O admitted after
 * some joint activity. Every live socket is opened; U's and X's upgrades are refused.
 */
export async function setupWorld(
  server: TestServer,
  mediator: Browser,
  other: OtherCase,
  settings: { regime: 'opt-in' | 'opt-out'; requesterVisible: boolean },
): Promise<World> {
  const names: Record<string, ActorName> = {
    'Ana A1': 'A1',
    'Rui A2': 'A2',
    'Al R': 'R',
    'Bea B1': 'B1',
    'Ben B2': 'B2',
    'Val V': 'V',
    'Uma U': 'U',
    'Oli O': 'O',
  };
  const email = () => `${marker()}@example.org`;
  const r = await mediator.post<Created>('/api/v1/cases', {
    title: 'Model run',
    reference: 'MR-1',
    regime: settings.regime,
    settings: { requesterVisible: settings.requesterVisible, observersAllowed: true },
    sides: [
      { name: 'Side A', members: [{ role: 'party', displayName: 'Ana A1', email: email() }, { role: 'representative', displayName: 'Rui A2' }, { role: 'party', displayName: 'Al R' }] },
      {
        name: 'Side B',
        members: [
          { role: 'party', displayName: 'Bea B1', email: email() },
          { role: 'representative', displayName: 'Ben B2', email: email() },
          { role: 'party', displayName: 'Val V' },
          { role: 'party', displayName: 'Uma U' },
        ],
      },
    ],
    observers: [{ displayName: 'Oli O', email: email() }],
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  const c = r.body.case;
  const [sideA, sideB] = c.sides;
  if (!sideA || !sideB) throw new Error('create: two sides expected');
  const mk = (name: ActorName, browser: Browser, pid: string | null): Actor => ({ name, browser, pid, sockets: [], http: [], refusals: [], cutAcked: false });
  const mediatorPid = c.participants.find((p) => p.role === 'mediator')?.id ?? null;
  const actors: Partial<Record<ActorName, Actor>> = { M: mk('M', mediator, mediatorPid), X: mk('X', server.browser(), null), O2: mk('O2', server.browser(), null) };
  const links = new Map(r.body.invitations.map((i) => [names[i.displayName], i.url]));
  for (const name of ['A1', 'A2', 'R', 'B1', 'B2', 'V'] as const) {
    const j = await join(server, links.get(name) ?? '', true);
    actors[name] = mk(name, j.browser, j.participantId);
  }
  const u = await join(server, links.get('U') ?? '', false);
  actors.U = mk('U', u.browser, u.participantId);
  // Joint activity before the observer's admission: O must never see it (C6).
  const pre = await mediator.post(`${api(c.id)}/rooms/joint/messages`, { body: `before the observer ${marker()}` });
  if (pre.status !== 200) throw new Error(`pre-admission post: ${pre.status} ${pre.text}`);
  const o = await join(server, links.get('O') ?? '', true);
  actors.O = mk('O', o.browser, o.participantId);

  const w: World = {
    server,
    caseId: c.id,
    sides: { A: sideA.id, B: sideB.id },
    actors: actors as Record<ActorName, Actor>,
    other,
    settings,
    messages: [],
    requests: [],
    probes: [],
    violations: [],
  };
  for (const name of SOCKET_ACTORS) await openLive(w, name, greedy(w));
  for (const name of ['U', 'X', 'O2'] as const) await openLive(w, name, greedy(w));
  return w;
}

/**
 * A resume asking for every stream from the start, including rooms the actor may not
 * observe: the server must serve only what the oracle allows (C5, C6).
 */
export const greedy = (w: World): Record<string, number> => ({
  session: 0,
  joint: 0,
  [`caucus:${w.sides.A}`]: 0,
  [`caucus:${w.sides.B}`]: 0,
  counsel: 0,
  mediators: 0,
  'notes:general': 0,
  [`notes:${w.sides.A}`]: 0,
  [`notes:${w.sides.B}`]: 0,
});

/** Admits O2 as an observer now: added, invited, joined and accepted, then connected. */
export async function admitObserver(w: World): Promise<void> {
  const o2 = w.actors.O2;
  if (o2.pid !== null) return;
  const added = await call<{ created: { id: string }[] }>(w, 'M', 'POST', `${api(w.caseId)}/participants`, {
    role: 'observer',
    displayName: 'Ola O2',
    email: `${marker()}@example.org`,
  });
  const id = added.body.created[0]?.id;
  if (added.status !== 200 || !id) throw new Error(`add observer: ${added.status} ${added.text}`);
  const link = await call<{ url: string }>(w, 'M', 'POST', `${api(w.caseId)}/participants/${id}/invitation`);
  if (link.status !== 201) throw new Error(`invite observer: ${link.status} ${link.text}`);
  const j = await join(w.server, link.body.url, true);
  o2.browser = j.browser;
  o2.pid = j.participantId;
  await openLive(w, 'O2', greedy(w));
}

// ---------------------------------------------------------------------------------------
// The checker

/** Something in the log an observer may only know if it may observe where it lives. */
interface Secret {
  readonly caseId: string;
  readonly stream: string;
  readonly position: number;
  /** Commit order in the case (the audit sequence). */
  readonly seq: number;
  readonly type: string;
}

const Created = z.object({ view: CaseView, created: z.array(z.object({ id: z.string(), stream: z.string(), position: z.number() })) });

async function readLog(server: TestServer, caseId: string): Promise<{ state: CaseState; events: StoredEvent[]; seqOf: Map<string, number> }> {
  const rec = await server.svc.cases.load(caseId);
  if (!rec) throw new Error(`no case ${caseId}`);
  const events: StoredEvent[] = [];
  for (const stream of Object.keys(rec.state.heads)) events.push(...(await server.svc.cases.readStream(caseId, stream, 0, 1_000_000)));
  const audit = await server.svc.cases.audit(caseId);
  return { state: rec.state, events, seqOf: new Map(audit.entries.map((e) => [e.eventId, e.seq])) };
}

/** Every key a secret is known by: event id, message/request id, and planted markers. */
function keysOf(e: StoredEvent): string[] {
  const keys = [e.id];
  const data = e.data as Record<string, unknown>;
  for (const k of ['messageId', 'requestId']) {
    const id = data[k];
    if (typeof id === 'string') keys.push(id);
  }
  if (e.content) for (const tok of tokens(JSON.stringify(e.content))) if (MARKER.test(tok)) keys.push(tok);
  return keys;
}

function tokens(text: string): string[] {
  return text.split(/[^A-Za-z0-9_-]+/).filter((t) => t.length > 0);
}

/**
 * The state as the oracle should judge this participant by: before any removal of them
 * (removal is checked by commit order instead), with observer floors taken from the log.
 */
function asBefore(state: CaseState, p: Participant | undefined, floorsOf: Map<string, Record<string, number>>): CaseState {
  if (!p) return state;
  const floors = p.role === 'observer' ? (floorsOf.get(p.id) ?? { session: Infinity, joint: Infinity }) : p.floors;
  return { ...state, participants: { ...state.participants, [p.id]: { ...p, removed: false, floors } } };
}

export interface CheckResult {
  readonly violations: string[];
  readonly counts: { frames: number; http: number; probes: number };
}

/**
 * Holds every observation of every actor against the oracle, on the final state of the
 * case (access only shrinks in these runs, and only by removal or revocation):
 *  - an actor never removed may get an event only if mayObserve(final state) allows it;
 *  - a removed / revoked actor additionally gets nothing committed after the change (C7);
 *  - no secret (event id, message / request id, planted marker) reaches anyone who may not
 *    observe where it lives (C1, C2, C6, C12);
 *  - hidden objects are answered byte-for-byte like absent ones (C9).
 */
export async function check(w: World): Promise<CheckResult> {
  const v: string[] = [...w.violations];
  const { state, events, seqOf } = await readLog(w.server, w.caseId);
  const foreign = await readLog(w.server, w.other.caseId);
  const secrets = new Map<string, Secret>();
  const add = (caseId: string, e: StoredEvent, seqs: Map<string, number>) => {
    const s: Secret = { caseId, stream: e.stream, position: e.position, seq: seqs.get(e.id) ?? Number.MAX_SAFE_INTEGER, type: e.type };
    for (const k of keysOf(e)) if (!secrets.has(k)) secrets.set(k, s);
  };
  for (const e of events.sort((a, b) => (seqOf.get(a.id) ?? 0) - (seqOf.get(b.id) ?? 0))) add(w.caseId, e, seqOf);
  for (const e of foreign.events) add(w.other.caseId, e, foreign.seqOf);

  // C12: without the setting, nothing about a request leaves the requesting side's room.
  if (!state.settings.requesterVisible)
    for (const e of events) if (e.type.startsWith('caucus.') && e.stream === 'session') v.push(`[C12] ${e.type} in the session stream`);

  // The moment access shrank, in commit order (C7).
  const cutSeq = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'participant.removed' && e.type !== 'invitation.revoked') continue;
    const pid = e.data.participantId;
    const seq = seqOf.get(e.id) ?? 0;
    cutSeq.set(pid, Math.min(cutSeq.get(pid) ?? Infinity, seq));
  }

  // C6: an observer's floors, computed from the log rather than trusted from the state:
  // what was committed in each shared stream before their acceptance.
  const floorsOf = new Map<string, Record<string, number>>();
  for (const e of events) {
    if (e.type !== 'agreement.accepted') continue;
    const pid = (e.data as { participantId: string }).participantId;
    if (state.participants[pid]?.role !== 'observer') continue;
    const at = seqOf.get(e.id) ?? 0;
    const before = (stream: string) => events.filter((x) => x.stream === stream && (seqOf.get(x.id) ?? 0) < at).length;
    floorsOf.set(pid, { session: before('session'), joint: before('joint') });
  }

  let frames = 0;
  let http = 0;
  for (const a of Object.values(w.actors)) {
    const pid = a.pid;
    // The state as it was for this actor before any removal of it.
    const p = pid ? state.participants[pid] : undefined;
    const st = asBefore(state, p, floorsOf);
    const cut = pid ? cutSeq.get(pid) : undefined;
    const mayStream = (stream: string) => pid !== null && mayObserve(st, pid, { stream });
    const allowed = (s: Secret) =>
      s.caseId === w.caseId && pid !== null && mayObserve(st, pid, { stream: s.stream, position: s.position }) && (cut === undefined || s.seq < cut);
    const isMediator = p?.role === 'mediator';
    const where = (src: string) => `${a.name} ${src}`;
    // C6: an observer counts each shared stream from its admission; the rest from 1.
    const offsetOf = (stream: string) => (p?.role === 'observer' ? (floorsOf.get(p.id)?.[stream] ?? Infinity) : 0);
    const headOf = (stream: string) => events.filter((e) => e.stream === stream).length;
    const checkHead = (stream: string, head: number, src: string) => {
      if (head < 0 || head > headOf(stream) - offsetOf(stream)) v.push(`[C6] ${where(src)}: head ${head} of ${stream} is not in the viewer's numbering`);
    };

    const checkView = (view: CaseView, src: string) => {
      if (view.id !== w.caseId) v.push(`${where(src)}: a view of another case`);
      if (view.me.participantId !== pid) v.push(`${where(src)}: a view for someone else`);
      for (const s of view.streams) {
        if (!mayStream(s.id)) v.push(`[C1][C2] ${where(src)}: view lists stream ${s.id}`);
        else checkHead(s.id, s.head, src);
      }
      if (!isMediator && view.session.ready.some((sid) => sid !== p?.sideId)) v.push(`[C8] ${where(src)}: view shows another side's ready signal`);
    };
    const checkEvent = (e: EventView, src: string) => {
      const s = secrets.get(e.id);
      if (!s) return v.push(`${where(src)}: event ${e.id} (${e.type}) is in no log`);
      if (s.caseId !== w.caseId) return v.push(`[C5] ${where(src)}: event ${e.type} of another case`);
      if (s.stream !== e.stream || s.position - offsetOf(s.stream) !== e.position) v.push(`[C6] ${where(src)}: event ${e.id} misplaced (${s.stream}@${s.position} arrived as ${e.stream}@${e.position})`);
      if (e.type === 'agreement.accepted' && !isMediator && (e.data as { floors?: unknown }).floors !== null) v.push(`[C6] ${where(src)}: admission floors reach a non-mediator`);
      if (!allowed(s)) v.push(`[C1][C2][C6][C7] ${where(src)}: event ${e.type} in ${e.stream}@${e.position} (seq ${s.seq}, cut ${cut ?? '-'})`);
    };

    const texts: string[] = [];
    for (const [i, sock] of a.sockets.entries()) {
      for (const raw of sock.raw) {
        frames += 1;
        texts.push(raw);
        const parsed = ServerFrame.safeParse(JSON.parse(raw));
        const src = `socket#${i}`;
        if (!parsed.success) {
          v.push(`${where(src)}: frame does not match the protocol: ${raw.slice(0, 200)}`);
          continue;
        }
        const f = parsed.data;
        if (f.t === 'hello' || f.t === 'view') checkView(f.view, `${src} ${f.t}`);
        else if (f.t === 'event') checkEvent(f.event, src);
        else if (f.t === 'caught-up') {
          for (const [s, head] of Object.entries(f.heads)) {
            if (!mayStream(s)) v.push(`[C1] ${where(src)}: caught-up names ${s}`);
            else checkHead(s, head, `${src} caught-up`);
          }
        } else if (f.t === 'ack') {
          for (const c of f.created) {
            const s = secrets.get(c.id);
            if (s && !allowed(s)) v.push(`[C7] ${where(src)}: ack names ${c.id} in ${c.stream} (seq ${s.seq}, cut ${cut ?? '-'})`);
          }
        } else if (f.t === 'presence' || f.t === 'typing') {
          if (!mayStream(f.stream)) v.push(`[C1] ${where(src)}: ${f.t} of ${f.stream}`);
          const who = f.t === 'presence' ? f.online : [f.participantId];
          for (const id of who) {
            if (!mayObserve(asBefore(state, state.participants[id], floorsOf), id, { stream: f.stream })) v.push(`[C1] ${where(src)}: ${f.t} names ${id} in ${f.stream}`);
          }
        }
      }
    }
    for (const h of a.http) {
      http += 1;
      texts.push(h.text);
      const src = `${h.method} ${h.url} → ${h.status}`;
      if (h.sentAfterCut && h.status < 400) v.push(`[C7] ${where(src)}: answered after access was revoked`);
      if (h.status >= 300 || !h.text) continue;
      const body: unknown = JSON.parse(h.text);
      const cmd = Created.safeParse(body);
      if (cmd.success) {
        checkView(cmd.data.view, src);
        for (const c of cmd.data.created) {
          const s = secrets.get(c.id);
          if (s && !allowed(s)) v.push(`[C7] ${where(src)}: created ${c.id} in ${c.stream} (seq ${s.seq}, cut ${cut ?? '-'})`);
        }
        continue;
      }
      const view = CaseView.safeParse(body);
      if (view.success) checkView(view.data, src);
      const read = ReadResponse.safeParse(body);
      if (read.success) for (const e of read.data.events) checkEvent(e, src);
      if (read.success) {
        const stream = /\/streams\/([^/]+)\/events/.exec(h.url)?.[1];
        if (stream) checkHead(decodeURIComponent(stream), read.data.head, src);
      }
    }

    // Not vacuous: everyone whose access never shrank got every event they may observe,
    // over their sockets and resumes (the log, not the socket, is the truth).
    if (p && p.acceptedAt !== null && cut === undefined && a.sockets.length > 0) {
      const got = new Set(a.sockets.flatMap((sock) => sock.events().map((e) => `${e.stream}@${e.position}`)));
      const missing = events.filter((e) => mayObserve(st, p.id, { stream: e.stream, position: e.position }) && !got.has(`${e.stream}@${e.position - offsetOf(e.stream)}`));
      if (missing.length > 0) v.push(`[resume] ${a.name} never received ${missing.length} event(s), e.g. ${missing.slice(0, 3).map((e) => `${e.type} ${e.stream}@${e.position}`).join(', ')}`);
    }

    // No secret reaches anyone who may not observe where it lives (C1, C2, C6, C12).
    const seen = new Set(texts.flatMap(tokens));
    for (const tok of seen) {
      const s = secrets.get(tok);
      if (s) {
        if (!allowed(s)) v.push(`[C1][C2][C6] ${a.name} saw ${MARKER.test(tok) ? 'marker' : 'id'} ${tok} of ${s.type} in ${s.stream}@${s.position}${s.caseId === w.caseId ? '' : ' of another case'}`);
      } else if (MARKER.test(tok)) v.push(`[C1] ${a.name} saw marker ${tok} that is in no log (a rejected write echoed?)`);
    }
  }

  // C9: what an actor may not observe is answered exactly as what does not exist.
  const itemStream = new Map(events.flatMap((e) => (e.type === 'message.posted' ? [[e.data.messageId, e.stream] as const] : [])));
  for (const pr of w.probes) {
    const a = w.actors[pr.actor];
    const pid = a.pid;
    const st = asBefore(state, pid ? state.participants[pid] : undefined, floorsOf);
    const t = pr.target;
    let hidden: boolean;
    if (t.caseId !== w.caseId || pid === null) hidden = true;
    else if (t.kind === 'case') hidden = false;
    else {
      const stream = t.kind === 'stream' ? t.stream : itemStream.get(t.messageId);
      hidden = stream === undefined || !mayObserve(st, pid, { stream });
    }
    if (hidden && (pr.real.status !== pr.none.status || pr.real.text !== pr.none.text))
      v.push(`[C9] ${pr.actor} ${pr.what}: hidden answered ${pr.real.status} ${pr.real.text} but absent ${pr.none.status} ${pr.none.text}`);
  }
  return { violations: v, counts: { frames, http, probes: w.probes.length } };
}
