import { describe, expect, it } from 'vitest';
import { formatDuration } from './format.ts';

describe('durations', () => {
  it('in tables, under a minute shows seconds (a short visit is not "0 min")', () => {
    expect(formatDuration(45_000, true)).toMatch(/^45\s?sec/);
    expect(formatDuration(5 * 60_000 + 10_000, true)).toMatch(/^5\s?min/);
  });
  it('in sentences, under a minute reads as words', () => {
    expect(formatDuration(45_000)).toBe('under a minute');
  });
});
