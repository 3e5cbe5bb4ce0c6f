import fs from 'node:fs';

/**
 * CPU time the hypervisor took from this virtual machine ("steal"), per core, from Linux's
 * /proc/stat. On a shared host a vCPU can lose tens of milliseconds at a time, and a server
 * that is not running cannot deliver: a p99 read while a tenth of its core was stolen says
 * more about the host than about the server. The bench reports it beside each phase.
 */

/** Per core: jiffies stolen and jiffies in all states, cumulative since boot. */
export type CpuTimes = ReadonlyMap<number, { readonly steal: number; readonly total: number }>;

/**
 * Parses /proc/stat's per-core lines (`cpuN user nice system idle iowait irq softirq steal
 * guest guest_nice`). Guest time is already counted in user and nice, so it is left out of
 * the total. A kernel too old to report steal (fewer than eight fields) gives 0 stolen.
 */
export function parseProcStat(text: string): CpuTimes {
  const out = new Map<number, { steal: number; total: number }>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = (m[2] ?? '').trim().split(/\s+/).map(Number);
    if (f.length < 4 || f.some((x) => !Number.isFinite(x))) continue;
    const total = f.slice(0, 8).reduce((s, x) => s + x, 0);
    out.set(Number(m[1]), { steal: f[7] ?? 0, total });
  }
  return out;
}

/** This machine's counters now, or null where there is no /proc/stat (not Linux). */
export function readCpuTimes(): CpuTimes | null {
  try {
    return parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Percent of the given cores' time stolen between two readings (all cores when `cores` is
 * omitted); null when a reading is missing, a core is unknown, or no time passed.
 */
export function stealPct(before: CpuTimes | null, after: CpuTimes | null, cores?: readonly number[]): number | null {
  if (!before || !after) return null;
  const ids = cores ?? [...after.keys()];
  let steal = 0;
  let total = 0;
  for (const id of ids) {
    const a = before.get(id);
    const b = after.get(id);
    if (!a || !b) return null;
    steal += b.steal - a.steal;
    total += b.total - a.total;
  }
  return total > 0 ? (100 * steal) / total : null;
}
