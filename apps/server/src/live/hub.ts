import { activeMember, type CaseState, effectivePhase, mayObserve, mayPost, observableStreams, positionOffset, type StoredEvent } from '@caucus/domain';
import { CloseCode, type ServerFrame } from '@caucus/protocol';
import type { Clock } from '../platform.ts';
import { caseViewFor, eventView, mayObserveEvent, sharedView } from '../services/case-view.ts';
import type { AccessHolder, Publisher } from '../services/ports.ts';
import { Outgoing } from './wire.ts';

/** The minimal socket the hub needs; `ws` provides it, tests can fake it. */
export interface LiveSocket {
  readonly bufferedAmount: number;
  send(data: string): void;
  /** Writes a prebuilt text frame (wire.ts) as it is; without it, the hub sends the text. */
  sendFrame?(frame: Buffer): void;
  close(code: number, reason: string): void;
  /** Holds writes back until `uncork`, so that a connection's frames of one turn leave in one system call. */
  cork?(): void;
  uncork?(): void;
}

export interface Connection {
  readonly socket: LiveSocket;
  readonly caseId: string;
  readonly participantId: string;
  readonly accountId: string | null;
  readonly sessionHash: string;
  /** When the session behind it expires (ms): from then on it gets nothing more (C7). */
  readonly expiresAt?: number;
  focus: string | null;
  /** Last position delivered per stream; nothing at or below it is sent again. */
  readonly sent: Map<string, number>;
  /** Until the client's resume is served, live events wait here, in order. */
  pending: StoredEvent[] | null;
  lastTyping: Map<string, number>;
  closed: boolean;
  corked?: boolean;
}

/** Which live connections a change of access concerns. */
export interface DisconnectMatch {
  readonly caseId?: string;
  readonly participantIds?: readonly string[];
  readonly accountId?: string;
  readonly sessionHash?: string;
}

const concerns = (match: DisconnectMatch, c: Pick<Connection, 'caseId' | 'participantId' | 'accountId' | 'sessionHash'>): boolean =>
  (!match.caseId || match.caseId === c.caseId) &&
  ((match.participantIds?.includes(c.participantId) ?? false) ||
    (match.accountId !== undefined && c.accountId === match.accountId) ||
    (match.sessionHash !== undefined && c.sessionHash === match.sessionHash));

/** How many recent access changes are remembered for upgrades still in flight. */
const REMEMBERED_CUTS = 1000;

/**
 * The visibility oracle's answers, computed once per stream and membership version and
 * then looked up per connection. Whether someone may observe a stream depends only on the
 * case's participants, sides and status (mayObserve reads nothing else), and states are
 * immutable, so those three objects identify the version: a message leaves them as they were.
 */
interface Audiences {
  readonly sides: CaseState['sides'];
  readonly status: CaseState['status'];
  readonly byStream: Map<string, ReadonlySet<string>>;
  readonly streamsOf: Map<string, readonly string[]>;
}
const audiences = new WeakMap<CaseState['participants'], Audiences>();

function audiencesOf(state: CaseState): Audiences {
  let a = audiences.get(state.participants);
  if (!a || a.sides !== state.sides || a.status !== state.status)
    audiences.set(state.participants, (a = { sides: state.sides, status: state.status, byStream: new Map(), streamsOf: new Map() }));
  return a;
}

/** Who may observe `stream` in this state: mayObserve (without a position) for every participant. */
function audienceOf(state: CaseState, stream: string): ReadonlySet<string> {
  const a = audiencesOf(state);
  let set = a.byStream.get(stream);
  if (!set) a.byStream.set(stream, (set = new Set(Object.keys(state.participants).filter((id) => mayObserve(state, id, { stream })))));
  return set;
}

/** observableStreams, once per participant and membership version. */
function streamsOf(state: CaseState, participantId: string): readonly string[] {
  const a = audiencesOf(state);
  let list = a.streamsOf.get(participantId);
  if (!list) a.streamsOf.set(participantId, (list = observableStreams(state, participantId)));
  return list;
}

/** mayObserveEvent, through the cache: observers also have a floor per stream (C6), so their answer depends on the position. */
function mayReceive(state: CaseState, participantId: string, e: StoredEvent): boolean {
  if (!audienceOf(state, e.stream).has(participantId)) return false;
  return state.participants[participantId]?.role !== 'observer' || mayObserveEvent(state, participantId, e);
}

/**
 * An event's frame, serialised once for everyone who sees it the same way and separately
 * for the few who do not (observers count positions from their admission, C6).
 */
