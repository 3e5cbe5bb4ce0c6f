import type { Clock } from '../platform.ts';

/**
 * Failed attempts per key in a fixed window, in memory (one process). Only failures
 * count, so that people behind one shared address are not locked out by each other's
 * successful sign-ins. Old windows are swept as they expire.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds to wait before another attempt is allowed under this key (0: go ahead). */
  wait(key: string): number {
    const now = this.clock.now();
    const w = this.windows.get(key);
    return w && w.resetAt > now && w.count >= this.limit ? Math.ceil((w.resetAt - now) / 1000) : 0;
  }

  /** Counts one failed attempt. */
  fail(key: string): void {
    const now = this.clock.now();
    if (this.windows.size > 10_000) for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) this.windows.set(key, (w = { count: 0, resetAt: now + this.windowMs }));
    w.count += 1;
  }

  reset(key: string): void {
    this.windows.delete(key);
  }
}
