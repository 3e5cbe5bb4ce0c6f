import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scenario, testServer, type Browser, type TestServer } from '../harness.ts';
import { errorOf, fill, NO_SUCH_ID, sampleBodies, storesNothing, type OpenApiDoc } from './support.ts';

/** The OpenAPI document is valid 3.1, lists exactly the routes the server has, and they answer. */

let server: TestServer;
beforeEach(async () => {
  server = await testServer();
});
afterEach(async () => {
  await server.stop();
});

interface Operation {
  operationId: string;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: { 'application/json': { schema: { type?: string; additionalProperties?: unknown } } } };
  responses: Record<string, unknown>;
}

async function getDoc(b: Browser): Promise<OpenApiDoc & { openapi: string; servers: { url: string }[] }> {
  const r = await b.get<OpenApiDoc & { openapi: string; servers: { url: string }[] }>('/api/openapi.json');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return r.body;
}

const operations = (doc: OpenApiDoc): { path: string; method: string; op: Operation }[] =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Operation })));

describe('OpenAPI document', () => {
  it('validates as OpenAPI 3.1 with no errors', async () => {
    const doc = await getDoc(server.browser());
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'http://caucus.test' }]);
    const validator = new Validator();
    const res = await validator.validate(doc);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents the core routes, each operation with a unique operationId and its path parameters', async () => {
    const doc = await getDoc(server.browser());
    const documented = operations(doc).map((o) => `${o.method} ${o.path}`);
    // The document is generated from the route table itself, so nothing served goes undocumented;
    // this pins the routes clients are built against.
    expect(documented).toEqual(
      expect.arrayContaining([
        'GET /api/v1/setup',
        'POST /api/v1/setup',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/link',
        'POST /api/v1/auth/logout',
        'POST /api/v1/invitations/redeem',
        'GET /api/v1/me',
        'GET /api/v1/admin/accounts',
        'POST /api/v1/admin/accounts',
        'POST /api/v1/admin/accounts/{accountId}/disable',
        'GET /api/v1/admin/cases',
        'GET /api/v1/cases',
        'POST /api/v1/cases',
        'GET /api/v1/cases/{caseId}',
        'GET /api/v1/cases/{caseId}/agreement',
        'POST /api/v1/cases/{caseId}/agreement/accept',
        'GET /api/v1/cases/{caseId}/streams/{stream}/events',
        'POST /api/v1/cases/{caseId}/rooms/{stream}/messages',
        'POST /api/v1/cases/{caseId}/session/separate',
        'DELETE /api/v1/cases/{caseId}/participants/{participantId}',
        'DELETE /api/v1/cases/{caseId}/participants/{participantId}/invitation',
      ]),
    );
    const ids = operations(doc).map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, op } of operations(doc)) {
      const placeholders = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      expect(pathParams.map((p) => p.name).sort()).toEqual(placeholders.sort());
      for (const p of pathParams) expect(p.required).toBe(true);
      expect(Object.keys(op.responses)).toContain('default');
    }
  });

  it('every documented route exists: with dummy ids it is answered by its handler, not by route-not-found', async () => {
    const s = await scenario(server);
    const unrouted = await s.mediator.get('/api/v1/no-such-route');
    expect(unrouted.status).toBe(404);
    // The detector works: a wrong method on a real path is route-not-found too.
    const wrongMethod = await s.mediator.request('PATCH', `/api/v1/cases/${s.caseId}`, '{}');
    expect([wrongMethod.status, wrongMethod.text]).toEqual([404, unrouted.text]);

    const doc = await getDoc(s.mediator);
    const samples = sampleBodies(NO_SUCH_ID);
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(25);
    for (const { path, method } of ops) {
      if (path === '/api/v1/auth/logout') continue; // answered below, last: it ends the session
      const url = fill(path, { stream: 'joint' });
      const body = method === 'POST' || method === 'PUT' ? JSON.stringify(samples[path] ?? {}) : undefined;
      const r = await s.mediator.request(method, url, body);
      expect({ route: `${method} ${path}`, unrouted: r.status === 404 && r.text === unrouted.text }).toEqual({ route: `${method} ${path}`, unrouted: false });
      expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(500);
      if (r.status >= 400) errorOf(r);
    }
    const out = await s.mediator.post('/api/v1/auth/logout');
    expect(out.status).toBe(204);
  });

  it('every documented request body is strict, and the server refuses an unknown field naming it', async () => {
    const s = await scenario(server);
    const doc = await getDoc(s.mediator);
    const samples = sampleBodies(s.sides[0]!.id);
    let checked = 0;
    for (const { path, method, op } of operations(doc)) {
      if (!op.requestBody) continue;
      const schema = op.requestBody.content['application/json'].schema;
      expect({ route: `${method} ${path}`, type: schema.type, additionalProperties: schema.additionalProperties }).toEqual({
        route: `${method} ${path}`,
        type: 'object',
        additionalProperties: false,
      });
      const url = fill(path, { caseId: s.caseId, stream: 'joint' });
      const body = { ...(samples[path] as object | undefined), zzUnknown: 1 };
      const r = await storesNothing(server, () => s.mediator.request(method, url, JSON.stringify(body)));
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(400);
      expect(errorOf(r).issues?.map((i) => i.path)).toEqual(['body.zzUnknown']);
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });
});

describe('health', () => {
  it('/healthz answers 200 {status: "ok"} without a session', async () => {
    const r = await server.browser().get('/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
  });

  it('/healthz answers 503 when the store is gone', async () => {
    // Closing the store under the running server: health must say so rather than claim ok.
    await server.db.close();
    const r = await server.browser().get('/healthz');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: 'unavailable' });
  });
});
