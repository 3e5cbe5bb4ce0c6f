/**
 * The mediation-shaped workload, driven from the load-generator process. Per case: a
 * mediator and two sides of a party and a representative (5 live clients); messages in the
 * room the phase allows, typing before a message, focus (presence) on every move, and a
 * cycle "separate with A → move to B → reconvene". Every frame received is checked against
 * the recipient's audience; one frame in the wrong place is a gate failure.
 */
import { Histogram } from './hist.ts';
import type { Link, Transport } from './transports.ts';
import type { CaseCred, ClientCred } from './types.ts';

interface Client {
  readonly cred: ClientCred;
  readonly kase: GenCase;
  link: Link | null;
  hello: boolean;
  caughtUp: boolean;
  closedWith: number | null;
  lastTyping: Map<string, number>;
}

interface PendingMove {
  readonly intended: number;
  readonly waiting: Set<Client>;
}

interface GenCase {
  readonly cred: CaseCred;
  readonly clients: Client[];
  readonly pids: Set<string>;
  /** 0: joint; 1: separate with A; 2: separate with B. */
  step: 0 | 1 | 2;
  cmdInFlight: boolean;
  nextCycleAt: number;
  readonly moves: PendingMove[];
}

export interface PhaseResult {
  readonly wallMs: number;
  readonly deliveries: number;
  readonly messages: number;
  readonly rejected: number;
  readonly errors: number;
  readonly lost: number;
  readonly commands: number;
  readonly genCpuPct: number;
  readonly latency: Histogram;
  readonly ack: Histogram;
  readonly move: Histogram;
}

export interface LoadOptions {
  /** Per-case room-move step (ms) is max(minStepMs, cases / movesPerS * 1000). */
  readonly movesPerS: number;
  readonly minStepMs: number;
}

const PAD = 'x'.repeat(64);

export class Load {
  private readonly cases: GenCase[] = [];
  private readonly intended: number[] = [];
  private readonly expected: number[] = [];
  private readonly got: number[] = [];
  gateFailures = 0;
  readonly gateSamples: string[] = [];
  private measuring = false;
  private phaseSeqFrom = 0;
  private deliveries = 0;
  private latency = new Histogram();
  private ack = new Histogram();
  private move = new Histogram();
  private inFlight = 0;
  private errors = 0;
  private rejected = 0;
  private commands = 0;
  unexpectedCloses = 0;

  constructor(
    private readonly t: Transport,
    private readonly opts: LoadOptions,
  ) {}

  get connected(): number {
    return this.cases.length;
  }

  private fail(c: Client, why: string): void {
    this.gateFailures++;
    if (this.gateSamples.length < 10) this.gateSamples.push(`case ${c.kase.cred.idx} ${c.cred.role}${c.cred.side ?? ''}: ${why}`);
  }

  /** May this client observe the stream? (the audience table of docs/live-protocol.md) */
  private allowed(c: Client, stream: string): boolean {
    const [a, b] = c.kase.cred.sideIds;
    if (stream === 'session' || stream === 'joint') return true;
    if (c.cred.role === 'mediator') return stream === `caucus:${a}` || stream === `caucus:${b}` || stream === 'counsel' || stream === 'mediators' || stream.startsWith('notes:');
    if (stream === 'counsel') return c.cred.role === 'representative';
    const mine = c.cred.side === 0 ? a : c.cred.side === 1 ? b : null;
    return stream === `caucus:${mine}`;
  }

  private onText(c: Client, text: string): void {
    const now = performance.now();
    let f: { t?: string; event?: { stream?: string; content?: { body?: string } | null }; view?: { me?: { participantId?: string }; session?: unknown }; stream?: string; online?: string[]; participantId?: string };
    try {
      f = JSON.parse(text) as typeof f;
    } catch {
      return this.fail(c, 'unparseable frame');
    }
    switch (f.t) {
      case 'event': {
        if (this.measuring) this.deliveries++;
        const stream = f.event?.stream ?? '';
        if (!this.allowed(c, stream)) return this.fail(c, `event of ${stream}`);
        const body = f.event?.content?.body;
        if (typeof body === 'string' && body.startsWith('bench|')) {
          const [, caseIdx, seqText, bodyStream] = body.split('|');
          if (Number(caseIdx) !== c.kase.cred.idx) return this.fail(c, `message of case ${caseIdx}`);
          if (bodyStream !== stream || !this.allowed(c, bodyStream)) return this.fail(c, `message written in ${bodyStream} arrived as ${stream}`);
          const seq = Number(seqText);
          this.got[seq] = (this.got[seq] ?? 0) + 1;
          const at = this.intended[seq];
          if (this.measuring && at !== undefined && seq >= this.phaseSeqFrom) this.latency.recordMs(now - at);
        }
        return;
      }
      case 'hello':
        c.hello = true;
        if (f.view?.me && f.view.me.participantId !== c.cred.pid) this.fail(c, 'hello for someone else');
        return;
      case 'caught-up':
        c.caughtUp = true;
        return;
      case 'view': {
        if (this.measuring) this.deliveries++;
        if (f.view?.me && f.view.me.participantId !== c.cred.pid) return this.fail(c, 'view for someone else');
        const m = c.kase.moves.find((x) => x.waiting.has(c));
        if (m) {
          m.waiting.delete(c);
          if (m.waiting.size === 0) {
            if (this.measuring) this.move.recordMs(now - m.intended);
            c.kase.moves.splice(c.kase.moves.indexOf(m), 1);
          }
        }
        return;
      }
      case 'presence':
        if (this.measuring) this.deliveries++;
        if (!this.allowed(c, f.stream ?? '')) return this.fail(c, `presence of ${f.stream}`);
        for (const p of f.online ?? []) if (!c.kase.pids.has(p)) return this.fail(c, 'presence lists a stranger');
        return;
      case 'typing':
        if (this.measuring) this.deliveries++;
        if (!this.allowed(c, f.stream ?? '')) return this.fail(c, `typing in ${f.stream}`);
        if (!c.kase.pids.has(f.participantId ?? '')) return this.fail(c, 'typing by a stranger');
        return;
      case 'pong':
        return;
      default:
        return this.fail(c, `unknown frame ${f.t}`);
    }
  }

