import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Command, DomainError } from '@caucus/domain';
import { ClientFrame, CloseCode, CommandId, PROTOCOL_VERSION, type LiveCommand } from '@caucus/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { BODY_LIMIT } from '../http/app.ts';
import { HttpError, toErrorResponse } from '../http/errors.ts';
import { resolvePrincipal, sameOrigin } from '../http/principal.ts';
import type { Clock } from '../platform.ts';
import { memberOf, type Principal } from '../services/access.ts';
import { caseCommand, type Created } from '../services/case-actions.ts';
import type { CaseEngine } from '../services/case-engine.ts';
import type { Services } from '../services/context.ts';
import type { AccountStore, CaseStore } from '../services/ports.ts';
import type { Connection, Hub, LiveSocket } from './hub.ts';

const LIVE_PATH = /^\/api\/v1\/cases\/([A-Za-z0-9_-]{8,64})\/live$/;

export interface LiveOptions {
  readonly svc: Services;
  readonly hub: Hub;
  readonly engine: CaseEngine;
  readonly cases: CaseStore;
  readonly accounts: AccountStore;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly heartbeatMs?: number;
  /** Commands a connection may send per second; more are refused (rate_limited). */
  readonly maxCommandsPerSecond?: number;
}

/**
 * The hub's view of a `ws` socket. Corking and prebuilt frames reach the TCP socket
 * underneath (`ws` keeps it as `_socket`; it corks around each frame itself, and corks nest).
 */
function liveSocket(ws: WebSocket): LiveSocket {
  const tcp = (ws as unknown as { _socket?: Duplex })._socket;
  return {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    ...(tcp && typeof tcp.cork === 'function' ? { cork: () => tcp.cork(), uncork: () => tcp.uncork() } : {}),
    // A prebuilt frame goes straight onto the TCP socket, in order with what `ws` writes there
    // (no compression, so `ws` holds nothing back), and only while the connection is open,
    // as ws.send would.
    ...(tcp ? { sendFrame: (frame: Buffer) => void (ws.readyState === ws.OPEN && tcp.write(frame)) } : {}),
  };
}

/** The domain command behind a live one: the same types and inputs (checked by the compiler). */
const toCommand = (c: LiveCommand): Command => c;

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The live endpoint: one WebSocket per client and case, authenticated by its session
 * cookie before the upgrade completes, Origin checked, no per-message compression.
 */
