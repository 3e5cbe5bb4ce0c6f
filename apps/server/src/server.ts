import { sql } from 'kysely';
import type { Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { RateLimiter } from './http/rate-limit.ts';
import { adminRoutes } from './http/routes/admin.routes.ts';
import { authRoutes } from './http/routes/auth.routes.ts';
import { caseRoutes } from './http/routes/cases.routes.ts';
import { directoryRoutes } from './http/routes/directory.routes.ts';
import { registerStatic } from './http/static.ts';
import { Hub } from './live/hub.ts';
import { attachLive } from './live/live-endpoint.ts';
import { randomIds, systemClock, type Clock, type IdGenerator } from './platform.ts';
import { tuneHeap } from './runtime.ts';
import { DAY, type Services } from './services/context.ts';
import { caseEngine } from './services/case-engine.ts';
import { idempotencySweeper } from './services/idempotency-sweep.ts';
import { accountRepository } from './storage/account.repository.ts';
import { caseRepository } from './storage/case.repository.ts';
import { openDb, type Db } from './storage/db.ts';
import { acquireProcessLock } from './storage/single-process.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly svc: Services;
  readonly hub: Hub;
  readonly db: Db;
  close(): Promise<void>;
}

/** The composition root's body: wires storage, services, HTTP and live delivery. */
export async function startServer(
  config: Config,
  opts: {
    clock?: Clock;
    ids?: IdGenerator;
    heartbeatMs?: number;
    logStream?: NodeJS.WritableStream;
    /** The store stopped taking writes (it could not flush its log): main.ts stops the process. */
    onStoreFailure?: (e: Error) => void;
  } = {},
): Promise<RunningServer> {
  tuneHeap(); // process-wide: fewer full collections under steady traffic (runtime.ts)
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const lock = await acquireProcessLock(config);
  const db = await openDb(config).catch(async (e: unknown) => {
    await lock.release();
    throw e;
  });
  const hub = new Hub({ clock });
  const svc: Services = {
    // PostgreSQL has a pool of connections: several group commits may be written at once.
    // SQLite writes one batch at a time on its one connection, but a batch's flush to disk
    // runs off the event loop (wal-flush.ts): a second lane writes the next batch meanwhile
    // (measured at 50 cases: the wait for a batch p99 4–7 ms → 1.7 ms).
    cases: caseRepository(db.kysely, { commitLanes: db.engine === 'postgres' ? 4 : 2, onFailure: (e) => opts.onStoreFailure?.(e) }),
    accounts: accountRepository(db.kysely),
    publisher: hub,
    clock,
    ids,
    publicUrl: config.publicUrl,
    invitationTtlMs: 14 * DAY,
  };
  const engine = caseEngine(svc);
  const deps = { svc, engine, config, loginLimiter: new RateLimiter(clock, 10, 15 * 60 * 1000) };
  const app = buildApp({
    routes: [...authRoutes(deps), ...adminRoutes(deps), ...caseRoutes(deps), ...directoryRoutes(deps)],
    accounts: svc.accounts,
    clock,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    logLevel: config.logLevel,
    logStream: opts.logStream,
    healthy: async () => {
      if (svc.cases.failure?.()) return false; // it takes no more writes: restart it
      await sql`select 1`.execute(db.kysely);
      return true;
    },
  });
  registerStatic(app); // the built web app, with its security headers
  const live = attachLive(app.server, { svc, hub, engine, cases: svc.cases, accounts: svc.accounts, clock, publicUrl: config.publicUrl, heartbeatMs: opts.heartbeatMs });
  await app.listen({ port: config.port, host: config.host });
  // Counts only: a record's scope, key and answer are not logged (C10).
  const sweeper = idempotencySweeper(svc.cases, clock, {
    retentionMs: config.idempotencyDays * DAY,
    onSwept: (deleted) => app.log.info({ deleted, days: config.idempotencyDays }, 'idempotency records past their retention deleted'),
    onError: (e) => app.log.warn({ error: e instanceof Error ? e.name : 'unknown', code: (e as { code?: unknown }).code }, 'idempotency sweep failed; the next one tries again'),
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    port,
    svc,
    hub,
    db,
    async close() {
      live.close();
      await sweeper.stop();
      await app.close();
      await db.close();
      await lock.release();
    },
  };
}
