import { describe, expect, it } from 'vitest';
import { type Browser, type LiveClient, testServer, type TestServer } from '../harness.ts';
import { api } from './support.ts';

/**
 * C8, noninterference: two runs on fresh servers with the same id seed and the same fixed
 * clock, differing ONLY in side B's caucus activity (messages, labels, presence and typing
 * in its room, ready signals, caucus requests). Everything else, the mediator's moves
 * included, is identical, and every step ends with the same explicit wait. Side A's whole
 * observation (each live frame as raw text, each HTTP status and body, in order) must be
 * byte-identical between the two runs.
 */

type Regime = 'opt-in' | 'opt-out';

interface Run {
  /** Side A's observation: A1's and A2's frames and HTTP answers. */
  readonly a: string[];
  /** Side B's and the mediator's, to show the runs really differed. */
  readonly others: string[];
  /** Ids side B's messages got. */
  readonly bIds: string[];
  /** The ids side A guessed (B's, from the active run: the same in both runs). */
  readonly guesses: readonly string[];
}

type Created = { created: { id: string; stream: string }[] };
type CreateCase = {
  case: { id: string; sides: { id: string }[]; participants: { id: string; displayName: string }[] };
  invitations: { participantId: string; displayName: string; url: string }[];
};

async function runScenario(regime: Regime, bActive: boolean, guesses: readonly string[] | null): Promise<Run> {
  const server: TestServer = await testServer({ seed: 'same' });
  const aLog: string[] = [];
  const otherLog: string[] = [];
  try {
    const m = await server.mediator();
    const created = await m.post<CreateCase>('/api/v1/cases', {
      title: 'Noninterference',
      regime,
      settings: { requesterVisible: false, observersAllowed: false },
      sides: [
        { name: 'A', members: [{ role: 'party', displayName: 'A1' }, { role: 'representative', displayName: 'A2' }] },
        { name: 'B', members: [{ role: 'party', displayName: 'B1' }, { role: 'representative', displayName: 'B2' }] },
      ],
    });
    expect(created.status).toBe(201);
    const caseId = created.body.case.id;
    const base = api(caseId);
    const [sideA, sideB] = created.body.case.sides.map((x) => x.id) as [string, string];

    // One recorded browser per participant; side A's records go to aLog.
    const people = new Map<string, { browser: Browser; log: string[]; sockets: LiveClient[] }>();
    const req = async <T = unknown>(who: string, method: 'GET' | 'POST', url: string, body?: unknown) => {
      const p = people.get(who);
      if (!p) throw new Error(`no ${who}`);
      const r = await p.browser.request<T>(method, url, method === 'POST' ? (body ?? {}) : undefined);
      p.log.push(`${method} ${url} → ${r.status} ${r.text}`);
      return r;
    };
    for (const name of ['A1', 'A2', 'B1', 'B2']) {
      const link = created.body.invitations.find((i) => i.displayName === name);
      const browser = server.browser();
      people.set(name, { browser, log: name.startsWith('A') ? aLog : otherLog, sockets: [] });
      const token = new URL(link?.url ?? 'http://x').hash.replace('#token=', '');
      const redeemed = await req<{ participantId: string }>(name, 'POST', '/api/v1/invitations/redeem', { token });
      browser.as = redeemed.body.participantId;
      const agreement = await req<{ hash: string }>(name, 'GET', `${base}/agreement`);
      expect((await req(name, 'POST', `${base}/agreement/accept`, { agreementHash: agreement.body.hash })).status).toBe(200);
    }
    people.set('M', { browser: m, log: otherLog, sockets: [] });

    const open = async (who: string, resume: Record<string, number>) => {
      const p = people.get(who);
      if (!p) throw new Error(`no ${who}`);
      const s = await p.browser.live(caseId, resume);
      p.sockets.push(s);
      await s.until((f) => f.t === 'caught-up');
      return s;
    };
    for (const who of ['M', 'A1', 'A2', 'B1', 'B2']) await open(who, {});
    const socket = (who: string): LiveClient => {
      const s = people.get(who)?.sockets.at(-1);
      if (!s) throw new Error(`no socket for ${who}`);
      return s;
    };

    // The same explicit wait after every step, in both runs: the mediator writes a marker in
    // the joint room and every side's sockets must have received it (and so all before it).
    let syncNo = 0;
    const sync = async () => {
      const body = `sync-${++syncNo}`;
      expect((await req('M', 'POST', `${base}/rooms/joint/messages`, { body })).status).toBe(200);
      for (const who of ['A1', 'A2', 'B1', 'B2']) await socket(who).until((f) => f.t === 'event' && f.event.content?.body === body);
    };
    const bIds: string[] = [];
    const bPost = async (who: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await req<Created>(who, 'POST', `${base}/rooms/caucus:${sideB}/messages`, { body: `B's secret #${bIds.length + 1}: we would accept ${1000 * (i + 7)}` });
        expect(r.status).toBe(200);
        bIds.push(...r.body.created.map((c) => c.id));
      }
    };
    /** Side B's caucus activity: the only thing that differs between the runs. */
    const b = async (work: () => Promise<void>) => {
      if (bActive) await work();
    };

    await req('M', 'POST', `${base}/session/start`);
    await sync();
    expect((await req('A1', 'POST', `${base}/rooms/joint/messages`, { body: 'Good morning.' })).status).toBe(200);
    expect((await req('B1', 'POST', `${base}/rooms/joint/messages`, { body: 'Morning.' })).status).toBe(200);
    await sync();
    await req('M', 'POST', `${base}/session/separate`, { sideId: sideB, purpose: 'reality-test the figures' });
    await sync();

    await b(async () => {
      await bPost('B1', 5);
      await bPost('B2', 2);
      socket('B2').send({ t: 'focus', stream: `caucus:${sideB}` });
      socket('B1').send({ t: 'typing', stream: `caucus:${sideB}` });
    });
    await sync();
    expect((await req('A1', 'POST', `${base}/rooms/caucus:${sideA}/messages`, { body: 'While we wait: our floor is 30,000.' })).status).toBe(200);
    await req('A1', 'GET', base);
    await sync();

    await b(async () => {
      const flip = regime === 'opt-in' ? 'shareable' : 'confidential';
      for (const id of bIds.slice(0, 3)) expect((await req('B1', 'POST', `${base}/messages/${id}/label`, { label: flip })).status).toBe(200);
      await req('B2', 'POST', `${base}/messages/${bIds[0] ?? ''}/label`, { label: regime === 'opt-in' ? 'confidential' : 'shareable' });
      expect((await req('B1', 'POST', `${base}/session/ready`)).status).toBe(200);
      expect((await req('B2', 'POST', `${base}/caucus-requests`, { reason: 'we need the mediator back' })).status).toBe(200);
    });
    await sync();

    await req('M', 'POST', `${base}/session/move`, { sideId: sideA });
    await sync();
    // Side A acts, probes and reads; it guesses B's ids (from the active run, in both runs).
    const guessed = guesses ?? [...bIds];
    const mine = await req<Created>('A1', 'POST', `${base}/rooms/caucus:${sideA}/messages`, { body: 'Our real floor is 25,000.' });
    await req('A2', 'POST', `${base}/rooms/caucus:${sideA}/messages`, { body: 'Agreed.' });
    await req('A2', 'POST', `${base}/rooms/counsel/messages`, { body: 'Counsel to counsel.' });
    await req('A1', 'POST', `${base}/messages/${mine.body.created[0]?.id ?? ''}/label`, { label: 'shareable' });
    await req('A1', 'POST', `${base}/session/ready`);
    await req('A1', 'GET', base);
    for (const stream of ['session', 'joint', `caucus:${sideA}`, `caucus:${sideB}`, 'mediators', `notes:${sideB}`])
      await req('A1', 'GET', `${base}/streams/${stream}/events?after=0`);
    await req('A2', 'GET', `${base}/streams/counsel/events`);
    await req('A1', 'POST', `${base}/rooms/caucus:${sideB}/messages`, { body: 'Let me in.' });
    for (const id of guessed) await req('A1', 'POST', `${base}/messages/${id}/label`, { label: 'shareable' });
    await req('A1', 'GET', `${base}/caucus-requests`);
    await req('A1', 'POST', `${base}/caucus-requests`, { reason: null });
    socket('A1').send({ t: 'focus', stream: `caucus:${sideA}` });
    await sync();

    await b(async () => {
      await bPost('B1', 3);
      await req('B1', 'POST', `${base}/caucus-requests`, { reason: 'again' });
      await req('B1', 'POST', `${base}/session/ready`);
      socket('B2').send({ t: 'focus', stream: null });
    });
    await sync();
    await req('M', 'POST', `${base}/session/move`, { sideId: sideB });
    await sync();
    await b(() => bPost('B2', 1));
    await sync();
    await req('M', 'POST', `${base}/session/move`, { sideId: sideA });
    await req('M', 'POST', `${base}/session/reconvene`, { countdownSeconds: 60 });
    await sync();
    server.clock.advance(60_000);
    expect((await req('A1', 'POST', `${base}/rooms/joint/messages`, { body: 'Back in the joint room.' })).status).toBe(200);
    expect((await req('B1', 'POST', `${base}/rooms/joint/messages`, { body: 'Likewise.' })).status).toBe(200);
    await sync();

    // A1 reconnects mid-run and resumes from what it saw.
    const old = socket('A1');
    old.close();
    await old.untilClosed();
    const seen: Record<string, number> = {};
    for (const e of old.events()) seen[e.stream] = Math.max(seen[e.stream] ?? 0, e.position);
    await open('A1', { ...seen, [`caucus:${sideB}`]: 0 });
    await sync();
    await req('M', 'POST', `${base}/session/pause`);
    await sync();
    await req('M', 'POST', `${base}/session/end`);
    await sync();
    await req('A1', 'GET', base);
    await req('A2', 'GET', base);
    await req('A2', 'GET', `${base}/streams/caucus:${sideA}/events`);

    const frames = (who: string) => (people.get(who)?.sockets ?? []).flatMap((s, i) => s.raw.map((r) => `${who}#${i} ${r}`));
    for (const p of people.values()) for (const s of p.sockets) s.close();
    await Promise.all([...people.values()].flatMap((p) => p.sockets.map((s) => s.untilClosed().catch(() => null))));
    return {
      a: [...aLog, ...frames('A1'), ...frames('A2')],
      others: [...otherLog, ...frames('B1'), ...frames('B2'), ...frames('M')],
      bIds,
      guesses: guessed,
    };
  } finally {
    await server.stop();
  }
}