  /** Connects every client of these cases, then waits until each is live. */
  async connect(cases: readonly CaseCred[], concurrency = 64): Promise<void> {
    const todo: Client[] = [];
    for (const cred of cases) {
      const k: GenCase = { cred, clients: [], pids: new Set(cred.clients.map((x) => x.pid)), step: 0, cmdInFlight: false, nextCycleAt: 0, moves: [] };
      for (const cc of cred.clients) k.clients.push({ cred: cc, kase: k, link: null, hello: false, caughtUp: false, closedWith: null, lastTyping: new Map() });
      this.cases.push(k);
      todo.push(...k.clients);
    }
    let i = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (i < todo.length) {
          const c = todo[i++];
          if (!c) break;
          c.link = await this.t.connect(
            c.kase.cred,
            c.cred,
            (text) => this.onText(c, text),
            (code) => {
              c.closedWith = code;
              this.unexpectedCloses++;
            },
          );
          if (this.t.needsResume) c.link.sendFrame({ t: 'resume', v: 1, streams: {} });
        }
      }),
    );
    const deadline = performance.now() + 30_000;
    while (todo.some((c) => !c.hello || (this.t.needsResume && !c.caughtUp))) {
      if (performance.now() > deadline) throw new Error('clients did not all become live');
      await sleep(20);
    }
  }

  private pick(k: GenCase): { client: Client; stream: string } {
    const r = Math.floor(Math.random() * 5);
    if (k.cmdInFlight) return { client: k.clients[0] as Client, stream: 'joint' }; // the mediator may always write in joint
    if (k.step === 0) return { client: k.clients[r] as Client, stream: 'joint' };
    const side = k.step === 1 ? 0 : 1;
    const who = r % 3 === 0 ? 0 : 1 + side * 2 + (r % 3) - 1;
    return { client: k.clients[who] as Client, stream: `caucus:${k.cred.sideIds[side]}` };
  }

  private async sendOne(k: GenCase, intended: number): Promise<void> {
    const { client, stream } = this.pick(k);
    const seq = this.intended.length;
    this.intended.push(intended);
    this.got.push(0);
    this.expected.push(0);
    const link = client.link;
    if (!link) return;
    // Typing precedes a message (at most one per 2 s per room, as the server forwards).
    const last = client.lastTyping.get(stream) ?? -Infinity;
    if (intended - last >= 2000) {
      client.lastTyping.set(stream, intended);
      link.sendFrame({ t: 'typing', stream });
    }
    this.inFlight++;
    try {
      const status = await this.t.post(k.cred, client.cred, link, stream, `bench|${k.cred.idx}|${seq}|${stream}|${PAD}`);
      if (status === 200) {
        this.expected[seq] = stream === 'joint' ? 5 : 3;
        if (this.measuring && seq >= this.phaseSeqFrom) this.ack.recordMs(performance.now() - intended);
      } else this.rejected++;
    } catch {
      this.errors++;
    } finally {
      this.inFlight--;
    }
  }

  private cycle(now: number, stepMs: number): void {
    for (const k of this.cases) {
      if (k.cmdInFlight || now < k.nextCycleAt) continue;
      const intended = k.nextCycleAt;
      k.nextCycleAt += stepMs;
      if (k.nextCycleAt < now) k.nextCycleAt = now + stepMs;
      k.cmdInFlight = true;
      this.commands++;
      const [a, b] = k.cred.sideIds;
      const med = k.clients[0] as Client;
      const next = ((k.step + 1) % 3) as 0 | 1 | 2;
      const kind = k.step === 0 ? 'separate' : k.step === 1 ? 'move' : 'reconvene';
      k.moves.push({ intended, waiting: new Set(k.clients) });
      void this.t
        .command(k.cred, med.cred, med.link as Link, kind, kind === 'separate' ? a : kind === 'move' ? b : null)
        .then((status) => {
          if (status !== 200) {
            this.rejected++;
            k.moves.pop();
            return;
          }
          k.step = next;
          // Everyone looks at the room they are in now (focus drives presence).
          for (const c of k.clients) {
            const room = next === 0 ? 'joint' : c.cred.side === null ? `caucus:${next === 1 ? a : b}` : `caucus:${k.cred.sideIds[c.cred.side]}`;
            c.link?.sendFrame({ t: 'focus', stream: room });
          }
        })
        .catch(() => {
          this.errors++;
        })
        .finally(() => {
          k.cmdInFlight = false;
        });
    }
  }

  /** Starts measuring; `cycles` false keeps the room-move schedule of a warm-up that ran up to now. */
  private begin(cycles = true): { t0: number; cpu: NodeJS.CpuUsage } {
    this.deliveries = 0;
    this.latency = new Histogram();
    this.ack = new Histogram();
    this.move = new Histogram();
    this.errors = 0;
    this.rejected = 0;
    this.commands = 0;
    this.phaseSeqFrom = this.intended.length;
    const t0 = performance.now();
    if (cycles) this.scheduleCycles(t0);
    this.measuring = true;
    return { t0, cpu: process.cpuUsage() };
  }

  private scheduleCycles(t0: number): void {
    const stepMs = this.stepMs();
    for (const k of this.cases) {
      k.nextCycleAt = t0 + Math.random() * stepMs;
      k.moves.length = 0;
    }
  }

  private stepMs(): number {
    return Math.max(this.opts.minStepMs, (this.cases.length / this.opts.movesPerS) * 1000);
  }

  private async end(b: { t0: number; cpu: NodeJS.CpuUsage }, messagesFrom: number): Promise<PhaseResult> {
    const wallMs = performance.now() - b.t0;
    this.measuring = false;
    const cpu = process.cpuUsage(b.cpu);
    const deliveries = this.deliveries;
    // Drain: let acknowledged messages arrive before counting what was lost.
    const deadline = performance.now() + 5000;
    while ((this.inFlight > 0 || this.cases.some((k) => k.cmdInFlight)) && performance.now() < deadline) await sleep(10);
    await sleep(300);
    let lost = 0;
    let messages = 0;
    for (let s = messagesFrom; s < this.intended.length; s++) {
      if ((this.expected[s] ?? 0) > 0) messages++;
      lost += Math.max(0, (this.expected[s] ?? 0) - (this.got[s] ?? 0));
    }
    return {
      wallMs,
      deliveries,
      messages,
      rejected: this.rejected,
      errors: this.errors,
      lost,
      commands: this.commands,
      genCpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      latency: this.latency,
      ack: this.ack,
      move: this.move,
    };
  }

  /** Closed loop: each case keeps `window` messages outstanding, for `ms`. */
  async saturate(ms: number, window: number): Promise<PhaseResult> {
    const from = this.intended.length;
    const b = this.begin();
    const stop = b.t0 + ms;
    const stepMs = this.stepMs();
    const ticker = setInterval(() => this.cycle(performance.now(), stepMs), 5);
    await Promise.all(
      this.cases.flatMap((k) =>
        Array.from({ length: window }, async () => {
          while (performance.now() < stop) await this.sendOne(k, performance.now());
        }),
      ),
    );
    clearInterval(ticker);
    return this.end(b, from);
  }

  /**
   * Open loop at `rate` messages/s over all cases, measured from each intended send time.
   * With `warm`, the same load runs for `warm.ms` first with nothing recorded, and the
   * measurement starts without a pause in the sending (`warm.onMeasure` is told then): what
   * is measured is the steady state at this rate, not the way down from the phase before.
   */
  async fixedRate(ms: number, rate: number, warm?: { readonly ms: number; readonly onMeasure: () => void }): Promise<PhaseResult> {
    const stepMs = this.stepMs();
    const gap = 1000 / rate;
    let next = performance.now();
    let n = 0;
    const run = (stop: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const tick = (): void => {
          const now = performance.now();
          while (next <= now && next < stop) {
            const k = this.cases[n++ % this.cases.length] as GenCase;
            void this.sendOne(k, next);
            next += gap;
          }
          this.cycle(now, stepMs);
          if (now >= stop) resolve();
          else setTimeout(tick, 1);
        };
        tick();
      });
    const warmed = warm !== undefined && warm.ms > 0;
    if (warmed) {
      this.measuring = false;
      this.scheduleCycles(next);
      await run(next + warm.ms);
    }
    const from = this.intended.length;
    const b = this.begin(!warmed);
    warm?.onMeasure();
    await run(b.t0 + ms);
    return this.end(b, from);
  }

  close(): void {
    for (const k of this.cases) for (const c of k.clients) c.link?.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