class EventFrame {
  private shared: Outgoing | null = null;
  constructor(readonly event: StoredEvent) {}
  for(state: CaseState, participantId: string): Outgoing | string {
    const own = !sharedView(state, participantId, this.event);
    if (!own && this.shared !== null) return this.shared;
    const frame = JSON.stringify({ t: 'event', event: eventView(state, participantId, this.event) } satisfies ServerFrame);
    if (own) return frame;
    return (this.shared = new Outgoing(frame));
  }
}

/** Whether two states may differ in who observes what (participants, sides or status changed). */
const membershipChanged = (a: CaseState | undefined, b: CaseState): boolean => !a || a.participants !== b.participants || a.sides !== b.sides || a.status !== b.status;

export interface HubOptions {
  readonly clock: Clock;
  /** Past this many buffered bytes a consumer is too slow: close it and let it resume. */
  readonly maxBufferedBytes?: number;
  readonly maxPendingEvents?: number;
}

/**
 * Live delivery. Each event's frame is serialised once and written to every connection
 * whose participant may observe it, as decided by the visibility oracle on the case
 * state after the commit (C1, C5). Presence is per stream and sent only when that
 * stream's presence changed, so that nothing one side does in its room makes a frame
 * reach another side (C8).
 */
export class Hub implements Publisher {
  private readonly byCase = new Map<string, Set<Connection>>();
  private readonly states = new Map<string, CaseState>();
  private readonly presence = new Map<string, Map<string, string>>(); // caseId → stream → serialised list
  private readonly maxBuffered: number;
  private readonly maxPending: number;
  /** Recent access changes, numbered, so that an upgrade authenticated before one cannot attach after it (C7). */
  private readonly cuts: { readonly no: number; readonly match: DisconnectMatch }[] = [];
  private cutNo = 0;
  /** Connections written to in this turn of the event loop; uncorked together when it ends. */
  private corked: Connection[] = [];
  private readonly flush = (): void => {
    const list = this.corked;
    this.corked = [];
    for (const c of list) {
      if (!c.corked) continue; // closed meanwhile, and uncorked then
      c.corked = false;
      c.socket.uncork?.();
    }
  };

  constructor(private readonly opts: HubOptions) {
    this.maxBuffered = opts.maxBufferedBytes ?? 1 << 20;
    this.maxPending = opts.maxPendingEvents ?? 2000;
  }

  connectionCount(): number {
    let n = 0;
    for (const set of this.byCase.values()) n += set.size;
    return n;
  }

  /**
   * A mark to take before authenticating an upgrade, and to hand to `attach`: a session
   * checked while valid can be revoked (its connections disconnected) before the upgrade
   * attaches, and the revocation would then miss the new connection (C7).
   */
  mark(): number {
    return this.cutNo;
  }

  attach(conn: Omit<Connection, 'sent' | 'pending' | 'lastTyping' | 'closed' | 'focus'>, state: CaseState, since?: number): Connection {
    const c: Connection = { ...conn, focus: null, sent: new Map(), pending: [], lastTyping: new Map(), closed: false };
    let set = this.byCase.get(c.caseId);
    if (!set) this.byCase.set(c.caseId, (set = new Set()));
    set.add(c);
    if (!this.states.has(c.caseId)) this.states.set(c.caseId, state);
    // A member who lost access between the upgrade and now gets nothing (C7): removed from
    // the case (state), or revoked / signed out since the upgrade was authenticated (cuts).
    if (!activeMember(this.states.get(c.caseId) ?? state, c.participantId) || (since !== undefined && this.cutSince(since, c))) {
      this.close(c, CloseCode.accessChanged, 'access changed');
      return c;
    }
    state = this.states.get(c.caseId) ?? state;
    this.send(c, { t: 'hello', v: 1, view: caseViewFor(state, c.participantId, this.opts.clock.now()) });
    const sent = this.updatePresence(c.caseId);
    // The newcomer also needs the presence of rooms whose presence its arrival did not change.
    const known = this.presence.get(c.caseId);
    for (const stream of streamsOf(state, c.participantId)) {
      const list = known?.get(stream);
      if (list !== undefined && !sent.has(stream)) this.write(c, JSON.stringify({ t: 'presence', stream, online: JSON.parse(list) as string[] } satisfies ServerFrame));
    }
    return c;
  }

