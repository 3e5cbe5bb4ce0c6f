import http from 'node:http';
import { ErrorBody } from '@caucus/protocol';
import { sql } from 'kysely';
import { expect, vi } from 'vitest';
import WebSocket from 'ws';
import { TABLES } from '../../src/storage/schema.ts';
import { createAccount } from '../../src/services/accounts.ts';
import { join, sampleCase, type Browser, type Joined, type LiveClient, type Res, type TestServer } from '../harness.ts';

/** Shared helpers of the edge tests: raw requests, store snapshots, C7 ordering probes. */

export { TABLES };
export type Table = (typeof TABLES)[number];

/** Every row of every table, each row serialised and the rows sorted: a picture of the store. */
export async function snapshot(server: TestServer): Promise<Record<Table, string[]>> {
  const out = {} as Record<Table, string[]>;
  for (const t of TABLES) {
    const r = await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(server.db.kysely);
    out[t] = r.rows.map((row) => JSON.stringify(row)).sort();
  }
  return out;
}

export async function rowCounts(server: TestServer): Promise<Record<Table, number>> {
  const snap = await snapshot(server);
  const out = {} as Record<Table, number>;
  for (const t of TABLES) out[t] = snap[t].length;
  return out;
}

/** Runs `act` and asserts that not one row was added, changed or removed meanwhile. */
export async function storesNothing<T>(server: TestServer, act: () => Promise<T>): Promise<T> {
  const before = await snapshot(server);
  const result = await act();
  expect(await snapshot(server)).toEqual(before);
  return result;
}

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly issues?: { path: string; message: string }[];
}

/** The error of a response, asserting that it is a JSON error body with a code and a message. */
export function errorOf(res: Res): ErrorInfo {
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const parsed = ErrorBody.safeParse(res.body);
  if (!parsed.success) throw new Error(`not an error body (${res.status}): ${res.text}`);
  return parsed.data.error;
}

/** Asserts an error status and code; returns the error. */
export function expectError(res: Res, status: number, code: string): ErrorInfo {
  expect({ status: res.status, text: res.text }).toMatchObject({ status });
  const e = errorOf(res);
  expect(e.code).toBe(code);
  expect(e.message.length).toBeGreaterThan(0);
  return e;
}

export interface RawOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** Send this browser's cookies (and its x-caucus-as) along. */
  readonly as?: Browser;
}

