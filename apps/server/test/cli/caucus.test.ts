import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOINT } from '@caucus/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { accountRepository } from '../../src/storage/account.repository.ts';
import { caseRepository } from '../../src/storage/case.repository.ts';
import { openDb } from '../../src/storage/db.ts';
import { acquireProcessLock } from '../../src/storage/single-process.ts';
import { cmd, openCase } from '../storage/case-driver.ts';
import { freshPostgresDatabase, postgresSkipReason, warnIfPostgresSkipped, type FreshDatabase } from '../storage/pg.ts';

warnIfPostgresSkipped('the caucus command beside a server');

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dirs: string[] = [];
let fresh: FreshDatabase | undefined;
afterEach(async () => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  await fresh?.drop();
  fresh = undefined;
});

/** `npm run caucus -- …` on the store in `dir`, as an administrator would run it. */
const caucus = (store: { dir: string; url: string | null }, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'apps/server/bin/caucus.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: store.dir, DATABASE_URL: store.url ?? '', KEYS_DIR: '', PUBLIC_URL: 'http://127.0.0.1:3000' },
    encoding: 'utf8',
    timeout: 60_000,
  });

const engines = [
  { name: 'sqlite', skip: null },
  { name: 'postgres', skip: postgresSkipReason },
] as const;

describe.each(engines)('the caucus command beside a running server (README: account administration), on $name', (engine) => {
  it.skipIf(engine.skip !== null)('[C11] leaves the start-up work (finishing a close) to the server that holds the store, and does it itself when no server does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-cli-'));
    dirs.push(dir);
    if (engine.name === 'postgres') fresh = await freshPostgresDatabase();
    const store = { dir, url: fresh?.url ?? null };
    const open = (owner = true) => openDb({ databaseUrl: store.url, dataDir: dir, owner });
    // A closed case whose key is still there: what a server is in the middle of shredding.
    const db = await open();
    const c = await openCase(caseRepository(db.kysely), { caseId: 'c-closing', leadAccount: 'acct-1' });
    await c.driver.run(c.lead, cmd('start-session', {}));
    await c.driver.post(c.partyA, JOINT, 'being shredded by the server right now');
    await c.driver.run(c.lead, cmd('close-case', {}));
    await db.close();

    // The server holds the store (its lock, held by a live process: this one).
    const lock = await acquireProcessLock({ databaseUrl: store.url, dataDir: dir });
    try {
      const first = caucus(store, 'mediator', 'create', '--email', 'beside@example.org', '--name', 'Beside Server', '--password', 'a long enough passphrase');
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      if (!store.url) expect(fs.readFileSync(path.join(dir, 'server.lock'), 'utf8')).toBe(String(process.pid));
      // The close is the server's to finish: the key and the content are where it left them.
      const peek = await open(false);
      try {
        expect(peek.keys.state('c-closing')).toBe('key');
        expect(await accountRepository(peek.kysely).byEmail('beside@example.org')).toBeTruthy();
      } finally {
        await peek.close();
      }
    } finally {
      await lock.release();
    }

    // No server: the command's own start finishes the close, then lets go of the store.
    const second = caucus(store, 'link', '--email', 'beside@example.org');
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/One-time sign-in link for beside@example.org/);
    expect(fs.existsSync(path.join(dir, 'server.lock'))).toBe(false);
    const after = await open(false);
    try {
      expect(after.keys.state('c-closing')).toBe('shredded');
      const rows = await after.kysely.selectFrom('events').select('content').where('case_id', '=', 'c-closing').where('content', 'is not', null).execute();
      expect(rows).toEqual([]);
    } finally {
      await after.close();
    }
    // And the store is free again: a server's lock can be taken.
    await (await acquireProcessLock({ databaseUrl: store.url, dataDir: dir })).release();
  });
});

describe('the caucus command and the store', () => {
  it('lets go of the store whatever the outcome: a refused or failed command leaves no lock behind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-cli-'));
    dirs.push(dir);
    const store = { dir, url: null };
    const bad = caucus(store, 'mediator', 'create', '--email', 'not-an-address', '--name', 'X');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--email: a valid e-mail address is required/);
    expect(fs.existsSync(path.join(dir, 'caucus.sqlite'))).toBe(false); // refused before the store was opened
    const unknown = caucus(store, 'link', '--email', 'nobody@example.org');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/No account with that e-mail address/);
    expect(fs.existsSync(path.join(dir, 'server.lock'))).toBe(false);
    expect(caucus(store, 'admin', 'create', '--email', 'a@example.org', '--name', 'A', '--password', 'a long enough passphrase').status).toBe(0);
    const twice = caucus(store, 'admin', 'create', '--email', 'a@example.org', '--name', 'A', '--password', 'a long enough passphrase');
    expect(twice.status).toBe(2);
    expect(fs.existsSync(path.join(dir, 'server.lock'))).toBe(false);
    await (await acquireProcessLock({ databaseUrl: null, dataDir: dir })).release();
  });

  it('does not change the schema under a running server: a store behind this version is refused, untouched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-cli-'));
    dirs.push(dir);
    const db = await openDb({ databaseUrl: null, dataDir: dir });
    await db.kysely.deleteFrom('kysely_migration' as never).where('name' as never, '=', '0004-store-identity' as never).execute();
    const missing = (await db.kysely.selectFrom('kysely_migration' as never).select('name' as never).execute()).length;
    await db.close();
    await expect(openDb({ databaseUrl: null, dataDir: dir, owner: false })).rejects.toThrow(/older version \(1 schema migration\(s\) not run: 0004-store-identity\)/);
    const lock = await acquireProcessLock({ databaseUrl: null, dataDir: dir });
    try {
      const r = caucus({ dir, url: null }, 'mediator', 'create', '--email', 'x@example.org', '--name', 'X', '--password', 'a long enough passphrase');
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/in use by a server of an older version/);
    } finally {
      await lock.release();
    }
    const again = await openDb({ databaseUrl: null, dataDir: dir, owner: false }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Error);
    // The owner's start runs the migration it lacks.
    const owner = await openDb({ databaseUrl: null, dataDir: dir });
    try {
      expect((await owner.kysely.selectFrom('kysely_migration' as never).select('name' as never).execute()).length).toBe(missing + 1);
    } finally {
      await owner.close();
    }
  });
});
