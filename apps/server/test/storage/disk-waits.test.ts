import { describe, expect, it } from 'vitest';
import { DiskWaits } from '../../src/storage/disk-waits.ts';

describe('disk waits (what the bench prints beside its percentiles)', () => {
  it('gives percentiles within 10 % of the recorded waits, and the exact maximum', () => {
    const w = new DiskWaits();
    expect(w.summary()).toEqual({ flushes: 0, flushP50: 0, flushP99: 0, flushMax: 0, holds: 0, heldMs: 0 });
    // 1,000 waits: 0.5 ms each but 20 of 3 ms and 5 of 40 ms.
    for (let i = 0; i < 975; i++) w.flushed(0.5);
    for (let i = 0; i < 20; i++) w.flushed(3);
    for (let i = 0; i < 5; i++) w.flushed(40);
    w.held(12);
    w.held(20);
    const s = w.summary();
    expect(s.flushes).toBe(1000);
    expect(s.flushP50).toBeGreaterThanOrEqual(0.5);
    expect(s.flushP50).toBeLessThan(0.55);
    expect(s.flushP99).toBeGreaterThanOrEqual(3);
    expect(s.flushP99).toBeLessThan(3.3);
    expect(s.flushMax).toBe(40);
    expect([s.holds, s.heldMs]).toEqual([2, 32]);
    w.reset();
    expect(w.summary().flushes).toBe(0);
  });
});
