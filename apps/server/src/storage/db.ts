import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { type CompiledQuery, type DatabaseConnection, type Driver, Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { type CaseKeys, fileCaseKeys } from './case-keys.ts';
import { DiskWaits } from './disk-waits.ts';
import { settleKeys } from './keys-at-start.ts';
import { migrate, pendingMigrations } from './migrations.ts';
import { type WalFlush, walFlusher } from './wal-flush.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly engine: Engine;
  /**
   * SQLite only: the better-sqlite3 connection under `kysely` (the very same one, not a
   * second connection), for the durable write path (commit-sqlite.ts). Use it only while
   * holding Kysely's connection (`kysely.connection().execute(...)`), as caseRepository does.
   */
  readonly sqlite?: SQLite.Database;
  /** SQLite only: how long acknowledgements waited on the disk (disk-waits.ts). */
  readonly diskWaits?: DiskWaits;
  /** The per-case keys of what people wrote (C11, case-keys.ts), whatever the engine. */
  readonly keys: CaseKeys;
  close(): Promise<void>;
}

const keyStores = new WeakMap<Kysely<Database>, CaseKeys>();

/** The key store opened with a Kysely instance by openDb (the case repository seals with it). */
export const storeKeys = (kysely: Kysely<Database>): CaseKeys | undefined => keyStores.get(kysely);

const nativeConnections = new WeakMap<Kysely<Database>, SQLite.Database>();

const closers = new WeakMap<Kysely<Database>, (() => Promise<void>)[]>();

/** Runs `fn` when the store opened by openDb closes, before its connections end (commit threads). */
export function onClose(kysely: Kysely<Database>, fn: () => Promise<void>): void {
  const list = closers.get(kysely);
  if (list) list.push(fn);
  else closers.set(kysely, [fn]);
}

interface CheckpointOptions {
  intervalMs?: number;
  resetFrames?: number;
  resetMs?: number;
  /** How long the WAL file may stay over its size limit while the writes never pause. */
  cutMs?: number;
}

/** The WAL's length, in frames, past which the checkpoint thread asks for a reset (64 MB of 4 KB pages). */
const resetFramesOf = (o: { resetFrames?: number }): number => o.resetFrames ?? 16384;

/**
 * The WAL file's size limit, bytes: twice the reset point (128 MB), so that a WAL started
 * over on time never reaches it. Only a burst that left no opening for a reset does (at
 * saturation the bench's WAL reached 1.1 GB in 20 s); the checkpoint thread then cuts the
 * file back once the writes pause (sqlite-checkpointer.mjs).
 */
const walLimitOf = (sqlite: SQLite.Database, o: CheckpointOptions): number =>
  Math.min(Number.MAX_SAFE_INTEGER, 2 * resetFramesOf(o) * (sqlite.pragma('page_size', { simple: true }) as number));

/**
 * The longest the writes wait for the cut of an oversized WAL. Measured: 100-140 ms for
 * 330 MB alone, 340 ms for 1.1 GB; in the bench, on the server's busy core, up to 643 ms for
 * 537 MB. A write let go before the cut ends would wait
 * for SQLite's lock on the event loop, so this bounds only a thread that no longer answers.
 */
const CUT_HOLD_MS = 5000;

/**
 * SQLite copies the WAL back into the database file (a checkpoint) on the connection that
 * commits, once the WAL passes 1,000 pages: that commit then waits for the copy and its
 * fsync, and with it the whole event loop (measured: up to 45 ms, and p99 of the event-loop
 * delay from 19 to 12 ms without it). So the server's connection never checkpoints, and a
 * thread of its own does it every `intervalMs` in PASSIVE mode, which waits for nobody and
 * blocks nobody. Between bursts of writes such a checkpoint copies everything and the
 * next write starts the WAL over; under writes without a pause it never does, so once the
 * WAL has passed `resetFrames` (64 MB) the thread asks, at most every `resetMs`, for the
 * writes to be held while it copies the last few frames (sqlite-checkpointer.mjs); `hold()`
 * is what a writer awaits before it writes. (Holding every second from 4 MB on cost the
 * bench's p99 more: 27 holds and 550-760 ms held in 9 s, against 10-11 and 220-230 ms.)
 */
