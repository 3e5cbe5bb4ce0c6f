import { describe, expect, it } from 'vitest';
import { parseProcStat, readCpuTimes, stealPct } from './steal.ts';

// Two readings of a two-core machine's /proc/stat, one second apart (100 jiffies per core).
const BEFORE = `cpu  2000 0 1000 16000 0 0 0 100 0 0
cpu0 1000 0 500 8000 0 0 0 0 0 0
cpu1 1000 0 500 8000 0 0 0 100 0 0
intr 12345 0 0
ctxt 99
`;
const AFTER = `cpu  2120 0 1040 16020 0 0 0 120 50 0
cpu0 1060 0 20 8020 0 0 0 0 0 0
cpu1 1060 0 20 8000 0 0 0 20 50 0
intr 12400 0 0
`;

describe('hypervisor steal from /proc/stat', () => {
  it('reads each core, not the aggregate line, and leaves guest time out of the total', () => {
    const t = parseProcStat(AFTER);
    expect([...t.keys()]).toEqual([0, 1]);
    // cpu1: user 1060 + system 20 + idle 8000 + steal 20; guest 50 is inside user already.
    expect(t.get(1)).toEqual({ steal: 20, total: 9100 });
  });

  it('gives the share of a core’s time that was stolen between two readings', () => {
    const a = parseProcStat(BEFORE);
    const b = parseProcStat(`cpu0 1060 0 520 8020 0 0 0 0 0 0\ncpu1 1050 0 510 8020 0 0 0 120 0 0\n`);
    // cpu1 advanced 50 + 10 + 20 + 20 = 100 jiffies, 20 of them stolen.
    expect(stealPct(a, b, [1])).toBeCloseTo(20);
    expect(stealPct(a, b, [0])).toBe(0);
    // Both cores: 20 stolen of 200.
    expect(stealPct(a, b)).toBeCloseTo(10);
  });

  it('says unknown rather than zero when a reading or a core is missing or no time passed', () => {
    const a = parseProcStat(BEFORE);
    expect(stealPct(null, a)).toBeNull();
    expect(stealPct(a, null)).toBeNull();
    expect(stealPct(a, a, [1])).toBeNull();
    expect(stealPct(a, parseProcStat(AFTER), [7])).toBeNull();
  });

  it('counts nothing stolen on a kernel that reports no steal field', () => {
    const t = parseProcStat('cpu0 10 0 5 85\n');
    expect(t.get(0)).toEqual({ steal: 0, total: 100 });
  });

  it('reads this machine where there is a /proc/stat', ({ skip }) => {
    const t = readCpuTimes();
    if (process.platform !== 'linux') skip('no /proc/stat off Linux');
    expect(t).not.toBeNull();
    expect(t?.size).toBeGreaterThan(0);
  });
});
