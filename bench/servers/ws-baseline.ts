/**
 * Baseline: a raw `ws` server with the same topology (rooms per case: joint, each side's
 * caucus), broadcasting prebuilt frames. No auth, no storage, no validation beyond JSON.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BaselineClientFrame, Target } from '../lib/types.ts';
import { BaseCase, type BaseMember, parseQuery, syntheticCases } from './baseline-common.ts';

interface Member extends BaseMember {
  readonly ws: WebSocket;
}

export async function startWsBaseline(): Promise<Target> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 16 * 1024 });
  const cases = new Map<string, BaseCase<Member>>();
  let provisioned = 0;

  const broadcast = (k: BaseCase<Member>, stream: string, frame: string, except: Member | null = null): void => {
    for (const m of k.members) if (m !== except && k.inAudience(m, stream)) m.ws.send(frame);
  };

  wss.on('connection', (ws, req) => {
    const q = parseQuery(req.url);
    if (!q) return ws.close(4400, 'bad query');
    let k = cases.get(q.c);
    if (!k) cases.set(q.c, (k = new BaseCase<Member>(q.c)));
    const kase = k;
    const me: Member = { ws, pid: q.p, role: q.r, side: q.s, focus: null };
    kase.members.add(me);
    ws.send(JSON.stringify({ t: 'hello', v: 1, view: { session: { phase: kase.phase, mediatorRoom: kase.room } } }));
    broadcast(kase, 'joint', kase.presenceFrame('joint'));
    ws.on('message', (raw: Buffer) => {
      const f = JSON.parse(raw.toString()) as BaselineClientFrame;
      switch (f.t) {
        case 'post':
          if (!kase.inAudience(me, f.stream)) return;
          broadcast(kase, f.stream, kase.eventFrame(f.stream, me.pid, f.body));
          return ws.send(`{"t":"ack","rid":${f.rid}}`);
        case 'cmd':
          kase.command(f.kind, f.sideId);
          broadcast(kase, 'joint', kase.viewFrame());
          return ws.send(`{"t":"ack","rid":${f.rid}}`);
        case 'typing':
          if (kase.inAudience(me, f.stream)) broadcast(kase, f.stream, kase.typingFrame(f.stream, me.pid), me);
          return;
        case 'focus': {
          const old = me.focus;
          me.focus = f.stream !== null && kase.inAudience(me, f.stream) ? f.stream : null;
          for (const s of [old, me.focus]) if (s && s !== 'joint' && s !== (s === old ? me.focus : old)) broadcast(kase, s, kase.presenceFrame(s));
          return;
        }
      }
    });
    ws.on('close', () => {
      kase.members.delete(me);
      if (kase.members.size === 0) cases.delete(q.c);
      else broadcast(kase, 'joint', kase.presenceFrame('joint'));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    provision(n) {
      const p = syntheticCases(provisioned, n, url);
      provisioned += n;
      return Promise.resolve(p);
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
