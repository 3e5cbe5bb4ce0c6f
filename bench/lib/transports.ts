/**
 * How the load generator talks to each server: ours over its live WebSocket (cookie +
 * Origin + ?as=), commands as `cmd` frames acknowledged after the commit, or over HTTP with
 * `--ours-http`; the baselines over their own socket (a `post`/`cmd` frame answered by an ack).
 */
import http from 'node:http';
import { io as sioConnect, type Socket as SioSocket } from 'socket.io-client';
import WebSocket from 'ws';
import type { BaselineClientFrame, CaseCred, ClientCred, Kind, Provisioned } from './types.ts';

export interface Link {
  sendFrame(f: { t: 'typing'; stream: string } | { t: 'focus'; stream: string | null } | { t: 'resume'; v: 1; streams: Record<string, number> }): void;
  close(): void;
}

export type CommandKind = 'separate' | 'move' | 'reconvene';

export interface Transport {
  readonly kind: Kind;
  /** Whether a `resume` must follow the connection (ours: live events wait until it is served). */
  readonly needsResume: boolean;
  connect(k: CaseCred, c: ClientCred, onText: (text: string) => void, onClose: (code: number) => void): Promise<Link>;
  /** Posts a message; resolves with the HTTP-like status once acknowledged. */
  post(k: CaseCred, c: ClientCred, link: Link, stream: string, body: string): Promise<number>;
  command(k: CaseCred, c: ClientCred, link: Link, kind: CommandKind, sideId: string | null): Promise<number>;
  close(): void;
}

function wsOpen(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/**
 * A `ws` client as a Link: answers to commands go to `onAnswer` (which says whether the
 * frame was one), every other frame to `onText`.
 */
async function socketLink(
  ws: WebSocket,
  sockets: WeakMap<Link, WebSocket>,
  onText: (text: string) => void,
  onClose: (code: number) => void,
  onAnswer: (text: string) => boolean,
): Promise<Link> {
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    if (!onAnswer(text)) onText(text);
  });
  ws.on('close', (code) => onClose(code));
  await wsOpen(ws);
  ws.on('error', () => undefined);
  const link: Link = { sendFrame: (f) => ws.send(JSON.stringify(f)), close: () => ws.close() };
  sockets.set(link, ws);
  return link;
}

export function oursTransport(p: Provisioned, via: 'live' | 'http' = 'live'): Transport {
  const base = new URL(p.url);
  let cid = 0;
  const waiting = new Map<string, (status: number) => void>();
  const sockets = new WeakMap<Link, WebSocket>();
  /** A command over the live socket; resolves with the status HTTP would have given. */
  const live = (link: Link, command: unknown): Promise<number> =>
    new Promise((resolve) => {
      const id = `bench-cmd-${++cid}`;
      waiting.set(id, resolve);
      sockets.get(link)?.send(JSON.stringify({ t: 'cmd', id, command }));
    });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const wsBase = p.url.replace(/^http/, 'ws');

  function request(c: ClientCred, path: string, payload: unknown): Promise<number> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string | number> = { origin: p.origin, cookie: c.cookie, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (c.as) headers['x-caucus-as'] = c.as;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: base.hostname, port: base.port, path, method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    kind: 'ours',
    needsResume: true,
    async connect(k, c, onText, onClose) {
      const ws = new WebSocket(`${wsBase}/api/v1/cases/${k.caseId}/live${c.as ? `?as=${c.as}` : ''}`, { headers: { origin: p.origin, cookie: c.cookie }, perMessageDeflate: false });
      return socketLink(ws, sockets, onText, onClose, (text) => {
        if (!text.startsWith('{"t":"ack"') && !text.startsWith('{"t":"nack"')) return false;
        const f = JSON.parse(text) as { t: 'ack' | 'nack'; id: string; status?: number };
        waiting.get(f.id)?.(f.t === 'ack' ? 200 : (f.status ?? 500));
        waiting.delete(f.id);
        return true;
      });
    },
    post(k, c, link, stream, body) {
      if (via === 'live') return live(link, { type: 'post-message', input: { stream, body, label: null } });
      return request(c, `/api/v1/cases/${k.caseId}/rooms/${encodeURIComponent(stream)}/messages`, { body });
    },
    command(k, c, link, kind, sideId) {
      if (via === 'live') {
        if (kind === 'separate') return live(link, { type: 'start-separate', input: { sideId, purpose: null } });
        if (kind === 'move') return live(link, { type: 'move-mediator', input: { sideId } });
        return live(link, { type: 'reconvene', input: { countdownSeconds: 0 } });
      }
      if (kind === 'separate') return request(c, `/api/v1/cases/${k.caseId}/session/separate`, { sideId, purpose: null });
      if (kind === 'move') return request(c, `/api/v1/cases/${k.caseId}/session/move`, { sideId });
      return request(c, `/api/v1/cases/${k.caseId}/session/reconvene`, { countdownSeconds: 0 });
    },
    close: () => agent.destroy(),
  };
}

