import { emptyCase, type Command } from '@caucus/domain';
import { describe, expect, it } from 'vitest';
import { seededIds } from '../../src/platform.ts';
import { caseEngine } from '../../src/services/case-engine.ts';
import { GatedCaseStore, MemoryCaseStore, RecordingPublisher } from './fakes.ts';

const clock = { now: () => Date.UTC(2026, 0, 5, 9) };

function setup(cases = new MemoryCaseStore()) {
  const publisher = new RecordingPublisher();
  const engine = caseEngine({ cases, publisher, clock, ids: seededIds('engine') });
  return { cases, publisher, engine };
}

async function openCase(engine: ReturnType<typeof setup>['engine'], store?: GatedCaseStore) {
  const caseId = 'case-0001-abcdef';
  const command: Command = {
    type: 'open-case',
    input: {
      title: 'T',
      reference: '',
      regime: 'opt-in',
      agreementHash: 'a'.repeat(64),
      settings: { requesterVisible: false, observersAllowed: false },
      sides: [
        { name: 'A', members: [{ role: 'party', displayName: 'Ana', email: null }] },
        { name: 'B', members: [{ role: 'party', displayName: 'Ben', email: null }] },
      ],
      mediators: [{ accountId: 'acct-1', displayName: 'Mia', email: null, lead: true }],
      observers: [],
      invitationExpiresAt: clock.now() + 1000,
    },
  };
  const opening = engine.run({
    caseId,
    actorId: null,
    command,
    create: { initial: emptyCase(caseId), data: { createdBy: 'acct-1', agreementText: 'x', mediators: [] }, caseOf: () => caseId },
    respond: (s) => Object.values(s.participants).find((p) => p.role === 'mediator')?.id ?? '',
  });
  if (store) await store.release();
  return { caseId, mediatorId: await opening };
}

const post = (engine: ReturnType<typeof setup>['engine'], caseId: string, actorId: string, body: string, key?: string) =>
  engine.run({
    caseId,
    actorId,
    command: { type: 'post-message', input: { stream: 'joint', body, label: null } },
    idempotency: key ? { scope: 'a:acct-1', key, request: { body } } : null,
    respond: (_s, ev) => ev.map((e) => `${e.stream}#${e.position}`),
  });

/** A gated store with an open case and a started session, everything released. */
async function gated() {
  const store = new GatedCaseStore();
  const t = setup(store);
  const { caseId, mediatorId } = await openCase(t.engine, store);
  const starting = t.engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 0 });
  await store.release();
  await starting;
  store.batches.length = 0;
  return { ...t, store, caseId, mediatorId };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

/** Counts commit attempts and idempotency lookups. */
class CountingStore extends MemoryCaseStore {
  attempts = 0;
  lookups = 0;
  override commit(input: Parameters<MemoryCaseStore['commit']>[0]) {
    this.attempts += 1;
    return super.commit(input);
  }
  override findIdempotent(scope: string, key: string) {
    this.lookups += 1;
    return super.findIdempotent(scope, key);
  }
}

/** A counting store with an open case and a started session. */
async function counted() {
  const cases = new CountingStore();
  const { engine } = setup(cases);
  const { caseId, mediatorId } = await openCase(engine);
  await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 0 });
  return { cases, engine, caseId, mediatorId };
}

