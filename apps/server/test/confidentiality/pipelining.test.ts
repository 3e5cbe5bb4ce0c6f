import fs from 'node:fs';
import type { ServerFrame } from '@caucus/protocol';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { scenario, type Scenario, type TestServer, testServer } from '../harness.ts';

/**
 * A case's commands are decided while the one before is still being written, and a batch
 * of writes settles as one: these tests hold the commit writer's flush to disk (the WAL's
 * fdatasync, wal-flush.ts) so that "a batch is being written" lasts as long as they need,
 * and check that what one side observes, and what a revoked sender can still do, does not
 * change with it.
 */
const realFdatasync = fs.fdatasync;
let holding = false;
const held: (() => void)[] = [];
(fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
  if (!holding) return realFdatasync(fd, cb);
  held.push(() => realFdatasync(fd, cb));
}) as typeof fs.fdatasync;
afterAll(() => {
  (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = realFdatasync;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(5);
  if (!cond()) throw new Error('condition not reached');
}
/**
 * Counts the server's session lookups: an HTTP command makes two, one when the request is
 * authenticated and one when its turn comes (`requestChecks`), right before it is decided.
 */
function countLookups(t: TestServer): () => number {
  let n = 0;
  const original = t.svc.accounts.session.bind(t.svc.accounts);
  t.svc.accounts.session = (idHash, now) => {
    n += 1;
    return original(idHash, now);
  };
  return () => n;
}
/** Lets every held flush (and the ones they lead to) go. */
async function releaseAll(): Promise<void> {
  holding = false;
  for (let i = 0; i < 20; i++) {
    while (held.length > 0) held.shift()?.();
    await sleep(5);
  }
}

let server: TestServer | null = null;
afterEach(async () => {
  await releaseAll();
  await server?.stop();
  server = null;
});

async function fresh(): Promise<Scenario> {
  server = await testServer({ seed: 'pipelining' });
  const s = await scenario(server);
  expect((await s.mediator.post(`/api/v1/cases/${s.caseId}/session/start`)).status).toBe(200);
  return s;
}

type Answer = { view: { streams: { id: string; head: number }[] } };
const jointHead = (a: Answer) => a.view.streams.find((x) => x.id === 'joint')?.head;

describe('pipelined commands', () => {
  it("[C8] A's HTTP answer shows the case as A's command left it, whether or not B's caucus write was in flight", async () => {
    const seen: unknown[] = [];
    for (const bActive of [false, true]) {
      const s = await fresh();
      const base = `/api/v1/cases/${s.caseId}`;
      const [a, b] = [s.members[0]?.[0]?.browser, s.members[1]?.[0]?.browser];
      if (!a || !b) throw new Error('members');
      const lookups = countLookups(server ?? (await Promise.reject(new Error('no server'))));
      holding = true;
      if (bActive) {
        void b.post(`${base}/rooms/caucus:${s.sides[1]?.id}/messages`, { body: 'B, in its own room' });
        await until(() => held.length >= 1); // B's write is being flushed
      }
      const before = lookups();
      const mine = a.post<Answer>(`${base}/rooms/joint/messages`, { body: 'A says hello' });
      await until(() => lookups() >= before + 2); // A's command has had its turn...
      await sleep(10); // ...and is decided
      const next = s.mediator.post(`${base}/rooms/joint/messages`, { body: 'the mediator answers' }); // decided right after A's
      await until(() => lookups() >= before + 4);
      await sleep(10);
      await releaseAll();
      const r = await mine;
      await next;
      seen.push({ status: r.status, joint: jointHead(r.body) });
      await server?.stop();
      server = null;
    }
    expect(seen[0]).toEqual({ status: 200, joint: 1 });
    expect(seen[1]).toEqual(seen[0]);
  });

  it("[C8] A's ack comes right behind A's own event and before the next command's, whether or not B's caucus write was in flight", async () => {
    const orders: string[][] = [];
    for (const bActive of [false, true]) {
      const s = await fresh();
      const base = `/api/v1/cases/${s.caseId}`;
      const [a, b] = [s.members[0]?.[0]?.browser, s.members[1]?.[0]?.browser];
      if (!a || !b) throw new Error('members');
      const live = await a.live(s.caseId);
      await live.until((f) => f.t === 'caught-up');
      const from = live.frames.length;
      const lookups = countLookups(server ?? (await Promise.reject(new Error('no server'))));
      holding = true;
      if (bActive) {
        void b.post(`${base}/rooms/caucus:${s.sides[1]?.id}/messages`, { body: 'B, in its own room' });
        await until(() => held.length >= 1); // B's write is being flushed
      }
      live.send({ t: 'cmd', id: 'a-over-the-socket-1', command: { type: 'post-message', input: { stream: 'joint', body: 'A over the socket', label: null } } });
      if (!bActive) await until(() => held.length >= 1); // A's own write is being flushed
      else await sleep(50); // A's command waits behind B's write (nothing to see from outside)
      const before = lookups();
      void s.mediator.post(`${base}/rooms/joint/messages`, { body: 'the mediator answers' });
      await until(() => lookups() >= before + 2);
      await sleep(10);
      await releaseAll();
      await live.until((f) => f.t === 'event' && (f.event.content as { body?: string } | null)?.body === 'the mediator answers');
      const order = live.frames.slice(from).flatMap((f: ServerFrame) => (f.t === 'event' ? [`event: ${(f.event.content as { body?: string } | null)?.body}`] : f.t === 'ack' ? ['ack'] : []));
      orders.push(order);
      live.close();
      await server?.stop();
      server = null;
    }
    expect(orders[0]).toEqual(['event: A over the socket', 'ack', 'event: the mediator answers']);
    expect(orders[1]).toEqual(orders[0]);
  });

  it('[C7] an HTTP command waiting behind a batch is not stored after its sender has signed out', async () => {
    const s = await fresh();
    const base = `/api/v1/cases/${s.caseId}`;
    const a = s.members[0]?.[0]?.browser;
    if (!a) throw new Error('members');
    const lookups = countLookups(server ?? (await Promise.reject(new Error('no server'))));
    holding = true;
    void s.mediator.post(`${base}/rooms/joint/messages`, { body: 'a write in flight' });
    await until(() => held.length >= 1);
    const before = lookups();
    const late = a.post(`${base}/rooms/joint/messages`, { body: 'sent before signing out' });
    await until(() => lookups() >= before + 2); // its session was confirmed: it waits for the batch in front
    await sleep(10);
    expect((await a.post('/api/v1/auth/logout')).status).toBe(204);
    await releaseAll();
    expect((await late).status).toBe(401);
    const joint = await s.mediator.get<{ events: { content: { body?: string } | null }[] }>(`${base}/streams/joint/events?after=0`);
    expect(joint.body.events.map((e) => e.content?.body).filter(Boolean)).toEqual(['a write in flight']);
  });
});
