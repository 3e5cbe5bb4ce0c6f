import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db, type Engine } from '../../src/storage/db.ts';
import { freshPostgresDatabase, postgresSkipReason } from './pg.ts';

/** Where one test's store lives; `open` may be called again to reopen the same store. */
export interface StoreTarget {
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  open(): Promise<Db>;
  /** Closes every Db opened through `open` and removes the store. */
  dispose(): Promise<void>;
}

export interface EngineUnderTest {
  readonly name: Engine;
  /** Why this engine is skipped here, or null. */
  readonly skip: string | null;
  target(): Promise<StoreTarget>;
}

function target(databaseUrl: string | null, dataDir: string, remove: () => Promise<void>): StoreTarget {
  const opened: Db[] = [];
  return {
    databaseUrl,
    dataDir,
    async open() {
      const db = await openDb({ databaseUrl, dataDir });
      opened.push(db);
      return db;
    },
    async dispose() {
      for (const db of opened.splice(0)) await db.close();
      await remove();
    },
  };
}

export const sqliteEngine: EngineUnderTest = {
  name: 'sqlite',
  skip: null,
  target: () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-store-'));
    return Promise.resolve(target(null, dir, () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true }))));
  },
};

export const postgresEngine: EngineUnderTest = {
  name: 'postgres',
  skip: postgresSkipReason,
  async target() {
    const fresh = await freshPostgresDatabase();
    // The database is PostgreSQL's; the per-case keys (C11) are files, in a directory of this test's own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-keys-'));
    return target(fresh.url, dir, async () => {
      await fresh.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
  },
};

export const ENGINES: readonly EngineUnderTest[] = [sqliteEngine, postgresEngine];