const query = (k: CaseCred, c: ClientCred): Record<string, string> => ({ c: String(k.idx), p: c.pid, r: c.role, s: String(c.side ?? -1) });

export function wsTransport(p: Provisioned): Transport {
  const wsBase = p.url.replace(/^http/, 'ws');
  let rid = 0;
  const acks = new Map<number, (status: number) => void>();
  const sockets = new WeakMap<Link, WebSocket>();
  const ask = (link: Link, f: BaselineClientFrame & { rid: number }): Promise<number> =>
    new Promise((resolve) => {
      acks.set(f.rid, resolve);
      sockets.get(link)?.send(JSON.stringify(f));
    });
  return {
    kind: 'ws',
    needsResume: false,
    async connect(k, c, onText, onClose) {
      const ws = new WebSocket(`${wsBase}/live?${new URLSearchParams(query(k, c)).toString()}`, { perMessageDeflate: false });
      return socketLink(ws, sockets, onText, onClose, (text) => {
        if (!text.startsWith('{"t":"ack"')) return false;
        const id = (JSON.parse(text) as { rid: number }).rid;
        acks.get(id)?.(200);
        acks.delete(id);
        return true;
      });
    },
    post: (_k, _c, link, stream, body) => ask(link, { t: 'post', rid: ++rid, stream, body }),
    command: (_k, _c, link, kind, sideId) => ask(link, { t: 'cmd', rid: ++rid, kind, sideId }),
    close: () => undefined,
  };
}

export function sioTransport(p: Provisioned): Transport {
  const sockets = new WeakMap<Link, SioSocket>();
  const ask = (link: Link, f: BaselineClientFrame): Promise<number> =>
    new Promise((resolve) => {
      sockets.get(link)?.emit('m', f, () => resolve(200));
    });
  let rid = 0;
  return {
    kind: 'sio',
    needsResume: false,
    connect(k, c, onText, onClose) {
      const socket = sioConnect(p.url, { transports: ['websocket'], query: query(k, c), forceNew: true, reconnection: false });
      socket.on('f', (text: string) => onText(text));
      socket.on('disconnect', () => onClose(1000));
      return new Promise((resolve, reject) => {
        socket.once('connect', () => {
          const link: Link = { sendFrame: (f) => socket.emit('m', f), close: () => socket.close() };
          sockets.set(link, socket);
          resolve(link);
        });
        socket.once('connect_error', reject);
      });
    },
    post: (_k, _c, link, stream, body) => ask(link, { t: 'post', rid: ++rid, stream, body }),
    command: (_k, _c, link, kind, sideId) => ask(link, { t: 'cmd', rid: ++rid, kind, sideId }),
    close: () => undefined,
  };
}

export function transportFor(kind: Kind, p: Provisioned, oursVia: 'live' | 'http' = 'live'): Transport {
  return kind === 'ours' ? oursTransport(p, oursVia) : kind === 'ws' ? wsTransport(p) : sioTransport(p);
}
