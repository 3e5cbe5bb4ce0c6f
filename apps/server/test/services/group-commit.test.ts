import type { StoredEvent } from '@caucus/domain';
import { emptyCase } from '@caucus/domain';
import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../src/services/group-commit.ts';
import type { CommitInput, CommitReceipt } from '../../src/services/ports.ts';
import { MemoryCaseStore } from './fakes.ts';

/** A store with `lanes` lanes whose batches are held until released, recording what each batch held. */
function laneStore(lanes: number) {
  const batches: string[][] = [];
  const gates: (() => void)[] = [];
  const store = Object.assign(new MemoryCaseStore(), {
    commitLanes: lanes,
    async commitMany(inputs: readonly CommitInput[]): Promise<(CommitReceipt | Error)[]> {
      batches.push(inputs.map((i) => `${i.caseId}@${i.expectedVersion}`));
      await new Promise<void>((r) => gates.push(r));
      return inputs.map((i) => ({ audit: { seq: i.expectedVersion ?? 0, hash: 'h' } }));
    },
  });
  return { store, batches, release: () => gates.shift()?.(), held: () => gates.length };
}

const input = (caseId: string, version: number): CommitInput => ({ caseId, expectedVersion: version, state: emptyCase(caseId), events: [] as StoredEvent[], now: 0 });
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('group commit', () => {
  it("with several lanes, a case's next batch waits for the one being written; other cases go on in another lane", async () => {
    const { store, batches, release, held } = laneStore(2);
    const commit = groupCommit(store);
    const settled: string[] = [];
    const req = (caseId: string, v: number) => commit({ input: input(caseId, v), settle: (o) => settled.push(`${caseId}@${v}${o instanceof Error ? '!' : ''}`) });
    req('x', 1);
    await tick();
    expect(batches).toEqual([['x@1']]);
    // Only x's commands are waiting: no second lane starts for them (and none spins looking).
    req('x', 2);
    req('x', 3);
    await tick();
    expect(batches).toHaveLength(1);
    // y can go now, in the second lane, while x@1 is being written.
    req('y', 1);
    await tick();
    expect(batches).toEqual([['x@1'], ['y@1']]);
    expect(held()).toBe(2);
    release(); // x@1 done: x@2 and x@3 follow in one batch
    await tick();
    expect(batches.at(-1)).toEqual(['x@2', 'x@3']);
    release();
    release();
    await tick();
    expect(settled).toEqual(['x@1', 'y@1', 'x@2', 'x@3']);
  });

  it('a failed last check refuses that command alone, before anything is written', async () => {
    const { store, batches, release } = laneStore(1);
    const commit = groupCommit(store);
    const settled: string[] = [];
    commit({ input: input('a', 1), settle: (o) => settled.push(o instanceof Error ? `a:${o.message}` : 'a') });
    commit({ input: input('b', 1), check: () => { throw new Error('signed out'); }, settle: (o) => settled.push(o instanceof Error ? `b:${o.message}` : 'b') });
    await tick();
    expect(batches).toEqual([['a@1']]);
    expect(settled).toEqual(['b:signed out']);
    release();
    await tick();
    expect(settled).toEqual(['b:signed out', 'a']);
  });

  it('a refused command takes the later commands of its case in that batch with it, unwritten; other cases are written', async () => {
    const { store, batches, release } = laneStore(1);
    const commit = groupCommit(store);
    const settled: string[] = [];
    const outcome = (name: string) => (o: CommitReceipt | Error | undefined) => settled.push(o instanceof Error ? `${name}: ${o.constructor.name}` : name);
    commit({ input: input('x', 1), check: () => { throw new Error('gone'); }, settle: outcome('x@1') });
    commit({ input: input('x', 2), settle: outcome('x@2') });
    commit({ input: input('y', 1), settle: outcome('y@1') });
    await tick();
    expect(batches).toEqual([['y@1']]);
    expect(settled).toEqual(['x@1: Error', 'x@2: VersionConflict']);
    release();
    await tick();
    expect(settled.at(-1)).toBe('y@1');
  });
});
