import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations.ts';
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
  close(): Promise<void>;
}

const nativeConnections = new WeakMap<Kysely<Database>, SQLite.Database>();

/** The better-sqlite3 connection under a Kysely instance opened by openDb on SQLite. */
export const nativeSqlite = (kysely: Kysely<Database>): SQLite.Database | undefined => nativeConnections.get(kysely);

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

/**
 * Opens the store: SQLite in `dataDir` by default, PostgreSQL when a URL is given.
 * SQLite runs in WAL mode with synchronous=FULL, so a committed transaction survives a
 * power cut; that is what "acknowledged" means here.
 */
export async function openDb(opts: { databaseUrl: string | null; dataDir: string }): Promise<Db> {
  let kysely: Kysely<Database>;
  let engine: Engine;
  let native: SQLite.Database | undefined;
  if (opts.databaseUrl) {
    engine = 'postgres';
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // An idle connection ended by the server (restart, failover, idle timeout) is reported
    // as an 'error' event; unhandled, it would crash the process. The pool has already
    // dropped that client and the next query opens a new one; a query in flight fails on
    // its own and its caller reports it.
    pool.on('error', () => undefined);
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    engine = 'sqlite';
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(opts.dataDir, 'caucus.sqlite');
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // Kysely's one connection IS this handle: one connection, one set of pragmas, one WAL.
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(sqlite) }) });
    native = sqlite;
    nativeConnections.set(kysely, sqlite);
  }
  await migrate(kysely as unknown as Kysely<unknown>);
  return { kysely, engine, sqlite: native, close: () => kysely.destroy() };
}
