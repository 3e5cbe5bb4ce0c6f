import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { accountRepository } from '../../src/storage/account.repository.ts';
import { openDb } from '../../src/storage/db.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = '';
});

describe('npm run demo (the README\'s way to try a caucus)', () => {
  it('creates a sample case on a fresh store and prints the three links, leaving no session of its own behind', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-demo-'));
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps/server/src/cli/demo.ts')], {
        cwd: repoRoot,
        env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '', PUBLIC_URL: 'http://127.0.0.1:3000' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const first = run();
    expect(first.stderr).not.toContain('demo failed');
    expect(first.status).toBe(0);
    expect(first.stdout.match(/#token=[A-Za-z0-9_-]{20,}/g)).toHaveLength(3);
    // Again: another sample case for the same demo mediator.
    expect(run().status).toBe(0);
    const db = await openDb({ databaseUrl: null, dataDir: dir });
    try {
      const mediator = await accountRepository(db.kysely).byEmail('demo-mediator@caucus.invalid');
      expect(mediator).toBeTruthy();
      const open = await db.kysely.selectFrom('auth_sessions').select('id_hash').where('account_id', '=', mediator?.id ?? '').where('revoked_at', 'is', null).execute();
      expect(open).toEqual([]);
      // Told apart in the case list: numbered titles and references.
      const cases = await db.kysely.selectFrom('cases').select(['title', 'reference']).orderBy('created_at').execute();
      expect(cases.map((c) => c.title)).toEqual(['DEMO 1 — Harbour Lane lease dispute (sample case)', 'DEMO 2 — Harbour Lane lease dispute (sample case)']);
      expect(new Set(cases.map((c) => c.reference)).size).toBe(2);
    } finally {
      await db.close();
    }
  });
});