/** A request with exactly the headers given: no Origin unless asked for, no content type unless asked for. */
export async function raw(server: TestServer, method: string, url: string, o: RawOptions = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.as) {
    const cookie = [...o.as.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.cookie = cookie;
    if (o.as.as) headers['x-caucus-as'] = o.as.as;
  }
  const res = await fetch(server.url + url, { method, headers, body: o.body });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** Opens a live socket with full control of the handshake; tells whether it opened or how it was refused. */
export async function upgrade(
  server: TestServer,
  caseId: string,
  o: { origin?: string | null; cookie?: string | null; as?: string | null } = {},
): Promise<{ opened: boolean; status: number | null; ws: WebSocket }> {
  const headers: Record<string, string> = {};
  const origin = o.origin === undefined ? server.origin : o.origin;
  if (origin !== null) headers.origin = origin;
  if (o.cookie) headers.cookie = o.cookie;
  const qs = o.as ? `?as=${encodeURIComponent(o.as)}` : '';
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/cases/${caseId}/live${qs}`, { headers, perMessageDeflate: false });
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ opened: true, status: null, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? null, ws });
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => resolve({ opened: false, status: null, ws }));
  });
}

export const cookieHeader = (b: Browser): string => [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

export interface CloseRecord {
  readonly participantId: string;
  readonly accountId: string | null;
  readonly code: number;
  /** Global call order (vitest's invocationCallOrder). */
  readonly order: number;
}

/**
 * C7 probe. Runs `act` (one HTTP request) while recording, in one global order, every live
 * connection the server closes and the moment the server writes the answer's status line.
 * `before` lists the connections closed before the answer was written.
 */
export async function closesBeforeAnswer(server: TestServer, act: () => Promise<Res>): Promise<{ res: Res; before: CloseRecord[]; after: CloseRecord[] }> {
  const closeSpy = vi.spyOn(server.hub, 'close');
  const headSpy = vi.spyOn(http.ServerResponse.prototype, 'writeHead');
  let res: Res;
  let answeredAt: number | undefined;
  let closes: CloseRecord[];
  try {
    res = await act();
    // Read the records before restoring: restoring a spy forgets its calls.
    answeredAt = headSpy.mock.invocationCallOrder.at(-1);
    closes = closeSpy.mock.calls.map(([c, code], i) => ({
      participantId: c.participantId,
      accountId: c.accountId,
      code,
      order: closeSpy.mock.invocationCallOrder[i] ?? Infinity,
    }));
  } finally {
    closeSpy.mockRestore();
    headSpy.mockRestore();
  }
  if (answeredAt === undefined) throw new Error('no answer was written');
  return { res, before: closes.filter((c) => c.order < answeredAt), after: closes.filter((c) => c.order > answeredAt) };
}

/** A well-formed id that names nothing. */
export const NO_SUCH_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

export interface OtherCase {
  readonly mediator: Browser;
  readonly caseId: string;
  readonly sideIds: string[];
  readonly party: Joined;
  readonly participantIds: string[];
  readonly messageId: string;
  readonly requestId: string;
}

/** A second mediator's case with a party who wrote in its caucus and asked for a separate session. */
export async function otherCase(server: TestServer): Promise<OtherCase> {
  const mediator = await server.mediator('other@example.org', 'Olga Other');
  const r = await mediator.post<{
    case: { id: string; sides: { id: string }[]; participants: { id: string; sideId: string | null }[] };
    invitations: { participantId: string; url: string }[];
  }>('/api/v1/cases', sampleCase({ title: 'Other case' }));
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  const c = r.body.case;
  const first = r.body.invitations[0];
  if (!first) throw new Error('no invitation');
  const party = await join(server, first.url);
  const side = c.participants.find((p) => p.id === party.participantId)?.sideId;
  if (!side) throw new Error('party has no side');
  const msg = await party.browser.post<{ created: { id: string }[] }>(`/api/v1/cases/${c.id}/rooms/caucus:${side}/messages`, { body: 'other case secret' });
  const req = await party.browser.post<{ created: { id: string }[] }>(`/api/v1/cases/${c.id}/caucus-requests`, { reason: 'other case reason' });
  const messageId = msg.body.created[0]?.id;
  const requestId = req.body.created[0]?.id;
  if (!messageId || !requestId) throw new Error(`setup failed: ${msg.text} ${req.text}`);
  return { mediator, caseId: c.id, sideIds: c.sides.map((s) => s.id), party, participantIds: c.participants.map((p) => p.id), messageId, requestId };
}

/** The token of a personal or account link (it travels in the fragment). */
export const tokenOf = (url: string): string => new URL(url).hash.replace(/^#token=/, '');

export const PASSWORD = 'correct horse battery';

/** An administrator account, signed in, in a fresh browser. */
export async function adminBrowser(server: TestServer, email = 'admin@example.org'): Promise<Browser> {
  await createAccount(server.svc, { email, displayName: 'Ada Admin', role: 'admin', password: PASSWORD });
  const b = server.browser();
  const r = await b.post('/api/v1/auth/login', { email, password: PASSWORD });
  if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`);
  return b;
}

/** Whether a socket was closed (and how) or answered a ping, whichever comes first. */
export async function closedOrPong(live: LiveClient, timeoutMs = 3000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (live.closed) return `closed ${live.closed.code}`;
    if (live.frames.some((f) => f.t === 'pong')) return 'pong';
    if (Date.now() > deadline) return 'nothing';
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Known-valid bodies per OpenAPI route template (`sideId` fills side references); the rest take `{}`. */
export function sampleBodies(sideId: string): Record<string, unknown> {
  return {
    '/api/v1/setup': { token: 'x'.repeat(43), email: 'admin@example.org', displayName: 'Ada Admin', password: 'a long enough password' },
    '/api/v1/auth/login': { email: 'nobody@example.org', password: 'whatever it is' },
    '/api/v1/auth/link': { token: 'x'.repeat(43), password: 'a long enough password' },
    '/api/v1/invitations/redeem': { token: 'x'.repeat(43) },
    '/api/v1/admin/accounts': { email: 'new@example.org', displayName: 'New Mediator' },
    '/api/v1/cases': sampleCase(),
    '/api/v1/cases/{caseId}/agreement/accept': { agreementHash: 'a'.repeat(64) },
    '/api/v1/cases/{caseId}/session/separate': { sideId, purpose: null },
    '/api/v1/cases/{caseId}/session/move': { sideId },
    '/api/v1/cases/{caseId}/session/reconvene': { countdownSeconds: 0 },
    '/api/v1/cases/{caseId}/rooms/{stream}/messages': { body: 'hello', label: null },
    '/api/v1/cases/{caseId}/messages/{messageId}/label': { label: 'shareable' },
    '/api/v1/cases/{caseId}/caucus-requests': { reason: 'a word' },
    '/api/v1/cases/{caseId}/caucus-requests/{requestId}/answer': { answer: 'deferred', reply: null },
    '/api/v1/cases/{caseId}/participants': { role: 'party', sideId, displayName: 'Nia New', email: null },
    '/api/v1/cases/{caseId}/close': { destroyContent: true },
  };
}

export type OpenApiDoc = {
  paths: Record<string, Record<string, unknown>>;
};

/** Fills `{name}` placeholders of a route template; unknown names get a well-formed id of nothing. */
export const fill = (template: string, ids: Record<string, string>): string => template.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? NO_SUCH_ID);