function startCheckpointer(
  sqlite: SQLite.Database,
  o: CheckpointOptions = {},
  waits?: DiskWaits,
  /** Whether this thread cuts an oversized WAL: only the store's owner's does (see openDb's `owner`). */
  cuts = true,
): { close(): Promise<void>; hold(): Promise<void> | null; truncate(): Promise<boolean> } {
  const workerData = {
    file: sqlite.name,
    intervalMs: o.intervalMs ?? 250,
    resetFrames: resetFramesOf(o),
    resetMs: o.resetMs ?? 2000,
    limitBytes: cuts ? walLimitOf(sqlite, o) : -1,
    cutMs: o.cutMs ?? 60_000,
    cutHoldMs: CUT_HOLD_MS,
  };
  const worker = new Worker(new URL('./sqlite-checkpointer.mjs', import.meta.url), { workerData });
  worker.unref();
  let exited = false;
  let closing = false;
  /**
   * The writes' hold under way: asked by the thread ('worker': to start the WAL over or to
   * cut it back, ended by its 'release') or by truncate() ('truncate': ended by 'truncated').
   */
  let held: { promise: Promise<void>; release: () => void; kind: 'worker' | 'truncate'; timeout: NodeJS.Timeout } | null = null;
  const truncations: ((ok: boolean) => void)[] = [];
  let heldSince = 0;
  const release = (): void => {
    if (held) waits?.held(performance.now() - heldSince);
    held?.release();
    held = null;
  };
  const startHold = (ms: number, kind: 'worker' | 'truncate'): void => {
    let done = (): void => undefined;
    const promise = new Promise<void>((resolve) => (done = resolve));
    const timeout = setTimeout(release, ms);
    timeout.unref();
    held = {
      promise,
      kind,
      timeout,
      release: () => {
        clearTimeout(held?.timeout ?? timeout);
        done();
      },
    };
    heldSince = performance.now();
  };
  worker.on('message', (m: { t: string; ms?: number }) => {
    if (m.t === 'hold') {
      // Never held for long (a hold to start the WAL over usually lasts 2-10 ms): should the
      // thread not answer in time (a slow flush), the writes go on regardless and the WAL is
      // started over later. A hold to cut the file back has a longer bound (`ms`). Under a
      // hold of truncate()'s the writes are held already: the thread is answered all the same.
      if (!held) startHold(m.ms ?? 25, 'worker');
      // Writes are synchronous: none is under way while this runs, so the copy can start.
      worker.postMessage('held');
    } else if (m.t === 'release') {
      if (held?.kind === 'worker') release();
    } else if (m.t === 'truncated') {
      if (held?.kind === 'truncate' && truncations.length === 1) release();
      truncations.shift()?.((m as { ok?: boolean }).ok === true);
    }
  });
  const done = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      exited = true;
      release();
      for (const answer of truncations.splice(0)) answer(false);
      // Should the thread ever end on its own, the connection checkpoints, and cuts an
      // oversized WAL back, by itself again.
      if (!closing && sqlite.open) {
        sqlite.pragma('wal_autocheckpoint = 1000');
        sqlite.pragma(`journal_size_limit = ${workerData.limitBytes}`);
      }
      resolve();
    });
  });
  worker.on('error', () => undefined); // then it exits: see above
  return {
    hold: () => held?.promise ?? null,
    truncate() {
      if (exited || closing) return Promise.resolve(false);
      // The TRUNCATE holds SQLite's write lock while it copies and cuts the file (up to
      // hundreds of ms for a large WAL): the writes are held meanwhile, so that none waits
      // for that lock on the event loop. A hold of the thread's under way becomes this one.
      if (!held) startHold(CUT_HOLD_MS, 'truncate');
      else if (held.kind === 'worker') {
        clearTimeout(held.timeout);
        held.kind = 'truncate';
        held.timeout = setTimeout(release, CUT_HOLD_MS);
        held.timeout.unref();
      }
      return new Promise<boolean>((resolve) => {
        truncations.push(resolve);
        worker.postMessage('truncate');
      });
    },
    async close() {
      closing = true;
      release();
      if (exited) return;
      worker.ref();
      worker.postMessage('close');
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (!exited) await worker.terminate();
    },
  };
}

/** The better-sqlite3 connection under a Kysely instance opened by openDb on SQLite. */
export const nativeSqlite = (kysely: Kysely<Database>): SQLite.Database | undefined => nativeConnections.get(kysely);

const walFlushes = new WeakMap<Kysely<Database>, WalFlush>();
const walTruncates = new WeakMap<Kysely<Database>, () => Promise<boolean>>();

