import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CreateCaseBody, ServerFrame } from '@caucus/protocol';
import { afterEach, beforeEach } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { seededIds, type Clock } from '../src/platform.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { createAccount } from '../src/services/accounts.ts';

/**
 * Test harness: the real server on an ephemeral port with a temporary SQLite store (or
 * PostgreSQL when given a URL), a controllable clock and seeded ids. Clients speak real
 * HTTP and real WebSockets, each with its own cookie jar, like separate browsers.
 */
export class ManualClock implements Clock {
  constructor(public t = Date.UTC(2026, 0, 5, 9, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface TestServer extends RunningServer {
  readonly clock: ManualClock;
  readonly origin: string;
  readonly dataDir: string;
  browser(): Browser;
  /** A mediator account, signed in, in a fresh browser. */
  mediator(email?: string, name?: string): Promise<Browser>;
  stop(): Promise<void>;
}

export async function testServer(
  opts: {
    databaseUrl?: string | null;
    /** A data directory to reuse (a restart on the same store: its case keys live there, C11); the caller removes it. */
    dataDir?: string;
    seed?: string;
    heartbeatMs?: number;
    logLevel?: string;
    logStream?: NodeJS.WritableStream;
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-test-'));
  const clock = new ManualClock();
  // The public URL is fixed before the port is known; tests send it as Origin.
  const config = { ...loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: opts.logLevel ?? 'silent', PUBLIC_URL: 'http://caucus.test' }), databaseUrl: opts.databaseUrl ?? null };
  const server = await startServer(config, { clock, ids: seededIds(opts.seed ?? 'test-seed'), heartbeatMs: opts.heartbeatMs, logStream: opts.logStream });
  const origin = 'http://caucus.test';
  const t: TestServer = {
    ...server,
    clock,
    origin,
    dataDir,
    browser: () => new Browser(server.url, origin),
    async mediator(email = 'mediator@example.org', name = 'Mia Mediator') {
      await createAccount(server.svc, { email, displayName: name, role: 'mediator', password: 'correct horse battery' });
      const b = new Browser(server.url, origin);
      const r = await b.post('/api/v1/auth/login', { email, password: 'correct horse battery' });
      if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
      return b;
    },
    async stop() {
      await server.close();
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

export interface Res<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

/** A cookie jar and an identity, like one browser profile. */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** Which participant cookie to act with (x-caucus-as), if any. */
  as: string | null = null;

  constructor(
    readonly base: string,
    readonly origin: string,
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request<T = unknown>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { origin: this.origin, ...headers };
    if (this.cookies.size > 0) h.cookie = this.cookieHeader();
    if (this.as) h['x-caucus-as'] = this.as;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.base + url, { method, headers: h, body: payload });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair?.indexOf('=') ?? -1;
      if (!pair || i < 0) continue;
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/Max-Age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  }

  get<T = unknown>(url: string) {
    return this.request<T>('GET', url);
  }
  post<T = unknown>(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', url, body ?? {}, headers);
  }
  put<T = unknown>(url: string, body?: unknown) {
    return this.request<T>('PUT', url, body ?? {});
  }
  del<T = unknown>(url: string) {
    return this.request<T>('DELETE', url);
  }

  /** Opens the live socket for a case; collects every frame it receives. */
  async live(caseId: string, resume: Record<string, number> | null = {}): Promise<LiveClient> {
    const qs = this.as ? `?as=${this.as}` : '';
    const ws = new WebSocket(`${this.base.replace('http', 'ws')}/api/v1/cases/${caseId}/live${qs}`, {
      headers: { origin: this.origin, cookie: this.cookieHeader() },
      perMessageDeflate: false,
    });
    const client = new LiveClient(ws);
    await client.opened;
    if (resume) ws.send(JSON.stringify({ t: 'resume', v: 1, streams: resume }));
    return client;
  }
}

export class LiveClient {
  readonly frames: ServerFrame[] = [];
  readonly raw: string[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      this.raw.push(text);
      this.frames.push(JSON.parse(text) as ServerFrame);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until a frame matching the predicate has arrived (or the socket closed). */
  async until(pred: (f: ServerFrame) => boolean, timeoutMs = 3000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) before the frame came`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for a frame; got ${this.raw.length}: ${this.raw.slice(-5).join(' | ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async untilClosed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closed;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  close(): void {
    this.ws.close();
  }

  events() {
    return this.frames.flatMap((f) => (f.t === 'event' ? [f.event] : []));
  }
}

/** A sample case body: two sides, a party and a representative each. */
export function sampleCase(over: Partial<CreateCaseBody> = {}): Record<string, unknown> {
  return {
    title: 'Harbour Lane lease',
    reference: 'HL-2026-01',
    regime: 'opt-in',
    sides: [
      { name: 'Tenant', members: [{ role: 'party', displayName: 'Ana Tenant' }, { role: 'representative', displayName: 'Rui Counsel' }] },
      { name: 'Landlord', members: [{ role: 'party', displayName: 'Bea Landlord' }, { role: 'representative', displayName: 'Ben Counsel' }] },
    ],
    ...over,
  };
}

export interface Joined {
  readonly browser: Browser;
  readonly participantId: string;
}

/** Opens a personal link in a fresh browser and accepts the agreement. */
export async function join(server: TestServer, url: string, accept = true): Promise<Joined> {
  const token = new URL(url).hash.replace('#token=', '');
  const b = server.browser();
  const r = await b.post<{ caseId: string; participantId: string }>('/api/v1/invitations/redeem', { token });
  if (r.status !== 200) throw new Error(`redeem failed: ${r.status} ${r.text}`);
  b.as = r.body.participantId;
  if (accept) {
    const ag = await b.get<{ hash: string }>(`/api/v1/cases/${r.body.caseId}/agreement`);
    const a = await b.post(`/api/v1/cases/${r.body.caseId}/agreement/accept`, { agreementHash: ag.body.hash });
    if (a.status !== 200) throw new Error(`accept failed: ${a.status} ${a.text}`);
  }
  return { browser: b, participantId: r.body.participantId };
}

export interface Scenario {
  readonly server: TestServer;
  readonly caseId: string;
  readonly mediator: Browser;
  readonly sides: readonly { id: string; name: string }[];
  /** Party and representative of each side, in order: [[A party, A rep], [B party, B rep]]. */
  readonly members: Joined[][];
  readonly links: { participantId: string; displayName: string; url: string }[];
}

/** A case with two sides whose members have all joined and accepted. */
export async function scenario(server: TestServer, over: Partial<CreateCaseBody> = {}): Promise<Scenario> {
  const mediator = await server.mediator();
  const r = await mediator.post<{ case: { id: string; sides: { id: string; name: string }[]; participants: { id: string; sideId: string | null }[] }; invitations: { participantId: string; displayName: string; url: string }[] }>(
    '/api/v1/cases',
    sampleCase(over),
  );
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  const c = r.body.case;
  const members: Joined[][] = [];
  for (const side of c.sides) {
    const ids = c.participants.filter((p) => p.sideId === side.id).map((p) => p.id);
    const joined: Joined[] = [];
    for (const id of ids) {
      const link = r.body.invitations.find((i) => i.participantId === id);
      if (link) joined.push(await join(server, link.url));
    }
    members.push(joined);
  }
  return { server, caseId: c.id, mediator, sides: c.sides, members, links: r.body.invitations };
}

/**
 * A fresh server with a joined two-side case for every test of the file, stopped after
 * it; `use` receives both (tests keep them in their own variables).
 */
export function scenarioPerTest(use: (server: TestServer, s: Scenario) => void): void {
  let current: TestServer | undefined;
  beforeEach(async () => {
    current = await testServer();
    use(current, await scenario(current));
  });
  afterEach(async () => {
    await current?.stop();
  });
}