  detach(c: Connection): void {
    c.closed = true;
    const set = this.byCase.get(c.caseId);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) {
      this.byCase.delete(c.caseId);
      this.states.delete(c.caseId);
      this.presence.delete(c.caseId);
    } else this.updatePresence(c.caseId);
  }

  /** Serves a resume: events the client missed, from the log, then whatever came live meanwhile. */
  async resume(c: Connection, from: Record<string, number>, read: (stream: string, after: number) => Promise<StoredEvent[]>): Promise<void> {
    const state = this.states.get(c.caseId);
    if (!state) return;
    const heads: Record<string, number> = {};
    for (const stream of streamsOf(state, c.participantId)) {
      const head = state.heads[stream] ?? 0;
      // The client counts in its own numbering (C6: observers from their admission).
      const offset = positionOffset(state, c.participantId, stream);
      const asked = from[stream];
      let after = Math.min(asked === undefined ? head : asked + offset, head);
      while (after < head && !c.closed) {
        // Up to the published head only: rows past it may be stored but not yet on disk (or
        // not yet published); those come live, in order, once they are.
        const batch = (await read(stream, after)).filter((e) => e.position <= head);
        if (batch.length === 0) break;
        const current = this.states.get(c.caseId) ?? state;
        for (const e of batch) this.deliverNow(c, new EventFrame(e), current);
        after = batch[batch.length - 1]?.position ?? head;
      }
      c.sent.set(stream, Math.max(c.sent.get(stream) ?? 0, after));
      heads[stream] = head - offset;
    }
    if (c.closed) return;
    const queued = c.pending ?? [];
    c.pending = null;
    const latest = this.states.get(c.caseId) ?? state;
    for (const e of queued) this.deliver(c, new EventFrame(e), latest);
    this.send(c, { t: 'caught-up', heads });
  }

  publish(caseId: string, state: CaseState, events: readonly StoredEvent[]): void {
    const set = this.byCase.get(caseId);
    if (!set) return;
    const before = this.states.get(caseId);
    this.states.set(caseId, state);
    // Access may have shrunk (removal, closing): such connections go first (C7). Only a change
    // of participants, sides or status can shrink it; a message leaves them as they were.
    const membership = membershipChanged(before, state);
    if (membership) for (const c of [...set]) if (!activeMember(state, c.participantId)) this.close(c, CloseCode.accessChanged, 'access changed');
    for (const e of events) {
      const frame = new EventFrame(e);
      for (const c of set) this.deliver(c, frame, state);
    }
    // A fresh view goes to whoever observed an event that changes it, and to nobody else:
    // a side's ready signal must not make a frame reach another side (C8).
    const viewChanging = events.filter((e) => e.stream === 'session' || e.type === 'side.ready');
    if (viewChanging.length > 0) {
      const now = this.opts.clock.now();
      for (const c of set)
        if (viewChanging.some((e) => mayReceive(state, c.participantId, e))) this.send(c, { t: 'view', view: caseViewFor(state, c.participantId, now) });
    }
    // Presence follows connections, focus and membership: a message changes none of them.
    if (membership) this.updatePresence(caseId);
  }

  disconnect(match: DisconnectMatch): void {
    this.cuts.push({ no: ++this.cutNo, match });
    if (this.cuts.length > REMEMBERED_CUTS) this.cuts.shift();
    for (const [caseId, set] of this.byCase) {
      if (match.caseId && caseId !== match.caseId) continue;
      for (const c of [...set]) if (concerns(match, c)) this.close(c, CloseCode.accessChanged, 'access changed');
    }
  }

  accessMark(): number {
    return this.cutNo;
  }

  accessLostSince(mark: number, who: AccessHolder): boolean {
    return this.cutSince(mark, who);
  }

  /** Whether an access change since `mark` concerns this connection (when in doubt, yes: it reconnects). */
  private cutSince(mark: number, c: Pick<Connection, 'caseId' | 'participantId' | 'accountId' | 'sessionHash'>): boolean {
    const oldest = this.cuts[0]?.no ?? this.cutNo + 1;
    if (mark < oldest - 1) return true;
    return this.cuts.some((x) => x.no > mark && concerns(x.match, c));
  }

  focus(c: Connection, stream: string | null): void {
    const state = this.states.get(c.caseId);
    if (!state) return;
    // A room the participant may not observe is treated as no room at all (C5).
    const before = c.focus;
    c.focus = stream && mayObserve(state, c.participantId, { stream }) ? stream : null;
    // Only the rooms this connection left and entered can have changed presence.
    const touched = [before, c.focus].filter((s): s is string => s !== null && s !== 'joint');
    if (touched.length > 0 && before !== c.focus) this.updatePresence(c.caseId, touched);
  }

  typing(c: Connection, stream: string): void {
    const state = this.states.get(c.caseId);
    if (!state) return;
    if (!mayPost(state, c.participantId, stream, effectivePhase(state.session, this.opts.clock.now()))) return;
    const now = this.opts.clock.now();
    if (now - (c.lastTyping.get(stream) ?? -Infinity) < 2000) return;
    c.lastTyping.set(stream, now);
    const frame = new Outgoing(JSON.stringify({ t: 'typing', stream, participantId: c.participantId } satisfies ServerFrame));
    const audience = audienceOf(state, stream);
    for (const other of this.byCase.get(c.caseId) ?? [])
      if (other.participantId !== c.participantId && audience.has(other.participantId)) this.write(other, frame);
  }

  send(c: Connection, frame: ServerFrame): void {
    this.write(c, JSON.stringify(frame));
  }

  close(c: Connection, code: number, reason: string): void {
    if (c.closed) return;
    c.closed = true;
    // Frames held back for this turn go now, and the close right behind them: a close for an
    // access change must be on the wire before the change is acknowledged (C7).
    if (c.corked) {
      c.corked = false;
      c.socket.uncork?.();
    }
    try {
      c.socket.close(code, reason);
    } finally {
      this.detach(c);
    }
  }

  closeAll(code: number, reason: string): void {
    for (const set of [...this.byCase.values()]) for (const c of [...set]) this.close(c, code, reason);
  }

  private deliver(c: Connection, frame: EventFrame, state: CaseState): void {
    const e = frame.event;
    if (c.closed || !mayReceive(state, c.participantId, e)) return;
    if (c.pending) {
      if (c.pending.length >= this.maxPending) return this.close(c, CloseCode.slowConsumer, 'too far behind; resume');
      c.pending.push(e);
      return;
    }
    this.deliverNow(c, frame, state);
  }

  private deliverNow(c: Connection, frame: EventFrame, state: CaseState): void {
    const e = frame.event;
    if (c.closed || !mayReceive(state, c.participantId, e)) return;
    if (e.position <= (c.sent.get(e.stream) ?? 0)) return; // already delivered (resume overlap)
    c.sent.set(e.stream, e.position);
    this.write(c, frame.for(state, c.participantId));
  }

  /** A frame for one connection (a string), or one shared by several (built once, written as it is). */
  private write(c: Connection, frame: string | Outgoing): void {
    if (c.closed) return;
    // An expired session announces nothing; its connection is closed at the first frame that
    // would reach it after the expiry (an idle one at its next heartbeat), so nothing reaches it (C7).
    if (c.expiresAt !== undefined && c.expiresAt <= this.opts.clock.now()) return this.close(c, CloseCode.accessChanged, 'session expired');
    if (c.socket.bufferedAmount > this.maxBuffered) return this.close(c, CloseCode.slowConsumer, 'too far behind; resume');
    if (!c.corked && c.socket.cork) {
      // A commit batch publishes many events at once: each connection's frames of this turn
      // go out together at its end (one write instead of one per frame).
      c.corked = true;
      c.socket.cork();
      if (this.corked.push(c) === 1) setImmediate(this.flush);
    }
    if (typeof frame === 'string') c.socket.send(frame);
    else if (c.socket.sendFrame) c.socket.sendFrame(frame.frame);
    else c.socket.send(frame.text);
  }

  /** Presence per stream: joint lists everyone connected; other rooms list who has them open. */
  private updatePresence(caseId: string, only?: readonly string[]): Set<string> {
    const changed = new Set<string>();
    const set = this.byCase.get(caseId);
    const state = this.states.get(caseId);
    if (!set || !state) return changed;
    let last = this.presence.get(caseId);
    if (!last) this.presence.set(caseId, (last = new Map<string, string>()));
    const streams = new Set<string>();
    for (const c of set) for (const s of streamsOf(state, c.participantId)) if (!only || only.includes(s)) streams.add(s);
    for (const stream of streams) {
      if (stream === 'session') continue;
      const online = new Set<string>();
      const audience = audienceOf(state, stream);
      for (const c of set) {
        if (!audience.has(c.participantId)) continue;
        if (stream === 'joint' || c.focus === stream) online.add(c.participantId);
      }
      const list = [...online].sort();
      const key = JSON.stringify(list);
      if (last.get(stream) === key) continue;
      last.set(stream, key);
      changed.add(stream);
      const frame = new Outgoing(JSON.stringify({ t: 'presence', stream, online: list } satisfies ServerFrame));
      for (const c of set) if (audience.has(c.participantId)) this.write(c, frame);
    }
    return changed;
  }
}
