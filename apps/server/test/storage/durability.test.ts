import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventView } from '@caucus/protocol';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { JOINT } from '@caucus/domain';
import { Browser, sampleCase, testServer } from '../harness.ts';
import { caseRepository } from '../../src/storage/case.repository.ts';
import { openDb } from '../../src/storage/db.ts';
import { FlushFailed, walFlusher } from '../../src/storage/wal-flush.ts';
import { cmd, openCase } from './case-driver.ts';

/**
 * "Acknowledged" means committed: SQLite runs in WAL mode with synchronous=FULL, and a
 * command's HTTP 200 is sent only after its transaction commits. These tests check the
 * settings and then the promise itself, by killing a real server process with SIGKILL.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
const ORIGIN = 'http://caucus.test';
const MEDIATOR = { email: 'crash@example.org', password: 'correct horse battery' };

const dirs: string[] = [];
const children: ChildProcess[] = [];
const tempDir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-durability-'));
  dirs.push(d);
  return d;
};

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) await stop(c, 'SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.signalCode);
    child.once('exit', (_code, sig) => resolve(sig));
    child.kill(signal);
  });
}

/** Starts crash-server.ts in its own process; resolves with its base URL once it listens. */
function startChild(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PUBLIC_URL: ORIGIN, MEDIATOR_EMAIL: MEDIATOR.email, MEDIATOR_PASSWORD: MEDIATOR.password };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'crash-server.ts')], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`crash-server did not start in time: ${out} ${err}`)), 20_000);
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`crash-server exited early (${code ?? sig}): ${err}`));
    });
  });
}

/** Every message body in the joint stream, read page by page from the log. */
async function jointBodies(b: Browser, caseId: string): Promise<{ bodies: string[]; positions: number[] }> {
  const bodies: string[] = [];
  const positions: number[] = [];
  for (let after = 0; ; ) {
    const r = await b.get<{ events: EventView[]; head: number }>(`/api/v1/cases/${caseId}/streams/joint/events?after=${after}&limit=100`);
    if (r.status !== 200) throw new Error(`read failed: ${r.status} ${r.text}`);
    if (r.body.events.length === 0) return { bodies, positions };
    for (const e of r.body.events) {
      positions.push(e.position);
      if (e.type === 'message.posted' && e.content?.body) bodies.push(e.content.body);
    }
    after = r.body.events.at(-1)?.position ?? after;
  }
}

