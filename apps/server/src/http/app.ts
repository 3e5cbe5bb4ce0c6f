import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Clock } from '../platform.ts';
import type { Principal } from '../services/access.ts';
import type { AccountStore } from '../services/ports.ts';
import { HttpError, toErrorResponse } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { resolvePrincipal, sameOrigin } from './principal.ts';
import { idempotencyKey, parsePart, type RouteDef } from './route.ts';

export interface AppOptions {
  readonly routes: readonly RouteDef[];
  readonly accounts: AccountStore;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly trustProxy: boolean;
  readonly logLevel: string;
  /** Where log lines go (stdout by default); tests read it to prove no content is logged (C10). */
  readonly logStream?: NodeJS.WritableStream;
  readonly healthy: () => Promise<boolean>;
}

export const BODY_LIMIT = 256 * 1024;

export function buildApp(o: AppOptions): FastifyInstance {
  const app = Fastify({
    // Request logging is ours (below): method, route pattern, status and time, never bodies or tokens (C10).
    logger: o.logLevel === 'silent' ? false : { level: o.logLevel, ...(o.logStream ? { stream: o.logStream } : {}) },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: o.trustProxy,
  });
  // JSON only: Fastify's built-in text/plain parser would hand a string to the schemas (a 400)
  // where a body that is not JSON must be a 415.
  app.removeContentTypeParser('text/plain');
  const publicOrigin = new URL(o.publicUrl).origin;

  app.addHook('onResponse', (req, reply, done) => {
    req.log.info({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) req.log.error({ route: req.routeOptions.url, kind: err instanceof Error ? err.name : typeof err, stack: err instanceof Error ? err.stack : undefined }, 'request failed');
    void reply.status(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.status(404).send({ error: { code: 'not_found', message: 'Not found.' } });
  });

  app.get('/healthz', async (_req, reply) => {
    const ok = await o.healthy().catch(() => false);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable' });
  });
  const doc = openApiDocument(o.routes, o.publicUrl);
  app.get('/api/openapi.json', () => Promise.resolve(doc));

  for (const r of o.routes) {
    app.route({
      method: r.method,
      url: r.path,
      handler: async (req, reply) => {
        if (r.method !== 'GET' && !sameOrigin(req.headers, publicOrigin))
          throw new HttpError('csrf', 'This request did not come from the Caucus web app (Origin check failed).');
        const params = parsePart(r.params, req.params, 'params');
        const query = parsePart(r.query, req.query, 'query');
        // No body at all is an empty command; a JSON `null` is a body of the wrong type.
        const body = parsePart(r.body, req.body === undefined ? {} : req.body, 'body');
        const asHeader = req.headers['x-caucus-as'];
        const principal: Principal | null = await resolvePrincipal(o.accounts, o.clock, req.headers, typeof asHeader === 'string' ? asHeader : null);
        const key = r.idempotent ? idempotencyKey(req.headers['idempotency-key']) : null;
        const scope = principal ? (principal.kind === 'account' ? `a:${principal.account.id}` : `p:${principal.participantId}`) : null;
        const idempotency = key && scope ? { scope, key, request: { params, query, body } } : null;
        const result = await r.handler({ params, query, body, principal, idempotency, ip: req.ip, request: req, reply });
        reply.header('cache-control', 'no-store');
        if (r.status === 204 || result === undefined) return reply.status(204).send();
        return reply.status(r.status ?? 200).send(result);
      },
    });
  }
  return app;
}