describe('case engine (in-memory store)', () => {
  it('acknowledges only after the commit, and publishes what it committed', async () => {
    const { cases, publisher, engine } = setup();
    const { caseId, mediatorId } = await openCase(engine);
    const before = cases.commits;
    await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 'ok' });
    expect(cases.commits).toBe(before + 1);
    const last = publisher.published.at(-1);
    expect(last?.events.map((e) => e.type)).toEqual(['session.started']);
    expect(last?.state.session.phase).toBe('joint');
  });

  it('a failed commit is not acknowledged and publishes nothing', async () => {
    const { cases, publisher, engine } = setup();
    const { caseId, mediatorId } = await openCase(engine);
    const published = publisher.published.length;
    cases.commit = () => Promise.reject(new Error('disk full'));
    await expect(engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 'ok' })).rejects.toThrow('disk full');
    expect(publisher.published.length).toBe(published);
  });

  it('decides again on fresh state after another writer won the race', async () => {
    const { cases, engine } = setup();
    const { caseId, mediatorId } = await openCase(engine);
    cases.raceOnce = true;
    const phase = await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: (s) => s.session.phase });
    expect(phase).toBe('joint');
    expect((await cases.load(caseId))?.state.session.sessionNo).toBe(1);
  });

  it('serialises commands of one case: positions are gapless and in publish order', async () => {
    const { publisher, engine } = setup();
    const { caseId, mediatorId } = await openCase(engine);
    await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 0 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        engine.run({ caseId, actorId: mediatorId, command: { type: 'post-message', input: { stream: 'joint', body: `m${i}`, label: null } }, respond: () => 0 }),
      ),
    );
    const positions = publisher.published.flatMap((p) => p.events.filter((e) => e.stream === 'joint').map((e) => e.position));
    expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('a retried command with the same key returns the first result and is applied once', async () => {
    const { cases, engine } = setup();
    const { caseId, mediatorId } = await openCase(engine);
    await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 0 });
    const run = () =>
      engine.run({
        caseId,
        actorId: mediatorId,
        command: { type: 'post-message', input: { stream: 'joint', body: 'hello', label: null } },
        idempotency: { scope: 'a:acct-1', key: 'k-00000001', request: { body: 'hello' } },
        respond: (_s, ev) => ev.map((e) => e.id),
      });
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(cases.events.filter((e) => e.stream === 'joint')).toHaveLength(1);
  });

  it('a new command is decided without reading the store for its key; the store refusing a second record is what stops a retry', async () => {
    const { cases, engine, caseId, mediatorId } = await counted();
    const first = await post(engine, caseId, mediatorId, 'hello', 'k-count-1');
    expect(cases.lookups).toBe(0);
    // The retry is decided, its commit refused (the key is taken), then decided again with its record read first.
    expect(await post(engine, caseId, mediatorId, 'hello', 'k-count-1')).toEqual(first);
    expect(cases.lookups).toBe(1);
    expect(cases.events.filter((e) => e.stream === 'joint')).toHaveLength(1);
  });

  it('after one retry found at its commit, the sender\'s next commands have their record read first: replayed ids fail no further commit', async () => {
    const { cases, engine, caseId, mediatorId } = await counted();
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push(await post(engine, caseId, mediatorId, `message ${i}`, `k-replay-${i}`));
    const before = cases.attempts;
    expect(await post(engine, caseId, mediatorId, 'message 1', 'k-replay-1')).toEqual(answers[0]);
    expect(cases.attempts).toBe(before + 1); // decided, and refused at its commit
    for (let i = 2; i <= 5; i++) expect(await post(engine, caseId, mediatorId, `message ${i}`, `k-replay-${i}`)).toEqual(answers[i - 1]);
    expect(cases.attempts).toBe(before + 1); // answered from their records, never written
    expect(cases.events.filter((e) => e.stream === 'joint')).toHaveLength(5);
  });

  it('a command its sender marks as sent again has its record read first: a retry so marked fails no commit, a first send so marked is stored', async () => {
    const { cases, engine, caseId, mediatorId } = await counted();
    const again = (body: string, key: string) =>
      engine.run({
        caseId,
        actorId: mediatorId,
        command: { type: 'post-message', input: { stream: 'joint', body, label: null } },
        idempotency: { scope: 'a:acct-1', key, request: { body }, again: true },
        respond: (_s, ev) => ev.map((e) => `${e.stream}#${e.position}`),
      });
    const first = await post(engine, caseId, mediatorId, 'hello', 'k-again-1');
    const [attempts, lookups] = [cases.attempts, cases.lookups];
    expect(await again('hello', 'k-again-1')).toEqual(first);
    expect(cases.attempts).toBe(attempts); // answered from its record: no commit tried, none refused
    expect(cases.lookups).toBe(lookups + 1);
    // Marked, but never stored before (its first send was lost on the way): decided and stored once.
    const lost = await again('sent once, lost on the way', 'k-again-2');
    expect(lost).toEqual(['joint#2']);
    expect(cases.attempts).toBe(attempts + 1);
    expect(await again('sent once, lost on the way', 'k-again-2')).toEqual(lost);
    // The same key with another request is still refused.
    await expect(again('something else', 'k-again-2')).rejects.toThrow('different request');
    expect(cases.events.filter((e) => e.stream === 'joint')).toHaveLength(2);
  });

  it('a retry of a command the case would now refuse, or that would now change nothing, gets its first answer', async () => {
    const { cases, engine } = setup();
    const { caseId, mediatorId } = await openCase(engine);
    await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 0 });
    const state = (await cases.load(caseId))?.state;
    const party = Object.values(state?.participants ?? {}).find((p) => p.role === 'party');
    if (!party || !state) throw new Error('no party');
    const accept = () =>
      engine.run({
        caseId,
        actorId: party.id,
        command: { type: 'accept-agreement', input: { agreementHash: state.agreementHash } },
        idempotency: { scope: 'p:party', key: 'k-accept-1', request: { accept: true } },
        respond: (_s, ev) => ev.map((e) => e.type),
      });
    const accepted = await accept();
    expect(accepted).toEqual(['agreement.accepted']);
    expect(await accept()).toEqual(accepted); // accepting again would change nothing: the first answer, not an empty one
    const first = await post(engine, caseId, party.id, 'in the joint room', 'k-moved-1');
    await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-separate', input: { sideId: party.sideId ?? '', purpose: null } }, respond: () => 0 });
    // The joint room is closed to parties now: the same message, sent afresh, is refused...
    await expect(post(engine, caseId, party.id, 'in the joint room', 'k-moved-2')).rejects.toThrow('joint room is closed');
    // ...but its retry is answered as it was the first time.
    expect(await post(engine, caseId, party.id, 'in the joint room', 'k-moved-1')).toEqual(first);
    expect(cases.events.filter((e) => e.stream === 'joint')).toHaveLength(1);
  });

  it('a key used again for another request is refused, also when that request would change nothing, and nothing of it is stored', async () => {
    const { cases, engine } = setup();
    const { caseId, mediatorId } = await openCase(engine);
    await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 0 });
    await post(engine, caseId, mediatorId, 'the first', 'k-reused-1');
    await expect(post(engine, caseId, mediatorId, 'another text', 'k-reused-1')).rejects.toThrow('already used for a different request');
    const start = await engine.run({
      caseId,
      actorId: mediatorId,
      command: { type: 'start-session', input: {} }, // the session is running: refused as it stands
      idempotency: { scope: 'a:acct-1', key: 'k-reused-1', request: { start: true } },
      respond: () => 'started',
    }).then(
      () => 'answered',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(start).toContain('already used for a different request');
    expect(cases.events.filter((e) => e.stream === 'joint').map((e) => (e.content as { body: string }).body)).toEqual(['the first']);
  });

  it('a retry written in one batch with new commands of its case: they are stored once each, and the retry gets its first answer', async () => {
    const { store, publisher, engine, caseId, mediatorId } = await gated();
    const first = post(engine, caseId, mediatorId, 'hello', 'k-batch-1');
    await store.release();
    const answer = await first;
    store.batches.length = 0;
    const blocker = post(engine, caseId, mediatorId, 'one'); // keeps the lane busy, so that the next two share a batch
    await settle();
    const retry = post(engine, caseId, mediatorId, 'hello', 'k-batch-1');
    const fresh = post(engine, caseId, mediatorId, 'two');
    await settle();
    await store.release(); // 'one'
    await store.release(); // the retry (refused: its key is taken) and 'two', decided on top of it
    for (let i = 0; i < 3 && store.batches.length < 3; i++) await settle();
    if (store.batches.length >= 3) await store.release(); // 'two', decided again
    expect(store.batches[1]?.map((i) => i.events.map((e) => (e.content as { body: string }).body))).toEqual([['hello'], ['two']]);
    expect(await retry).toEqual(answer);
    expect(await blocker).toEqual(['joint#2']);
    expect(await fresh).toEqual(['joint#3']);
    const bodies = store.events.filter((e) => e.stream === 'joint').map((e) => (e.content as { body: string }).body);
    expect(bodies).toEqual(['hello', 'one', 'two']);
    expect(publisher.published.flatMap((p) => p.events.filter((e) => e.stream === 'joint').map((e) => e.position))).toEqual([1, 2, 3]);
  });

  it('a refusal decided on top of a retry that its commit then refuses is decided again, on what is stored', async () => {
    const { store, engine, caseId, mediatorId } = await gated();
    /** Lets batches through until all of these have settled. */
    const drain = async (...running: Promise<unknown>[]) => {
      let done = false;
      void Promise.allSettled(running).then(() => (done = true));
      while (!done) {
        if (store.held > 0) await store.release();
        else await settle();
      }
    };
    const state = (await store.load(caseId))?.state;
    const party = Object.values(state?.participants ?? {}).find((p) => p.role === 'party');
    if (!party || !state) throw new Error('no party');
    await drain(engine.run({ caseId, actorId: party.id, command: { type: 'accept-agreement', input: { agreementHash: state.agreementHash } }, respond: () => 0 }));
    const pause = () =>
      engine.run({
        caseId,
        actorId: mediatorId,
        command: { type: 'pause', input: {} },
        idempotency: { scope: 'a:acct-1', key: 'k-pause-1', request: { pause: true } },
        respond: (_s, ev) => ev.map((e) => e.type),
      });
    const paused = pause();
    await drain(paused);
    await drain(engine.run({ caseId, actorId: mediatorId, command: { type: 'open-joint', input: {} }, respond: () => 0 }));
    // The pause retried: decided on the open joint room, it pauses the session again in the
    // case's tail, until its commit is refused (its key is taken). The party's message,
    // decided on that tail, would be refused there ("the joint room is closed").
    const retry = pause();
    await settle();
    const message = post(engine, caseId, party.id, 'while the room is open');
    await drain(retry, message);
    expect(await retry).toEqual(await paused);
    expect(await message).toEqual(['joint#1']);
    expect(store.events.filter((e) => e.type === 'session.paused')).toHaveLength(1);
    expect((await store.load(caseId))?.state.session.phase).toBe('joint');
  });

  it('a command refused in the lane takes down only those decided on top of it, not the one written beside it before it', async () => {
    const { store, engine, caseId, mediatorId } = await gated();
    const blocker = post(engine, caseId, mediatorId, 'zero'); // keeps the lane busy, so that the next two share a batch
    await settle();
    let signedOut = false;
    const kept = post(engine, caseId, mediatorId, 'one');
    const refused = engine
      .run({
        caseId,
        actorId: mediatorId,
        command: { type: 'post-message', input: { stream: 'joint', body: 'two', label: null } },
        stillAuthorized: () => {
          if (signedOut) throw new Error('signed out');
        },
        respond: (_s, ev) => ev.map((e) => `${e.stream}#${e.position}`),
      })
      .then(
        () => 'stored',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
    await settle();
    signedOut = true; // after both were decided: the lane refuses 'two'
    await store.release(); // 'zero'
    await store.release(); // 'one' (and 'two', refused before it is written)
    expect(await blocker).toEqual(['joint#1']);
    expect(await kept).toEqual(['joint#2']);
    expect(await refused).toBe('signed out');
    expect(store.batches).toHaveLength(2);
    expect(store.events.filter((e) => e.stream === 'joint').map((e) => (e.content as { body: string }).body)).toEqual(['zero', 'one']);
  });

  it('a command other than a message waits for messages decided before their record was read: it is never decided on a retry its commit refuses', async () => {
    const { store, engine, caseId, mediatorId } = await gated();
    const first = post(engine, caseId, mediatorId, 'hello', 'k-wait-1');
    await store.release();
    const answer = await first;
    const stored = (await store.load(caseId))?.version;
    store.batches.length = 0;
    const retry = post(engine, caseId, mediatorId, 'hello', 'k-wait-1'); // decided as new, refused at its commit
    await settle();
    let decisions = 0;
    const pausing = engine.run({
      caseId,
      actorId: mediatorId,
      command: { type: 'pause', input: {} },
      respond: (s) => {
        decisions += 1;
        return s.session.phase;
      },
    });
    await settle();
    await store.release(); // the retry's batch
    await settle();
    await store.release(); // the pause
    expect(await retry).toEqual(answer);
    expect(await pausing).toBe('paused');
    const pauses = store.batches.flat().filter((i) => i.events.some((e) => e.type === 'session.paused'));
    expect(pauses.map((i) => i.expectedVersion)).toEqual([stored]);
    expect(decisions).toBe(1); // decided once, on what was stored: not first on the retry's state
  });

  it('[C11] keeps the store\'s keyed digest of a request, and once the case\'s key is gone refuses a retry instead of replaying it', async () => {
    // A store that keys request digests with the case's key, as the real one does, until the key is shredded.
    class KeyedStore extends MemoryCaseStore {
      readonly shredded = new Set<string>();
      requestDigest(caseId: string, text: string) {
        return Promise.resolve(this.shredded.has(caseId) ? null : `keyed:${caseId}:${text.length}:${[...text].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7)}`);
      }
    }
    const cases = new KeyedStore();
    const { engine } = setup(cases);
    const { caseId, mediatorId } = await openCase(engine);
    await engine.run({ caseId, actorId: mediatorId, command: { type: 'start-session', input: {} }, respond: () => 0 });
    const first = await post(engine, caseId, mediatorId, 'our limit is 40,000', 'k-keyed-1');
    expect(await post(engine, caseId, mediatorId, 'our limit is 40,000', 'k-keyed-1')).toEqual(first); // replayed
    const record = cases.idem.get('a:acct-1|k-keyed-1');
    expect(record?.requestHash.startsWith(`keyed:${caseId}:`)).toBe(true);
    expect(JSON.stringify(record)).not.toContain('40,000');
    cases.shredded.add(caseId);
    await expect(post(engine, caseId, mediatorId, 'our limit is 40,000', 'k-keyed-1')).rejects.toThrow('This case is closed.');
    expect(cases.events.filter((e) => e.stream === 'joint')).toHaveLength(1);
  });

  it('decides the next command of a case while the one before is being written, and stores them in order', async () => {
    const { store, publisher, engine, caseId, mediatorId } = await gated();
    const first = post(engine, caseId, mediatorId, 'one');
    await settle();
    expect(store.batches).toHaveLength(1); // 'one' is being written...
    const second = post(engine, caseId, mediatorId, 'two');
    const third = post(engine, caseId, mediatorId, 'three');
    await settle();
    // ...and 'two' and 'three' were decided on top of it, without waiting: the next batch holds both.
    expect(publisher.published.filter((p) => p.events.some((e) => e.type === 'message.posted'))).toHaveLength(0);
    await store.release();
    expect(await first).toEqual(['joint#1']);
    expect(store.batches).toHaveLength(2);
    expect(store.batches[1]?.map((i) => i.expectedVersion)).toEqual([(store.batches[0]?.[0]?.expectedVersion ?? 0) + 1, (store.batches[0]?.[0]?.expectedVersion ?? 0) + 2]);
    await store.release();
    expect([await second, await third]).toEqual([['joint#2'], ['joint#3']]);
    const bodies = publisher.published.flatMap((p) => p.events.filter((e) => e.stream === 'joint').map((e) => `${e.position}:${(e.content as { body: string }).body}`));
    expect(bodies).toEqual(['1:one', '2:two', '3:three']);
  });

  it('a failed write fails the commands decided on top of it; they are decided again on what is stored', async () => {
    const { store, publisher, engine, caseId, mediatorId } = await gated();
    store.failBody = 'lost';
    const lost = post(engine, caseId, mediatorId, 'lost').then(
      () => 'stored',
      (e: unknown) => (e instanceof Error ? e.message : 'failed'),
    );
    await settle();
    const after = post(engine, caseId, mediatorId, 'after');
    await store.release(); // 'lost' fails: disk full
    expect(await lost).toBe('disk full');
    await store.release(); // 'after' was decided on top of it: its version is not there, so it is decided again...
    await store.release(); // ...and stored at the position 'lost' would have had
    expect(await after).toEqual(['joint#1']);
    expect(store.events.filter((e) => e.stream === 'joint').map((e) => (e.content as { body: string }).body)).toEqual(['after']);
    expect(publisher.published.flatMap((p) => p.events.filter((e) => e.stream === 'joint').map((e) => e.position))).toEqual([1]);
  });

  it('a retry that comes while the first try is still being written waits for it and returns its result, stored once', async () => {
    const { store, engine, caseId, mediatorId } = await gated();
    const first = post(engine, caseId, mediatorId, 'hello', 'k-00000002');
    await settle();
    const retry = post(engine, caseId, mediatorId, 'hello', 'k-00000002');
    await settle(); // the retry is in: it must not be decided as a second message
    await store.release();
    await settle();
    expect(store.batches).toHaveLength(1);
    expect(await retry).toEqual(await first);
    expect(store.events.filter((e) => e.stream === 'joint')).toHaveLength(1);
  });

  it('[C7] a command that shrinks access is stored (and its connections closed) before the next command of the case is decided', async () => {
    const { store, publisher, engine, caseId, mediatorId } = await gated();
    const state = (await store.load(caseId))?.state;
    const party = Object.values(state?.participants ?? {}).find((p) => p.role === 'party');
    if (!party) throw new Error('no party');
    let decidedAfter = false;
    const removing = engine.run({
      caseId,
      actorId: mediatorId,
      command: { type: 'remove-participant', input: { participantId: party.id } },
      afterCommit: () => publisher.disconnect({ caseId, participantIds: [party.id] }),
      respond: () => 'removed',
    });
    const next = engine.run({
      caseId,
      actorId: mediatorId,
      command: { type: 'post-message', input: { stream: 'joint', body: 'next', label: null } },
      authorize: () => {
        decidedAfter = publisher.disconnected.length > 0;
        return Promise.resolve();
      },
      respond: () => 'posted',
    });
    await settle();
    expect(store.batches).toHaveLength(1); // the removal alone: the next command waits for it
    await store.release();
    await store.release();
    expect([await removing, await next]).toEqual(['removed', 'posted']);
    expect(decidedAfter).toBe(true);
  });

  it("[C8] commands refused in the lane (their sender gone) make the ones decided on top of them be decided again, as often as it takes, never fail", async () => {
    const { store, engine, caseId, mediatorId } = await gated();
    let rounds = 7; // more than the 5 tries a conflict with another writer gets
    /**
     * A command whose sender is still there when it is decided and gone when its writes would
     * start; just before it is refused, the next one comes in, so that it is decided ahead of
     * whatever is decided again after this refusal.
     */
    const doomed = (n: number): void => {
      let checks = 0;
      void engine
        .run({
          caseId,
          actorId: mediatorId,
          command: { type: 'post-message', input: { stream: 'mediators', body: `doomed ${n}`, label: null } },
          stillAuthorized: () => {
            if (++checks === 1) return;
            if (--rounds > 0) doomed(n + 1);
            throw new Error('gone');
          },
          respond: () => n,
        })
        .catch(() => undefined);
    };
    const first = post(engine, caseId, mediatorId, 'in flight');
    await settle();
    doomed(1);
    await settle();
    let decisions = 0;
    let done = false;
    const mine = engine
      .run({
        caseId,
        actorId: mediatorId,
        command: { type: 'post-message', input: { stream: 'joint', body: 'mine', label: null } },
        authorize: () => {
          decisions += 1;
          return Promise.resolve();
        },
        respond: (_s, ev) => ev.map((e) => `${e.stream}#${e.position}`),
      })
      .finally(() => (done = true));
    for (let i = 0; i < 20 && !done; i++) await store.release();
    await first;
    expect(await mine).toEqual(['joint#2']);
    expect(decisions).toBeGreaterThan(5);
    expect(store.events.filter((e) => e.stream === 'joint').map((e) => (e.content as { body: string }).body)).toEqual(['in flight', 'mine']);
    expect(store.events.filter((e) => e.stream === 'mediators' && e.type === 'message.posted')).toEqual([]); // no doomed one was stored
  });
});