/** SQLite: copies the whole WAL into the database file and cuts it to nothing, off the event loop (false: it could not now). */
export const nativeWalTruncate = (kysely: Kysely<Database>): (() => Promise<boolean>) | undefined => walTruncates.get(kysely);
const writeHolds = new WeakMap<Kysely<Database>, () => Promise<void> | null>();

/** The flush of that connection's WAL to disk, off the event loop (wal-flush.ts). */
export const nativeWalFlush = (kysely: Kysely<Database>): WalFlush | undefined => walFlushes.get(kysely);

/** What the commit writer awaits before writing while the checkpoint thread starts the WAL over (null: write now). */
export const nativeWriteHold = (kysely: Kysely<Database>): (() => Promise<void> | null) | undefined => writeHolds.get(kysely);

// PostgreSQL returns BIGINT as strings; every bigint here is an epoch-ms time that fits a double.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Kysely prepares every query anew, and preparing is a good part of a small write's cost
 * on SQLite: statements are kept and reused (least recently used first out, since SQL texts
 * vary with the length of value lists). A statement still busy (iterating) is never shared.
 */
function reusingStatements(sqlite: SQLite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit && !hit.busy) {
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const st = sqlite.prepare(text);
      cache.set(text, st);
      if (cache.size > max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return st;
    },
  };
}

/** Statements that only give SQLite's locks back: they never wait for a hold. */
const ENDS_TRANSACTION = /^\s*(commit|end|rollback|release)\b/i;

/**
 * SQLite through Kysely, with every statement that may take the write lock (anything but a
 * SELECT, a COMMIT, a ROLLBACK or a RELEASE) waiting first for a hold of the writes: while the
 * checkpoint thread cuts the WAL it holds that lock for up to hundreds of ms, and a write
 * that reached it would wait for it (busy_timeout) on the event loop. The commit writer waits
 * for the hold itself (case.repository.ts); this is for every other write (sign-in sessions,
 * invitations, the migrations, the destruction of a case's content).
 */
class HeldSqliteDialect extends SqliteDialect {
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly hold: () => Promise<void> | null,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const inner = super.createDriver();
    const hold = this.hold;
    const waitFor = async (query: CompiledQuery): Promise<void> => {
      if (query.query.kind === 'SelectQueryNode' || ENDS_TRANSACTION.test(query.sql)) return;
      for (let h = hold(); h; h = hold()) await h;
    };
    const held = (c: DatabaseConnection): DatabaseConnection => ({
      async executeQuery(query) {
        await waitFor(query);
        return c.executeQuery(query);
      },
      streamQuery: (query, chunkSize) => c.streamQuery(query, chunkSize),
    });
    return {
      init: () => inner.init(),
      acquireConnection: async () => held(await inner.acquireConnection()),
      beginTransaction: (c, settings) => inner.beginTransaction(c, settings),
      commitTransaction: (c) => inner.commitTransaction(c),
      rollbackTransaction: (c) => inner.rollbackTransaction(c),
      savepoint: inner.savepoint ? (c, name, compile) => inner.savepoint!(c, name, compile) : undefined,
      rollbackToSavepoint: inner.rollbackToSavepoint ? (c, name, compile) => inner.rollbackToSavepoint!(c, name, compile) : undefined,
      releaseSavepoint: inner.releaseSavepoint ? (c, name, compile) => inner.releaseSavepoint!(c, name, compile) : undefined,
      releaseConnection: (c) => inner.releaseConnection(c),
      destroy: () => inner.destroy(),
    };
  }
}

/** A store opened beside its server (`owner: false`) is behind this code's schema: nothing was changed. */
export class StoreBehind extends Error {}

/**
 * Opens the store: SQLite in `dataDir` by default, PostgreSQL when a URL is given.
 * SQLite runs in WAL mode with synchronous=FULL, so a committed transaction survives a
 * power cut; that is what "acknowledged" means here. (The commit writer gets the same
 * guarantee by flushing the WAL off the event loop before it acknowledges: wal-flush.ts.)
 */
