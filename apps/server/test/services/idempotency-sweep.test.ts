import { describe, expect, it } from 'vitest';
import { idempotencySweeper, sweepIdempotency } from '../../src/services/idempotency-sweep.ts';

const clock = { now: () => Date.UTC(2026, 5, 1) };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store holding `n` old records, deleting as many as asked per call; it records each cutoff. */
function store(n: number, fail = false) {
  const s = {
    left: n,
    cutoffs: [] as number[],
    pruneIdempotency(before: number, limit: number): Promise<number> {
      s.cutoffs.push(before);
      if (fail) return Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
      const k = Math.min(limit, s.left);
      s.left -= k;
      return Promise.resolve(k);
    },
  };
  return s;
}

describe('idempotency records past their retention', () => {
  it('a sweep deletes every old record, a chunk per statement, cut off at now minus the retention', async () => {
    const s = store(1_234);
    expect(await sweepIdempotency(s, clock, { retentionMs: 7 * 86_400_000, chunk: 500, pauseMs: 0 })).toBe(1_234);
    expect(s.left).toBe(0);
    expect(s.cutoffs).toEqual([1, 2, 3, 4].map(() => clock.now() - 7 * 86_400_000)); // 500, 500, 234, then 0
  });

  it('the sweeper runs after its first delay and then on its period; a failed sweep is reported and the next one runs; stop ends it', async () => {
    const s = store(3);
    const swept: number[] = [];
    const sweeper = idempotencySweeper(s, clock, { retentionMs: 1000, chunk: 2, pauseMs: 0, firstMs: 5, everyMs: 10, onSwept: (n) => swept.push(n) });
    await wait(100);
    await sweeper.stop();
    expect(swept).toEqual([3]); // later sweeps found nothing, and say nothing
    expect(s.cutoffs.length).toBeGreaterThanOrEqual(4); // 2, 1, 0, then at least one more sweep's 0
    const calls = s.cutoffs.length;
    await wait(30);
    expect(s.cutoffs.length).toBe(calls); // stopped

    const failing = store(5, true);
    const errors: unknown[] = [];
    const again = idempotencySweeper(failing, clock, { retentionMs: 1000, firstMs: 5, everyMs: 10, onError: (e) => errors.push(e) });
    await wait(100);
    await again.stop();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({ code: 'SQLITE_BUSY' });
  });
});
