import { emptyCase, type Command } from '@caucus/domain';
import { describe, expect, it } from 'vitest';
import { seededIds } from '../../src/platform.ts';
import { caseEngine } from '../../src/services/case-engine.ts';
import { MemoryCaseStore, RecordingPublisher } from './fakes.ts';

const clock = { now: () => Date.UTC(2026, 0, 5, 9) };

function setup() {
  const cases = new MemoryCaseStore();
  const publisher = new RecordingPublisher();
  const engine = caseEngine({ cases, publisher, clock, ids: seededIds('engine') });
  return { cases, publisher, engine };
}

async function openCase(engine: ReturnType<typeof setup>['engine']) {
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
  const mediatorId = await engine.run({
    caseId,
    actorId: null,
    command,
    create: { initial: emptyCase(caseId), data: { createdBy: 'acct-1', agreementText: 'x', mediators: [] } },
    respond: (s) => Object.values(s.participants).find((p) => p.role === 'mediator')?.id ?? '',
  });
  return { caseId, mediatorId };
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
});
