import type { ServerFrame } from '@caucus/protocol';
import { describe, expect, it } from 'vitest';
import { emptyState, type CaseState } from './case-state.ts';
import { msg, partyA, viewFor } from './fixtures.ts';
import { backoffDelay, LiveConnection, type LiveDeps, type SocketLike } from './live-connection.ts';
import { messagesOf } from './selectors.ts';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  closedWith: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(f: ServerFrame) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function rig(allowed = true) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; id: number }[] = [];
  let now = 0;
  let state: CaseState = emptyState;
  let id = 0;
  const deps: LiveDeps = {
    open: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      timers.push({ fn, ms, id: ++id });
      return id;
    },
    clearTimer: (h) => {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
    now: () => now,
    random: () => 0.5,
    stillAllowed: () => Promise.resolve(allowed),
    newId: () => `cmd-id-${++id}`,
  };
  const conn = new LiveConnection('ws://x/live', { get: () => state, set: (s) => (state = s) }, deps);
  /** Fires the earliest pending timer of at least... (the reconnect or heartbeat). */
  const fire = (filter: (ms: number) => boolean = () => true) => {
    const i = timers.findIndex((t) => filter(t.ms));
    const [t] = timers.splice(i, 1);
    if (!t) throw new Error('no timer');
    now += t.ms;
    t.fn();
    return t.ms;
  };
  return { conn, sockets, timers, fire, state: () => state, advance: (ms: number) => (now += ms) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('live connection: commands over the socket', () => {
  const live = (r: ReturnType<typeof rig>, s: FakeSocket) => {
    s.open();
    s.push({ t: 'hello', v: 1, view: viewFor(partyA) });
    s.push({ t: 'caught-up', heads: {} });
  };
  const post = { type: 'post-message', input: { stream: 'joint', body: 'hello', label: null } } as const;

  it('is not offered before the connection is live (the caller uses HTTP then)', () => {
    const r = rig();
    r.conn.start();
    expect(r.conn.command(post)).toBeNull();
    r.sockets[0]!.open();
    r.sockets[0]!.push({ t: 'hello', v: 1, view: viewFor(partyA) });
    expect(r.conn.command(post)).toBeNull(); // not caught up yet
  });

  it('resolves on the ack, rejects on a nack with the error HTTP would give', async () => {
    const r = rig();
    r.conn.start();
    const s = r.sockets[0]!;
    live(r, s);
    const ok = r.conn.command(post);
    const bad = r.conn.command({ type: 'post-message', input: { stream: 'caucus:sideBBBBB', body: 'x', label: null } });
    const sent = s.sent.filter((f): f is { t: 'cmd'; id: string } => (f as { t: string }).t === 'cmd');
    expect(sent.map((f) => f.id)).toHaveLength(2);
    s.push({ t: 'ack', id: sent[0]!.id, created: [] });
    s.push({ t: 'nack', id: sent[1]!.id, status: 404, error: { code: 'not_found', message: 'No such room.' } });
    await expect(ok).resolves.toBeUndefined();
    await expect(bad).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('sends an unanswered command again, with the same id, after a reconnect', async () => {
    const r = rig();
    r.conn.start();
    const s1 = r.sockets[0]!;
    live(r, s1);
    const pending = r.conn.command(post);
    const first = s1.sent.find((f) => (f as { t: string }).t === 'cmd') as { id: string; again?: boolean };
    expect(first.again).toBeUndefined(); // sent for the first time
    s1.drop(1006);
    await flush();
    r.fire((ms) => ms < 5000);
    const s2 = r.sockets[1]!;
    live(r, s2);
    const again = s2.sent.filter((f) => (f as { t: string }).t === 'cmd') as { id: string; again?: boolean }[];
    expect(again.map((f) => f.id)).toEqual([first.id]);
    expect(again[0]!.again).toBe(true); // marked, so that the server reads its record before deciding it
    s2.push({ t: 'ack', id: first.id, created: [] });
    await expect(pending).resolves.toBeUndefined();
  });

  it('rejects what is unanswered when the connection ends for good', async () => {
    const r = rig(false);
    r.conn.start();
    const s = r.sockets[0]!;
    live(r, s);
    const pending = r.conn.command(post);
    s.drop(4000); // access changed, and the session no longer stands
    await expect(pending).rejects.toMatchObject({ code: 'network' });
  });
});

describe('live connection: resume, dedupe, back-off', () => {
  it('after hello, resumes every stream from 0, then re-sends the room on screen', () => {
    const r = rig();
    r.conn.focus('joint');
    r.conn.start();
    const s = r.sockets[0]!;
    s.open();
    s.push({ t: 'hello', v: 1, view: viewFor(partyA) });
    expect(s.sent).toEqual([
      { t: 'resume', v: 1, streams: { session: 0, joint: 0, 'caucus:sideAAAAA': 0 } },
      { t: 'focus', stream: 'joint' },
    ]);
  });

  it('reconnects after a cut with back-off, resumes from the last positions, and shows each message once', async () => {
    const r = rig();
    r.conn.start();
    const s1 = r.sockets[0]!;
    s1.open();
    s1.push({ t: 'hello', v: 1, view: viewFor(partyA) });
    s1.push({ t: 'event', event: msg('joint', 1, 'one') });
    s1.push({ t: 'caught-up', heads: { joint: 1 } });
    const two = msg('joint', 2, 'two');
    s1.push({ t: 'event', event: two });
    expect(r.state().status).toBe('live');

    s1.drop(1006); // the network goes away
    expect(r.state().status).toBe('reconnecting');
    await flush();
    expect(r.fire((ms) => ms < 5000)).toBe(backoffDelay(0, 0.5));
    const s2 = r.sockets[1]!;
    s2.open();
    s2.push({ t: 'hello', v: 1, view: viewFor(partyA) });
    expect(s2.sent[0]).toEqual({ t: 'resume', v: 1, streams: { session: 0, joint: 2, 'caucus:sideAAAAA': 0 } });
    // The server replays an overlap (a duplicate) and what was missed.
    s2.push({ t: 'event', event: two });
    s2.push({ t: 'event', event: msg('joint', 3, 'three') });
    s2.push({ t: 'caught-up', heads: { joint: 3 } });
    expect(messagesOf(r.state(), 'joint').map((m) => m.body)).toEqual(['one', 'two', 'three']);
    expect(r.state().status).toBe('live');
  });

  it('backs off exponentially up to 15 s while the server stays away', async () => {
    const r = rig();
    r.conn.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      r.sockets[i]!.drop(1006); // refused before opening
      await flush();
      delays.push(r.fire((ms) => ms !== 20_000));
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
  });

  it('stops with "ended" when access changed and the session no longer stands (4000)', async () => {
    const r = rig(false);
    r.conn.start();
    r.sockets[0]!.open();
    r.sockets[0]!.drop(4000);
    await flush();
    expect(r.state().status).toBe('ended');
    expect(r.timers.filter((t) => t.ms !== 20_000)).toEqual([]);
  });

  it('[C7] forgets the case when access has ended: no view, rooms, messages or presence are kept', async () => {
    const r = rig(false);
    r.conn.start();
    const s = r.sockets[0]!;
    s.open();
    s.push({ t: 'hello', v: 1, view: viewFor(partyA) });
    s.push({ t: 'event', event: msg('joint', 1, 'said before the removal') });
    s.push({ t: 'presence', stream: 'joint', online: [partyA.participantId] });
    s.push({ t: 'caught-up', heads: { joint: 1 } });
    expect(messagesOf(r.state(), 'joint')).toHaveLength(1);
    s.drop(4000);
    await flush();
    expect(r.state()).toEqual({ ...emptyState, status: 'ended' });
  });

  it('keeps what it holds while it reconnects (access still stands)', async () => {
    const r = rig(true);
    r.conn.start();
    const s = r.sockets[0]!;
    s.open();
    s.push({ t: 'hello', v: 1, view: viewFor(partyA) });
    s.push({ t: 'event', event: msg('joint', 1, 'still here') });
    s.drop(4000);
    await flush();
    expect(r.state().status).toBe('reconnecting');
    expect(r.state().view).not.toBeNull();
    expect(messagesOf(r.state(), 'joint')).toHaveLength(1);
  });

  it('does not reconnect after a malformed-frame close (4400)', () => {
    const r = rig();
    r.conn.start();
    r.sockets[0]!.open();
    r.sockets[0]!.drop(4400);
    expect(r.state().status).toBe('failed');
  });

  it('treats a silent peer as cut: closes and reconnects', async () => {
    const r = rig();
    r.conn.start();
    r.sockets[0]!.open();
    r.fire((ms) => ms === 20_000); // heartbeat: sends a ping
    expect(r.sockets[0]!.sent).toContainEqual({ t: 'ping' });
    r.advance(30_000);
    r.fire((ms) => ms === 20_000); // still silent after 45 s: cut
    expect(r.sockets[0]!.closedWith).toBe(4001);
    await flush();
    expect(r.state().status).toBe('reconnecting');
    r.fire();
    expect(r.sockets).toHaveLength(2);
  });

  it('ignores frames that do not match the protocol', () => {
    const r = rig();
    r.conn.start();
    r.sockets[0]!.open();
    r.sockets[0]!.onmessage?.({ data: '{"t":"nonsense"}' });
    r.sockets[0]!.onmessage?.({ data: 'not json' });
    expect(r.state().view).toBeNull();
  });
});