/** The first place two observations part, for a readable failure. */
function firstDifference(x: readonly string[], y: readonly string[]): string | null {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const [p, q] = [x[i] ?? '(none)', y[i] ?? '(none)'];
    if (p === q) continue;
    let at = 0;
    while (p[at] === q[at]) at++;
    const around = (t: string) => `${t.slice(0, 60)} … ${t.slice(Math.max(0, at - 60), at + 60)}`;
    return `entry ${i}, character ${at}:\n  with B active: ${around(p)}\n  with B quiet:  ${around(q)}`;
  }
  return null;
}

async function checkNoninterference(regime: Regime): Promise<void> {
  const active = await runScenario(regime, true, null);
  const quiet = await runScenario(regime, false, active.guesses);
  // The runs really differed: B wrote, and B and the mediator saw it.
  expect(active.bIds.length).toBeGreaterThanOrEqual(10);
  expect(firstDifference(active.others, quiet.others)).not.toBeNull();
  expect(active.a.length).toBeGreaterThan(100);
  // Side A saw byte for byte the same.
  expect(firstDifference(active.a, quiet.a)).toBeNull();
}

describe('noninterference between sides (C8)', () => {
  it('[C8] side A observes exactly the same whatever side B does in its caucus', async () => {
    await checkNoninterference('opt-in');
  }, 60_000);

  it('[C8] side A observes exactly the same whatever side B does in its caucus (opt-out regime)', async () => {
    await checkNoninterference('opt-out');
  }, 60_000);
});
