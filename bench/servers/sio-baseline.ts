/**
 * Baseline: Socket.IO 4 with rooms (`{case}:joint`, `{case}:caucus:{side}`), WebSocket
 * transport only, compression off, broadcasting prebuilt frames. No auth, no storage.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import type { BaselineClientFrame, Target } from '../lib/types.ts';
import { BaseCase, type BaseMember, parseQuery, syntheticCases } from './baseline-common.ts';

interface Member extends BaseMember {
  readonly socket: Socket;
}

export async function startSioBaseline(): Promise<Target> {
  const server = http.createServer();
  const io = new Server(server, { perMessageDeflate: false, httpCompression: false, transports: ['websocket'], serveClient: false, maxHttpBufferSize: 16 * 1024 });
  const cases = new Map<string, BaseCase<Member>>();
  let provisioned = 0;
  const room = (c: string, stream: string): string => `${c}:${stream}`;

  io.on('connection', (socket) => {
    const q = parseQuery(socket.request.url);
    if (!q) {
      socket.disconnect(true);
      return;
    }
    let k = cases.get(q.c);
    if (!k) cases.set(q.c, (k = new BaseCase<Member>(q.c)));
    const kase = k;
    const me: Member = { socket, pid: q.p, role: q.r, side: q.s, focus: null };
    kase.members.add(me);
    void socket.join(room(q.c, 'joint'));
    if (q.s === -1 || q.s === 0) void socket.join(room(q.c, `caucus:sA${q.c}x`));
    if (q.s === -1 || q.s === 1) void socket.join(room(q.c, `caucus:sB${q.c}x`));
    socket.emit('f', JSON.stringify({ t: 'hello', v: 1, view: { session: { phase: kase.phase, mediatorRoom: kase.room } } }));
    io.to(room(q.c, 'joint')).emit('f', kase.presenceFrame('joint'));
    socket.on('m', (f: BaselineClientFrame, ack?: () => void) => {
      switch (f.t) {
        case 'post':
          if (!kase.inAudience(me, f.stream)) return;
          io.to(room(q.c, f.stream)).emit('f', kase.eventFrame(f.stream, me.pid, f.body));
          return ack?.();
        case 'cmd':
          kase.command(f.kind, f.sideId);
          io.to(room(q.c, 'joint')).emit('f', kase.viewFrame());
          return ack?.();
        case 'typing':
          if (kase.inAudience(me, f.stream)) socket.to(room(q.c, f.stream)).emit('f', kase.typingFrame(f.stream, me.pid));
          return;
        case 'focus': {
          const old = me.focus;
          me.focus = f.stream !== null && kase.inAudience(me, f.stream) ? f.stream : null;
          for (const s of [old, me.focus]) if (s && s !== 'joint' && s !== (s === old ? me.focus : old)) io.to(room(q.c, s)).emit('f', kase.presenceFrame(s));
          return;
        }
      }
    });
    socket.on('disconnect', () => {
      kase.members.delete(me);
      if (kase.members.size === 0) cases.delete(q.c);
      else io.to(room(q.c, 'joint')).emit('f', kase.presenceFrame('joint'));
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
      io.disconnectSockets(true);
      await io.close();
    },
  };
}
