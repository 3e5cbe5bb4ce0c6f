import type { CaseView, EventView, ServerFrame } from '@caucus/protocol';

/**
 * Client state of one case, folded from live frames (and HTTP reads). Pure functions,
 * immutable updates: the same frames in any overlap give the same state. Events are kept
 * per stream, ordered by position and deduplicated by id, so a resume that repeats an
 * event, or an HTTP read racing a live frame, never shows anything twice.
 */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface StreamState {
  readonly events: readonly EventView[];
  readonly ids: ReadonlySet<string>;
  /** Highest position applied; a resume asks for what came after it. */
  readonly position: number;
}

export interface CaseState {
  readonly view: CaseView | null;
  /** Server clock minus local clock, from the last view (for countdowns and "since"). */
  readonly clockOffset: number;
  readonly streams: Readonly<Record<string, StreamState>>;
  readonly presence: Readonly<Record<string, readonly string[]>>;
  /** stream → participant → local time until which they count as typing. */
  readonly typing: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly caughtUp: boolean;
  readonly status: ConnectionStatus;
  /** Events that arrived live (after catching up), for alerts; cleared by the consumer. */
  readonly fresh: readonly EventView[];
}

export const emptyState: CaseState = {
  view: null,
  clockOffset: 0,
  streams: {},
  presence: {},
  typing: {},
  caughtUp: false,
  status: 'connecting',
  fresh: [],
};

const emptyStream: StreamState = { events: [], ids: new Set(), position: 0 };

/** Adds events, skipping any already held (by id); keeps each stream ordered by position. */
export function addEvents(s: CaseState, given: readonly EventView[], live = false): CaseState {
  if (given.length === 0) return s;
  // Nothing written in a closed case is kept, whatever comes in after the close (C11).
  const events = s.view?.status === 'closed' ? given.map((e) => (e.content === null ? e : { ...e, content: null })) : given;
  const streams: Record<string, StreamState> = { ...s.streams };
  const fresh: EventView[] = [];
  let changed = false;
  for (const e of events) {
    const cur = streams[e.stream] ?? emptyStream;
    if (cur.ids.has(e.id)) continue;
    changed = true;
    const ids = new Set(cur.ids).add(e.id);
    const last = cur.events[cur.events.length - 1];
    let list: EventView[];
    if (!last || last.position < e.position) list = [...cur.events, e];
    else {
      list = [...cur.events];
      const at = list.findIndex((x) => x.position > e.position);
      list.splice(at < 0 ? list.length : at, 0, e);
    }
    streams[e.stream] = { events: list, ids, position: Math.max(cur.position, e.position) };
    if (live) fresh.push(e);
  }
  if (!changed) return s;
  return { ...s, streams, fresh: fresh.length > 0 ? [...s.fresh, ...fresh] : s.fresh };
}

/** Positions to send in a `resume`: every stream of the view, from what we hold (0: all). */
export function resumePositions(s: CaseState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const st of s.view?.streams ?? []) out[st.id] = s.streams[st.id]?.position ?? 0;
  return out;
}

/** Every event held, without what people wrote in it. */
const withoutContent = (streams: CaseState['streams']): CaseState['streams'] =>
  Object.fromEntries(Object.entries(streams).map(([id, st]) => [id, { ...st, events: st.events.map((e) => (e.content === null ? e : { ...e, content: null })) }]));

export function withView(s: CaseState, view: CaseView, localNow: number): CaseState {
  // The case closed: what was written in it was destroyed (C11), and the tab lets go of it too.
  const closing = view.status === 'closed' && s.view?.status !== 'closed';
  return { ...s, view, clockOffset: view.now - localNow, streams: closing ? withoutContent(s.streams) : s.streams };
}

export function applyFrame(s: CaseState, f: ServerFrame, localNow: number): CaseState {
  switch (f.t) {
    case 'hello':
      return { ...withView(s, f.view, localNow), caughtUp: false };
    case 'view':
      return withView(s, f.view, localNow);
    case 'event': {
      const next = addEvents(s, [f.event], s.caughtUp);
      // A message from someone ends their "is writing…" in that room at once.
      const author = f.event.type === 'message.posted' ? f.event.data.authorId : null;
      const typing = next.typing[f.event.stream];
      if (typeof author !== 'string' || !typing || !(author in typing)) return next;
      const { [author]: _done, ...rest } = typing;
      return { ...next, typing: { ...next.typing, [f.event.stream]: rest } };
    }
    case 'caught-up':
      return { ...s, caughtUp: true, status: 'live' };
    case 'presence':
      return { ...s, presence: { ...s.presence, [f.stream]: f.online } };
    case 'typing': {
      const cur = s.typing[f.stream] ?? {};
      return { ...s, typing: { ...s.typing, [f.stream]: { ...cur, [f.participantId]: localNow + 4000 } } };
    }
    case 'pong':
    case 'error':
    case 'ack': // answers to commands sent over the socket: LiveConnection settles them
    case 'nack':
      return s;
  }
}

export const withStatus = (s: CaseState, status: ConnectionStatus): CaseState => (s.status === status ? s : { ...s, status });
export const clearFresh = (s: CaseState): CaseState => (s.fresh.length === 0 ? s : { ...s, fresh: [] });
