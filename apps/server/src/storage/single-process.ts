import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { type Db, openDb } from './db.ts';

/**
 * One server process per store, for now. Each process keeps the case state it serves
 * live in memory; a second process on the same store would not hear the first one's
 * commits and could keep delivering to someone whose access was just removed (C7).
 * Until commits publish cross-process wake-ups, a second server is refused at start.
 *
 * SQLite: a lock file holding the owner's pid (a stale file left by a killed process is
 * taken over). PostgreSQL: a session-level advisory lock on a dedicated connection,
 * released by the database itself when the process dies.
 */
export interface ProcessLock {
  release(): Promise<void>;
}

const LOCK_KEY = 0x0ca0c05; // arbitrary, fixed: "caucus"

export class StoreInUse extends Error {}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export async function acquireProcessLock(opts: { databaseUrl: string | null; dataDir: string }): Promise<ProcessLock> {
  if (opts.databaseUrl) {
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    await client.connect();
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
    if (!r.rows[0]?.ok) {
      await client.end();
      throw new StoreInUse('Another Caucus process (a server, or a `caucus` command still running) is using this PostgreSQL database. Run one server per database.');
    }
    return { release: () => client.end() };
  }
  const file = path.join(opts.dataDir, 'server.lock');
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return {
        release: () => {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file, { force: true });
          return Promise.resolve();
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner))
        throw new StoreInUse(`Another Caucus process (pid ${owner}: a server, or a \`caucus\` command still running) is using ${opts.dataDir}. Stop it first, or use another DATA_DIR.`);
      fs.rmSync(file, { force: true }); // left by a process that is gone
    }
  }
  throw new StoreInUse(`Could not lock ${opts.dataDir}.`);
}

/**
 * How a command-line tool (`caucus`, `npm run demo`) opens the store. With no server on
 * it, the tool holds the store's lock for as long as it runs (a server started meanwhile
 * is refused, with a message saying so) and its start does what a server's would (keys-at-start.ts). With a
 * server on it, the tool opens the store beside that server: the checks run, but what they
 * would change, and the schema, are that server's to change.
 */
export async function openStoreForTool(config: { databaseUrl: string | null; dataDir: string; keysDir?: string | null }): Promise<Db> {
  let lock: ProcessLock | null = null;
  try {
    lock = await acquireProcessLock(config);
  } catch (e) {
    if (!(e instanceof StoreInUse)) throw e;
  }
  const held = lock;
  const db = await openDb({ ...config, owner: held !== null }).catch(async (e: unknown) => {
    await held?.release();
    throw e;
  });
  if (!held) return db;
  return {
    ...db,
    async close() {
      try {
        await db.close();
      } finally {
        await held.release();
      }
    },
  };
}
