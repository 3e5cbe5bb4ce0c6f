import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JOINT } from '@caucus/domain';
import { caseRepository } from '../../src/storage/case.repository.ts';
import { nativeWalTruncate, nativeWriteHold, openDb, type Db } from '../../src/storage/db.ts';
import type { DiskWaitSummary } from '../../src/storage/disk-waits.ts';
import { cmd, openCase } from './case-driver.ts';

/**
 * The server's SQLite connection never checkpoints (a checkpoint on the committing
 * connection stalls the event loop); a thread of its own copies the WAL into the database
 * file in the background. These tests hold both halves of that.
 */

let db: Db | null = null;
let dir = '';
afterEach(async () => {
  await db?.close();
  db = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

const fill = (d: Db, from: number, n: number) => {
  const sqlite = d.sqlite;
  if (!sqlite) throw new Error('SQLite expected');
  const insert = sqlite.prepare('INSERT INTO "idempotency" ("scope", "key", "request_hash", "response", "created_at") VALUES (?, ?, ?, ?, ?)');
  for (let i = from; i < from + n; i++) insert.run('test', `key-${i}`, 'h', 'x'.repeat(2000), i);
};

describe('SQLite checkpoints', () => {
  it('commits on the server connection leave the WAL alone; the checkpoint thread copies it into the database file', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-ckpt-'));
    db = await openDb({ databaseUrl: null, dataDir: dir });
    expect(db.sqlite?.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const file = path.join(dir, 'caucus.sqlite');
    const before = fs.statSync(file).size;
    fill(db, 0, 3000); // ~6 MB, well past the 1,000 pages at which SQLite would checkpoint itself
    const wal = fs.statSync(`${file}-wal`).size;
    expect(wal).toBeGreaterThan(4_000_000);
    // Within a few intervals the rows are in the database file (its size settles).
    const deadline = Date.now() + 8000;
    let last = -1;
    while (Date.now() < deadline) {
      const size = fs.statSync(file).size;
      if (size > before + 4_000_000 && size === last) break;
      last = size;
      await new Promise((r) => setTimeout(r, 700));
    }
    expect(fs.statSync(file).size).toBeGreaterThan(before + 4_000_000);
    // Once checkpointed, writers start the WAL over instead of growing it.
    fill(db, 3000, 100);
    expect(fs.statSync(`${file}-wal`).size).toBeLessThanOrEqual(wal);
  });

  it('under a steady stream of commits the WAL is started over now and then, instead of growing as long as the writes go on', async () => {
    /** The WAL's size after ~1.5 s of commits through the commit writer, one every few ms, and the store's waits on the disk. */
    const walAfterSteadyWrites = async (resetFrames: number): Promise<{ size: number; waits: DiskWaitSummary | undefined }> => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-ckpt-'));
      const store = await openDb({ databaseUrl: null, dataDir: d, checkpoint: { intervalMs: 50, resetFrames, resetMs: 100 } });
      try {
        const repo = caseRepository(store.kysely);
        const until = Date.now() + 1500;
        // Four writers, each posting as fast as its commits go: batches follow each other.
        await Promise.all(
          [1, 2, 3, 4].map(async (n) => {
            const c = await openCase(repo, { caseId: `c-steady-${n}`, leadAccount: `acct-${n}` });
            await c.driver.run(c.lead, cmd('start-session', {}));
            for (let i = 0; Date.now() < until; i++) await c.driver.post(c.partyA, JOINT, `${i} ${'x'.repeat(3000)}`);
          }),
        );
        return { size: fs.statSync(path.join(d, 'caucus.sqlite-wal')).size, waits: store.diskWaits?.summary() };
      } finally {
        await store.close();
        fs.rmSync(d, { recursive: true, force: true });
      }
    };
    const withResets = await walAfterSteadyWrites(100);
    const without = await walAfterSteadyWrites(Number.MAX_SAFE_INTEGER);
    expect(without.size).toBeGreaterThan(2_000_000); // the writes did fill a WAL
    expect(withResets.size).toBeLessThan(without.size / 2); // measured: a quarter or less
    // What the acknowledgements waited for is counted: every batch's flush, and the holds
    // that started the WAL over (none where it never is), each bounded.
    const w = withResets.waits;
    expect(w?.flushes).toBeGreaterThan(50);
    expect(w?.flushP50).toBeGreaterThan(0);
    expect(w?.flushP99).toBeGreaterThanOrEqual(w?.flushP50 ?? Infinity);
    expect(w?.holds).toBeGreaterThan(0);
    expect(w?.heldMs).toBeLessThanOrEqual((w?.holds ?? 0) * 100); // 25 ms at most, and a late timer
    expect(without.waits?.holds).toBe(0);
  });

  /** A store whose WAL file has grown to ~40 MB with no reset (the thread's rounds are far apart or not yet run), and its size limit. */
  const oversizedWal = async (checkpoint: { intervalMs: number; cutMs?: number }) => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-ckpt-'));
    const resetFrames = 200;
    db = await openDb({ databaseUrl: null, dataDir: dir, checkpoint: { ...checkpoint, resetFrames, resetMs: 100 } });
    const sqlite = db.sqlite;
    if (!sqlite) throw new Error('SQLite expected');
    const limit = 2 * resetFrames * (sqlite.pragma('page_size', { simple: true }) as number);
    const wal = path.join(dir, 'caucus.sqlite-wal');
    // One transaction per row, the event loop busy throughout: no hold can be answered, so
    // the WAL grows as it does under a burst that leaves no opening for a reset.
    fill(db, 0, 3000);
    expect(fs.statSync(wal).size).toBeGreaterThan(4_000_000);
    expect(limit).toBeLessThan(2_000_000);
    return { d: db, sqlite, limit, wal };
  };

  const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return cond();
  };

  it('the server connection never cuts an oversized WAL file itself: a write after a reset costs no cut on the event loop', async () => {
    // The thread never runs a round during the test.
    const { d, sqlite, wal } = await oversizedWal({ intervalMs: 60_000 });
    const size = fs.statSync(wal).size;
    sqlite.pragma('wal_checkpoint(PASSIVE)'); // every frame copied: the next write starts the WAL over
    const t0 = performance.now();
    fill(d, 3000, 1);
    const ms = performance.now() - t0;
    expect(fs.statSync(wal).size).toBe(size); // started over at its beginning, the file left as it was
    expect(ms).toBeLessThan(1000); // an fsync, not a cut (a generous bound: only a hung disk fails it)
    expect(sqlite.prepare('SELECT count(*) AS n FROM "idempotency"').get()).toEqual({ n: 3001 });
  });

  it('a WAL file that outgrew its limit is cut back by the checkpoint thread once the writes pause, with every row kept', async () => {
    const { d, sqlite, limit, wal } = await oversizedWal({ intervalMs: 50 });
    expect(await until(() => fs.statSync(wal).size <= limit, 20_000)).toBe(true);
    // Writes go on after the cut, and every row is there, also after a reopen.
    fill(d, 3000, 10);
    expect(sqlite.prepare('SELECT count(*) AS n FROM "idempotency"').get()).toEqual({ n: 3010 });
    await d.close();
    db = await openDb({ databaseUrl: null, dataDir: dir });
    expect(db.sqlite?.prepare('SELECT count(*) AS n FROM "idempotency"').get()).toEqual({ n: 3010 });
  });

  it('while the writes never pause, an oversized WAL file is still cut back, within the bound set for it', async () => {
    const { d, sqlite, limit, wal } = await oversizedWal({ intervalMs: 50, cutMs: 300 });
    // A write every 5 ms through the test: no checkpoint round finds the WAL unchanged (with a
    // 300-s bound instead, the file stays over its limit: checked when this was written). These
    // writes do not wait for holds; they wait for SQLite's lock while the cut runs.
    let n = 3000;
    const writer = setInterval(() => fill(d, n++, 1), 5);
    try {
      expect(await until(() => fs.statSync(wal).size <= limit, 20_000)).toBe(true);
    } finally {
      clearInterval(writer);
    }
    expect(sqlite.prepare('SELECT count(*) AS n FROM "idempotency"').get()).toEqual({ n });
  });

  it('a process beside the server (the caucus command) never cuts the WAL: the server would wait for it on its event loop', async () => {
    const { limit, wal } = await oversizedWal({ intervalMs: 60_000 }); // the server's thread stays out of it
    const beside = await openDb({ databaseUrl: null, dataDir: dir, owner: false, checkpoint: { intervalMs: 50, resetFrames: 200, resetMs: 100, cutMs: 100 } });
    try {
      // Its thread runs its rounds (it asks for a reset, its only kind of hold), with no write
      // anywhere: the server's own thread would have cut the file by then (above).
      expect(await until(() => (beside.diskWaits?.summary().holds ?? 0) > 0, 20_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(fs.statSync(wal).size).toBeGreaterThan(limit);
    } finally {
      await beside.close();
    }
  });

  it('[C11] the truncation after a case is destroyed holds the writes while it runs, so that none waits for its lock on the event loop', async () => {
    const { d, wal } = await oversizedWal({ intervalMs: 60_000 }); // no round of the thread's own
    const truncate = nativeWalTruncate(d.kysely);
    const hold = nativeWriteHold(d.kysely);
    if (!truncate || !hold) throw new Error('SQLite expected');
    expect(hold()).toBeNull();
    const done = truncate();
    expect(hold()).not.toBeNull(); // the writes wait from the call on
    expect(await done).toBe(true);
    expect(hold()).toBeNull(); // and go on once it is done
    expect(fs.statSync(wal).size).toBe(0);
    fill(d, 3000, 1);
    expect(d.sqlite?.prepare('SELECT count(*) AS n FROM "idempotency"').get()).toEqual({ n: 3001 });
  });

  it('every other write through Kysely waits for a hold too, so that none waits for SQLite\'s lock on the event loop; a read ahead of it does not', async () => {
    const { d } = await oversizedWal({ intervalMs: 60_000 });
    const truncate = nativeWalTruncate(d.kysely);
    if (!truncate) throw new Error('SQLite expected');
    const order: string[] = [];
    const done = truncate().then(() => order.push('truncated'));
    const read = d.kysely
      .selectFrom('idempotency')
      .select((eb) => eb.fn.countAll().as('n'))
      .execute()
      .then(() => order.push('read'));
    const write = d.kysely
      .insertInto('idempotency')
      .values({ scope: 'test', key: 'during-hold', request_hash: 'h', response: 'r', created_at: 1 })
      .execute()
      .then(() => order.push('write'));
    await Promise.all([done, write, read]);
    expect(order).toEqual(['read', 'truncated', 'write']);
    expect(d.sqlite?.prepare('SELECT count(*) AS n FROM "idempotency" WHERE "key" = ?').get('during-hold')).toEqual({ n: 1 });
  });

  it('closing the store stops the thread and leaves a database that opens again with every row', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-ckpt-'));
    db = await openDb({ databaseUrl: null, dataDir: dir });
    fill(db, 0, 50);
    await db.close();
    db = await openDb({ databaseUrl: null, dataDir: dir });
    expect(db.sqlite?.prepare('SELECT count(*) AS n FROM "idempotency"').get()).toEqual({ n: 50 });
  });
});