describe('SQLite durability', () => {
  it('[durability] SQLite is opened with journal_mode=wal and synchronous=FULL', async () => {
    const db = await openDb({ databaseUrl: null, dataDir: tempDir() });
    try {
      const journal = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db.kysely);
      const sync = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db.kysely);
      expect(journal.rows).toEqual([{ journal_mode: 'wal' }]);
      expect(sync.rows).toEqual([{ synchronous: 2 }]); // 2 = FULL
    } finally {
      await db.close();
    }
  });

  it('[durability] durable() resolves only once every batch committed so far is flushed, and rejects after a failed flush', async () => {
    const db = await openDb({ databaseUrl: null, dataDir: tempDir() });
    try {
      let hold = false;
      let fail = false;
      const held: (() => void)[] = [];
      const store = caseRepository(db.kysely, {
        flushWal: () => (fail ? Promise.reject(new Error('EIO')) : hold ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve()),
      });
      const c = await openCase(store, { caseId: 'c-durable', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      await store.durable?.(); // nothing waiting: at once
      hold = true;
      const a = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'committed, not yet flushed', label: null }));
      const writing = store.commitMany?.([a.input]);
      await new Promise((r) => setTimeout(r, 20));
      // The rows are readable (committed to the WAL); durable() says they may not be on disk yet.
      expect((await store.readStream('c-durable', JOINT, 0, 100)).some((e) => e.id === a.events[0]?.id)).toBe(true);
      let onDisk = false;
      const waiting = store.durable?.().then(() => (onDisk = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(onDisk).toBe(false);
      expect(held).toHaveLength(1);
      held.shift()?.();
      await waiting;
      expect(onDisk).toBe(true);
      await writing;
      c.driver.adopt(a, undefined);
      // A failed flush: from then on nothing can be vouched for.
      hold = false;
      fail = true;
      const b = c.driver.plan(c.partyB, cmd('post-message', { stream: JOINT, body: 'lost to EIO', label: null }));
      expect((await store.commitMany?.([b.input]))?.[0]).toBeInstanceOf(FlushFailed);
      await expect(store.durable?.()).rejects.toBeInstanceOf(FlushFailed);
    } finally {
      await db.close();
    }
  });

  it('[durability] a batch is acknowledged only once its WAL flush has returned, and the connection stays at FULL', async () => {
    const db = await openDb({ databaseUrl: null, dataDir: tempDir() });
    try {
      const flushes: (() => void)[] = [];
      if (!db.sqlite) throw new Error('SQLite expected');
      const real = walFlusher(db.sqlite.name);
      const store = caseRepository(db.kysely, { flushWal: () => new Promise<void>((resolve) => flushes.push(() => void real.flush().then(resolve))) });
      const opening = openCase(store, { caseId: 'c-flush', leadAccount: 'acct-1' });
      const flushed = async (): Promise<void> => {
        flushes.shift()?.();
        await new Promise((r) => setTimeout(r, 20));
      };
      let opened = false;
      void opening.then(() => (opened = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(opened).toBe(false); // committed to the WAL, not yet flushed: not acknowledged
      expect(flushes).toHaveLength(1);
      // Every other write on the connection still commits at FULL.
      expect((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db.kysely)).rows).toEqual([{ synchronous: 2 }]);
      // The creation and the four acceptances follow one by one, each acknowledged after its own flush.
      for (let i = 0; i < 5 && !opened; i++) await flushed();
      expect(opened).toBe(true);
      const c = await opening;
      const posting = c.driver.post(c.partyA, JOINT, 'flushed before the answer');
      let posted = false;
      void posting.then(() => (posted = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(posted).toBe(false);
      await flushed();
      await posting;
      expect(posted).toBe(true);
      await real.close();
    } finally {
      await db.close();
    }
  });

  it('[durability] a failed flush fails its batch; after it nothing more is written or answered from the store, and the server is told', async () => {
    const db = await openDb({ databaseUrl: null, dataDir: tempDir() });
    try {
      let fail = false;
      const told: Error[] = [];
      const store = caseRepository(db.kysely, { flushWal: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve()), onFailure: (e) => told.push(e) });
      const c = await openCase(store, { caseId: 'c-eio', leadAccount: 'acct-1' });
      await c.driver.run(c.lead, cmd('start-session', {}));
      const count = async () => (await sql<{ n: number }>`SELECT count(*) AS n FROM events`.execute(db.kysely)).rows[0]?.n ?? 0;
      fail = true;
      const idempotency = { scope: 'participant:eio', key: 'eio-key-1', requestHash: 'h', response: '{}' };
      const a = c.driver.plan(c.partyA, cmd('post-message', { stream: JOINT, body: 'maybe on disk', label: null }), { extra: { idempotency } });
      const before = await count();
      const out = await store.commitMany?.([a.input]);
      expect(out?.[0]).toBeInstanceOf(FlushFailed);
      // Written once (the COMMIT happened; only the flush failed), never twice.
      expect(await count()).toBe(before + a.events.length);
      expect(told).toHaveLength(1);
      expect(store.failure?.()).toBeInstanceOf(FlushFailed);
      // From now on: nothing written, and no answer from a record that may not be on disk.
      fail = false;
      c.driver.adopt(a, undefined);
      const b = c.driver.plan(c.partyB, cmd('post-message', { stream: JOINT, body: 'after the failure', label: null }));
      expect((await store.commitMany?.([b.input]))?.[0]).toBeInstanceOf(FlushFailed);
      expect(await count()).toBe(before + a.events.length);
      expect(store.findIdempotentNow?.('participant:eio', 'eio-key-1')).toBeUndefined();
      await expect(store.findIdempotent('participant:eio', 'eio-key-1')).rejects.toBeInstanceOf(FlushFailed);
      expect(told).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('[durability] after a failed flush the server answers 503 to commands and to /healthz', async () => {
    const real = fs.fdatasync;
    let failNext = false;
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
      if (!failNext) return real(fd, cb);
      failNext = false;
      setImmediate(() => cb(Object.assign(new Error('EIO'), { code: 'EIO' })));
    }) as typeof fs.fdatasync;
    const server = await testServer({ seed: 'eio' });
    try {
      const m = await server.mediator();
      const created = await m.post<{ case: { id: string } }>('/api/v1/cases', sampleCase());
      const base = `/api/v1/cases/${created.body.case.id}`;
      expect((await m.post(`${base}/session/start`)).status).toBe(200);
      expect((await server.browser().get('/healthz')).status).toBe(200);
      failNext = true;
      const first = await m.post<{ error: { code: string } }>(`${base}/rooms/joint/messages`, { body: 'maybe on disk' }, { 'idempotency-key': 'eio-http-1' });
      expect([first.status, first.body.error.code]).toEqual([503, 'unavailable']);
      const retry = await m.post(`${base}/rooms/joint/messages`, { body: 'maybe on disk' }, { 'idempotency-key': 'eio-http-1' });
      expect(retry.status).toBe(503); // not a 200 from a record that may not be on disk
      expect((await m.post(`${base}/rooms/joint/messages`, { body: 'later' })).status).toBe(503);
      expect((await server.browser().get('/healthz')).status).toBe(503);
    } finally {
      (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = real;
      await server.stop();
    }
  });

  it('[durability] the WAL flusher flushes the file that is the WAL now, one at a time, and fails for good after an error', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'x.sqlite');
    fs.writeFileSync(`${file}-wal`, 'first');
    const w = walFlusher(file);
    await w.flush();
    // The WAL replaced by another file of the same name: the next flush goes to the new one.
    fs.rmSync(`${file}-wal`);
    fs.writeFileSync(`${file}-wal`, 'second');
    const real = fs.fdatasync;
    const flushed: number[] = [];
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
      flushed.push(fs.fstatSync(fd).ino);
      real(fd, cb);
    }) as typeof fs.fdatasync;
    try {
      await w.flush();
      await w.flush();
    } finally {
      (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = real;
    }
    const now = fs.statSync(`${file}-wal`).ino;
    expect(flushed).toEqual([now, now]);
    // Flushes asked for while one runs share the next one: five asks, two fdatasyncs.
    let calls = 0;
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
      calls += 1;
      setTimeout(() => real(fd, cb), 20);
    }) as typeof fs.fdatasync;
    try {
      const first = w.flush();
      const later = [w.flush(), w.flush(), w.flush(), w.flush()];
      await Promise.all([first, ...later]);
      expect(calls).toBe(2);
    } finally {
      (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = real;
    }
    fs.rmSync(`${file}-wal`);
    await expect(w.flush()).rejects.toThrow(); // no WAL at all: an error, not a silent success
    await w.close();
    await expect(w.flush()).rejects.toBeInstanceOf(FlushFailed);
  });

  it('[durability] acknowledged commands survive kill -9', async () => {
    const dataDir = tempDir();
    const first = await startChild(dataDir);
    const b = new Browser(first.url, ORIGIN);
    expect((await b.post('/api/v1/auth/login', MEDIATOR)).status).toBe(200);
    const created = await b.post<{ case: { id: string } }>('/api/v1/cases', sampleCase());
    expect(created.status).toBe(201);
    const caseId = created.body.case.id;
    expect((await b.post(`/api/v1/cases/${caseId}/session/start`)).status).toBe(200);

    // Commands go out 12 at a time; the server is killed as the 60th answer arrives, so
    // some are committed-and-answered, some possibly committed-but-unanswered, some never sent.
    const N = 400;
    const KILL_AFTER = 60;
    const acked = new Set<number>();
    const unacked = new Set<number>();
    let next = 0;
    // Set (from inside a response handler) when the kill is sent; resolves on the child's exit.
    const kill: { exited: Promise<NodeJS.Signals | null> | null } = { exited: null };
    const send = async (i: number): Promise<void> => {
      try {
        const r = await b.post(`/api/v1/cases/${caseId}/rooms/joint/messages`, { body: `durable-${i}` }, { 'idempotency-key': `durable-key-${i}` });
        if (r.status !== 200) throw new Error(`post ${i}: ${r.status} ${r.text}`);
        acked.add(i);
        if (acked.size === KILL_AFTER && !kill.exited) kill.exited = stop(first.child, 'SIGKILL');
      } catch (e) {
        if (!kill.exited) throw e; // before the kill every command must succeed
        unacked.add(i);
      }
    };
    const worker = async (): Promise<void> => {
      while (next < N && !kill.exited) await send(next++);
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    expect(await kill.exited).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(unacked.size).toBeGreaterThan(0); // the kill did land mid-stream
    const neverSent = N - next;
    expect(neverSent).toBeGreaterThan(0);

    // Restart on the same data directory; the session cookie is still valid (it is stored).
    const second = await startChild(dataDir);
    const b2 = new Browser(second.url, ORIGIN);
    for (const [k, v] of b.cookies) b2.cookies.set(k, v);
    const after = await jointBodies(b2, caseId);
    expect(after.positions).toEqual(after.positions.map((_, i) => i + 1)); // no holes, no repeats
    expect(new Set(after.bodies).size).toBe(after.bodies.length); // nothing duplicated
    for (const i of acked) expect(after.bodies).toContain(`durable-${i}`);
    // Only commands that were sent can be there (acknowledged or cut off by the kill).
    const sent = new Set([...acked, ...unacked].map((i) => `durable-${i}`));
    expect(after.bodies.filter((x) => !sent.has(x))).toEqual([]);

    // Retrying the unanswered ones with their Idempotency-Key applies each exactly once,
    // whether or not it had been committed before the kill.
    for (const i of [...unacked].sort((x, y) => x - y)) {
      const r = await b2.post(`/api/v1/cases/${caseId}/rooms/joint/messages`, { body: `durable-${i}` }, { 'idempotency-key': `durable-key-${i}` });
      expect(r.status).toBe(200);
    }
    const final = await jointBodies(b2, caseId);
    expect([...final.bodies].sort()).toEqual([...acked, ...unacked].map((i) => `durable-${i}`).sort());
    await stop(second.child, 'SIGTERM');
  }, 60_000); // two process starts and a few hundred requests; generous for loaded CI machines
});
