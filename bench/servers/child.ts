/**
 * A server under test, in its own process (pinned by the orchestrator). It answers the
 * orchestrator over IPC: provision, memory (after a full GC), and per-phase CPU time
 * and event-loop delay measured here, inside the server process.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Envelope, Kind, Mem, PhaseStats, Reply, Request, Target } from '../lib/types.ts';

const kind = process.argv[2] as Kind;
const send = (r: Reply): void => {
  process.send?.(r);
};

async function load(): Promise<Target> {
  switch (kind) {
    case 'ours':
      return (await import('./ours.ts')).startOurs();
    case 'ws':
      return (await import('./ws-baseline.ts')).startWsBaseline();
    case 'sio':
      return (await import('./sio-baseline.ts')).startSioBaseline();
  }
}

/**
 * Memory after full collections. RSS is read only once it has settled: the pages a
 * collection frees go back to the OS from V8's background threads, so a reading taken right
 * after one can still hold them (an idle figure below zero: the baseline read too high).
 */
async function mem(): Promise<Mem> {
  const gc = (globalThis as { gc?: () => void }).gc;
  let rss = process.memoryUsage().rss;
  for (let i = 0; i < 10; i++) {
    if (gc) {
      gc();
      gc();
    }
    await new Promise((r) => setTimeout(r, 100));
    const now = process.memoryUsage().rss;
    const settled = Math.abs(now - rss) < 256 * 1024;
    rss = now;
    if (settled && i > 0) break;
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

const target = await load();
const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();
let phaseCpu = process.cpuUsage();
let phaseT0 = performance.now();
// With BENCH_PROF_DIR, the V8 CPU profiler (what --cpu-prof uses) records each measured phase only.
const profDir = process.env.BENCH_PROF_DIR || null;
const inspector = profDir ? new Session() : null;
if (inspector) {
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
}
let phaseNo = 0;

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'provision':
      return target.provision(req.cases);
    case 'mem':
      return mem();
    case 'phase-start':
      if (inspector) await inspector.post('Profiler.start');
      eld.reset();
      target.diskWaits?.reset();
      phaseCpu = process.cpuUsage();
      phaseT0 = performance.now();
      return null;
    case 'phase-end': {
      const d = process.cpuUsage(phaseCpu);
      const s: PhaseStats = {
        cpuUs: d.user + d.system,
        wallMs: performance.now() - phaseT0,
        eldP50: eld.percentile(50) / 1e6,
        eldP99: eld.percentile(99) / 1e6,
        eldMax: eld.max / 1e6,
        disk: target.diskWaits?.summary() ?? null,
      };
      if (inspector && profDir) {
        const { profile } = await inspector.post('Profiler.stop');
        fs.mkdirSync(profDir, { recursive: true });
        fs.writeFileSync(path.join(profDir, `${kind}-${process.pid}-phase${++phaseNo}.cpuprofile`), JSON.stringify(profile));
      }
      return s;
    }
    case 'stop':
      await target.close();
      setTimeout(() => process.exit(0), 50);
      return null;
  }
}

process.on('message', (m: Envelope) => {
  handle(m.req).then(
    (value) => send({ id: m.id, ok: true, value }),
    (e: unknown) => send({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ id: 0, ok: true, value: 'ready' });