export async function openDb(opts: {
  databaseUrl: string | null;
  dataDir: string;
  /** Where the per-case keys live (default `<dataDir>/keys`), with either engine. */
  keysDir?: string | null;
  /** SQLite's checkpoint thread (tests set short intervals). */
  checkpoint?: CheckpointOptions;
  /**
   * Whether this process finishes what a start must (closes a crash interrupted, content
   * not yet sealed: keys-at-start.ts). Default: it does. False for a process that opens
   * the store beside the server that holds it (the `caucus` command while a server runs):
   * that server owns this work, and may be doing it at this moment.
   */
  owner?: boolean;
}): Promise<Db> {
  let kysely: Kysely<Database>;
  let engine: Engine;
  let native: SQLite.Database | undefined;
  let diskWaits: DiskWaits | undefined;
  if (opts.databaseUrl) {
    engine = 'postgres';
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // An idle connection ended by the server (restart, failover, idle timeout) is reported
    // as an 'error' event; unhandled, it would crash the process. The pool has already
    // dropped that client and the next query opens a new one; a query in flight fails on
    // its own and its caller reports it.
    pool.on('error', () => undefined);
    // A failed statement (a version conflict is one, commit-sql.ts) is logged by PostgreSQL
    // with its text; its values, which hold what people wrote, must not be (C10), whatever
    // the server's log settings say. Queued on each new connection before any other query.
    pool.on('connect', (client) => {
      client.query('SET log_parameter_max_length_on_error = 0').catch(() => undefined);
    });
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    engine = 'sqlite';
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(opts.dataDir, 'caucus.sqlite');
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // What SQLite frees (a deleted row, a row rewritten smaller, the space left when a page is
    // rebuilt) is zeroed rather than left in the file: once a case's content is destroyed
    // (C11), no stale copy of its sealed text stays behind in a page's free space or in a
    // freed overflow page. Measured (shredding.test.ts): without it, two sealed texts of a
    // closed case were still in the database file; with FAST, which zeroes only what it
    // writes anyway, eight pieces of a long one's overflow pages were.
    sqlite.pragma('secure_delete = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('wal_autocheckpoint = 0'); // the checkpoint thread does it (startCheckpointer)
    // No size limit on this connection: with one, SQLite cuts an oversized WAL file back in
    // the first commit after a reset, on this connection and so on the event loop (measured:
    // 79.5 ms to cut 331 MB to 128 MB, every request waiting). The checkpoint thread cuts it
    // instead, off the event loop (walLimitOf, sqlite-checkpointer.mjs).
    sqlite.pragma('journal_size_limit = -1');
    // Kysely's one connection IS this handle: one connection, one set of pragmas, one WAL.
    let holdWrites: () => Promise<void> | null = () => null; // the checkpoint thread's, once it runs (below)
    kysely = new Kysely<Database>({ dialect: new HeldSqliteDialect({ database: reusingStatements(sqlite) }, () => holdWrites()) });
    native = sqlite;
    nativeConnections.set(kysely, sqlite);
    diskWaits = new DiskWaits();
    // A process beside the server (the `caucus` command) does not cut the WAL: its writes are
    // the only ones its holds hold, and the server's would wait for the cut on its event loop.
    const checkpointer = startCheckpointer(sqlite, opts.checkpoint, diskWaits, opts.owner !== false);
    holdWrites = () => checkpointer.hold();
    writeHolds.set(kysely, holdWrites);
    walTruncates.set(kysely, () => checkpointer.truncate());
    onClose(kysely, () => checkpointer.close());
    const wal = walFlusher(file);
    const waits = diskWaits;
    // Called right after a batch's COMMIT: until it resolves is that batch's wait on the disk.
    walFlushes.set(kysely, () => {
      const t0 = performance.now();
      const done = (): void => waits.flushed(performance.now() - t0);
      const p = wal.flush();
      p.then(done, done);
      return p;
    });
    onClose(kysely, () => wal.close());
  }
  const keys = fileCaseKeys(opts.keysDir || path.join(opts.dataDir, 'keys'));
  try {
    if (opts.owner === false) {
      // The server holding the store runs on its schema: it is not changed under it.
      const pending = await pendingMigrations(kysely as unknown as Kysely<unknown>);
      if (pending.length > 0) throw new StoreBehind(`The store is in use by a server of an older version (${pending.length} schema migration(s) not run: ${pending.join(', ')}). Restart the server with this version first.`);
    } else await migrate(kysely as unknown as Kysely<unknown>);
    await settleKeys(kysely, keys, engine, walTruncates.get(kysely), opts.owner === false ? 'beside' : 'owner');
  } catch (e) {
    for (const fn of closers.get(kysely) ?? []) await fn();
    await kysely.destroy();
    throw e;
  }
  keyStores.set(kysely, keys);
  const k = kysely;
  return {
    kysely,
    engine,
    sqlite: native,
    diskWaits,
    keys,
    async close() {
      for (const fn of closers.get(k) ?? []) await fn();
      await k.destroy();
    },
  };
}