export function attachLive(server: Server, o: LiveOptions): { close(): void } {
  // Frames may carry commands, so they may be as large as an HTTP body.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: BODY_LIMIT });
  const maxPerSecond = o.maxCommandsPerSecond ?? 100;
  /**
   * Commands per connection in the current one-second window. A rate of the connection's
   * own sending, not a count of its commands still waiting: how long they wait depends on
   * the case's other commands, and a refusal must not tell one side how busy another is (C8).
   */
  const windows = new WeakMap<Connection, { start: number; count: number }>();
  const publicOrigin = new URL(o.publicUrl).origin;
  const alive = new WeakMap<WebSocket, boolean>();
  const conns = new Map<WebSocket, Connection>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = LIVE_PATH.exec(url.pathname);
      if (!m?.[1]) return refuse(socket, 404, 'Not Found');
      if (!sameOrigin(req.headers, publicOrigin)) return refuse(socket, 403, 'Forbidden');
      // Taken before the session is checked: a revocation or sign-out that lands while this
      // upgrade is in flight would otherwise miss the connection it is about to open (C7).
      const mark = o.hub.mark();
      const principal = await resolvePrincipal(o.accounts, o.clock, req.headers, url.searchParams.get('as'));
      if (!principal) return refuse(socket, 401, 'Unauthorized');
      const rec = await o.engine.load(m[1]);
      if (!rec) return refuse(socket, 404, 'Not Found');
      let participantId: string;
      try {
        participantId = memberOf(rec.state, principal).id;
      } catch {
        return refuse(socket, 404, 'Not Found'); // C9: not a member looks like no case
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        // The state may have moved on while the upgrade ran: use the latest this process has.
        const state = o.engine.cached(rec.state.id)?.state ?? rec.state;
        const conn = o.hub.attach(
          { socket: liveSocket(ws), caseId: state.id, participantId, accountId: principal.kind === 'account' ? principal.account.id : null, sessionHash: principal.sessionHash, ...(principal.expiresAt !== undefined ? { expiresAt: principal.expiresAt } : {}) },
          state,
          mark,
        );
        if (conn.closed) return;
        conns.set(ws, conn);
        alive.set(ws, true);
        ws.on('pong', () => alive.set(ws, true));
        ws.on('message', (raw, isBinary) => onFrame(conn, principal, ws, Buffer.isBuffer(raw) ? raw.toString() : '', isBinary));
        ws.on('close', () => {
          conns.delete(ws);
          o.hub.detach(conn);
        });
        ws.on('error', () => ws.terminate());
      });
    })().catch(() => refuse(socket, 500, 'Internal Server Error'));
  };

  /**
   * A command over the socket: decided, stored and answered like its HTTP twin (same
   * service, same errors, the id as its Idempotency-Key), acknowledged after the commit.
   * Access is re-checked in turn with the case's commands: every revocation closes the
   * connection before it is acknowledged, so an open connection with an unexpired session
   * is a standing one (C7).
   */
  function onCommand(conn: Connection, principal: Principal, id: string, command: LiveCommand, again: boolean): void {
    const now = o.clock.now();
    let w = windows.get(conn);
    if (!w || now - w.start >= 1000) windows.set(conn, (w = { start: now, count: 0 }));
    if (++w.count > maxPerSecond) return answerError(conn, id, new DomainError('rate_limited', 'Too many commands at once; wait a moment and send again.'));
    const scope = principal.kind === 'account' ? `a:${principal.account.id}` : `p:${principal.participantId}`;
    const authorize = () => {
      if (conn.closed || (principal.expiresAt !== undefined && principal.expiresAt <= o.clock.now()))
        throw new DomainError('unauthenticated', 'Sign in or open your personal invitation link.');
    };
    // The ack goes as soon as the command is stored, right behind its own events and before
    // the next command's (onCommitted); a retry answered from its record is acked on return.
    let acked = false;
    const ack = (created: Created[]): void => {
      acked = true;
      o.hub.send(conn, { t: 'ack', id, created });
    };
    caseCommand(o.svc, o.engine, principal, conn.caseId, toCommand(command), { scope, key: id, request: { live: command }, ...(again ? { again } : {}) }, { authorize, stillAuthorized: authorize }, (r) =>
      ack(r.created),
    ).then(
      (r) => acked || ack(r.created),
      (e: unknown) => answerError(conn, id, e),
    );
  }

  function answerError(conn: Connection, id: string, e: unknown): void {
    const { status, body } = toErrorResponse(e);
    o.hub.send(conn, { t: 'nack', id, status, error: body.error });
  }

  function onFrame(conn: Connection, principal: Principal, ws: WebSocket, text: string, isBinary: boolean): void {
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const r = ClientFrame.safeParse(parsed);
    if (!r.success) {
      // A command with a usable id is answered like a bad HTTP body; anything else ends the connection.
      const cmd = parsed as { t?: unknown; id?: unknown } | undefined;
      const id = cmd?.t === 'cmd' ? CommandId.safeParse(cmd.id) : null;
      if (id?.success) {
        const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        return answerError(conn, id.data, new HttpError('validation', 'The command is not valid.', issues));
      }
      return o.hub.close(conn, CloseCode.badFrame, 'malformed frame');
    }
    const f = r.data;
    switch (f.t) {
      case 'cmd':
        return onCommand(conn, principal, f.id, f.command, f.again === true);
      case 'ping':
        return o.hub.send(conn, { t: 'pong' });
      case 'focus':
        return o.hub.focus(conn, f.stream);
      case 'typing':
        return o.hub.typing(conn, f.stream);
      case 'resume':
        if (f.v !== PROTOCOL_VERSION) return o.hub.close(conn, CloseCode.badFrame, 'unsupported protocol version');
        void o.hub.resume(conn, f.streams, (stream, after) => o.cases.readStream(conn.caseId, stream, after, 500)).catch(() => {
          if (ws.readyState === ws.OPEN) o.hub.close(conn, CloseCode.accessChanged, 'resume failed; reconnect');
        });
    }
  }

  // Heartbeats find dead peers, and re-check that each connection's session still stands
  // (C7: one that expired, or was ended by another process). Every connection is beaten once
  // per heartbeatMs, but a slice at a time, a tick every second or so, with one store query
  // per slice: all of them at once (10,000 pings and session reads in one turn at 2,000
  // cases) stalled the event loop and queued every commit behind the reads.
  const periodMs = o.heartbeatMs ?? 25_000;
  const tickMs = Math.min(1000, periodMs);
  let round: WebSocket[] = [];
  let next = 0;
  const beat = setInterval(() => {
    if (next >= round.length) {
      round = [...conns.keys()];
      next = 0;
    }
    const slice = round.slice(next, next + Math.ceil((round.length * tickMs) / periodMs));
    next += slice.length;
    const checking: { ws: WebSocket; conn: Connection }[] = [];
    for (const ws of slice) {
      const conn = conns.get(ws);
      if (!conn) continue; // gone since the round began
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
      checking.push({ ws, conn });
    }
    if (checking.length === 0) return;
    o.accounts.liveSessions([...new Set(checking.map((c) => c.conn.sessionHash))], o.clock.now()).then(
      (live) => {
        for (const { conn } of checking) if (!live.has(conn.sessionHash)) o.hub.close(conn, CloseCode.accessChanged, 'session ended');
      },
      () => undefined, // the next round asks again
    );
  }, tickMs);
  beat.unref();

  server.on('upgrade', onUpgrade);
  return {
    close() {
      clearInterval(beat);
      server.off('upgrade', onUpgrade);
      o.hub.closeAll(CloseCode.shuttingDown, 'server shutting down');
      wss.close();
    },
  };
}
