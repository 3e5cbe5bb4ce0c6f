import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { type CaseKeys, MissingCaseKey, SEALED } from './case-keys.ts';
import type { Database } from './schema.ts';

/**
 * Run when a store opens, before it serves anything: every case's key matches what the log
 * holds (C11).
 *
 * - A closed case whose key is still there (a crash between its close and its shredding):
 *   its content is destroyed now.
 * - An open case without key or tombstone whose log holds sealed content: the keys are not
 *   where the store's were (a wrong KEYS_DIR, a lost disk). The store refuses to open rather
 *   than answer "no content" or seal new content with a new key.
 * - An open case without key whose content is plain text: written before content was
 *   sealed. It gets a key and its content is sealed in place; on SQLite the file is then
 *   rebuilt (VACUUM) so that the old plain pages are not left in free space. Its audit
 *   entries keep the plain digests they were sealed with: the chain cannot change.
 */
export async function settleKeys(db: Kysely<Database>, keys: CaseKeys, engine: 'sqlite' | 'postgres', truncateWal?: () => Promise<boolean>): Promise<void> {
  const cases = await db.selectFrom('cases').select(['id', 'status']).execute();
  await checkIdentity(db, keys, cases);
  // Every case is checked before anything is changed: a store with a wrong key directory
  // is refused as it was found.
  const missing = cases.find((c) => c.status !== 'closed' && keys.state(c.id) === 'shredded');
  if (missing) throw new MissingCaseKey(`Case ${missing.id} is open, but its key was shredded.`);
  // Set before the first plain row is sealed, cleared once the file is rebuilt: a start that
  // stopped in between (or whose VACUUM failed) leaves it, and the next one rebuilds then.
  const rebuild = path.join(keys.dir, 'rebuild-pending');
  for (const c of cases) {
    const state = keys.state(c.id);
    if (c.status === 'closed') {
      if (state !== 'none') await destroyContent(db, keys, c.id, engine, truncateWal);
      continue;
    }
    if (state === 'key') continue;
    const rows = await db.selectFrom('events').select(['id', 'content']).where('case_id', '=', c.id).where('content', 'is not', null).execute();
    if (rows.some((r) => r.content?.startsWith(SEALED)))
      throw new MissingCaseKey(`Case ${c.id} holds sealed content, but its key is not in the key directory. Is KEYS_DIR (or DATA_DIR) the one this store was written with?`);
    await keys.ensure(c.id);
    if (rows.length === 0) continue;
    const key = keys.get(c.id);
    if (!key) continue;
    if (!fs.existsSync(rebuild)) fs.writeFileSync(rebuild, '', { mode: 0o600 });
    await db.transaction().execute(async (trx) => {
      for (const r of rows) await trx.updateTable('events').set({ content: key.seal(r.id, r.content ?? '') }).where('case_id', '=', c.id).where('id', '=', r.id).execute();
    });
  }
  if (!fs.existsSync(rebuild)) return;
  if (engine === 'sqlite') {
    await sql`VACUUM`.execute(db);
    if (truncateWal && !(await truncateWal())) return; // the plain pages may still be in the WAL: next start
  }
  fs.rmSync(rebuild);
}

/**
 * The store and its key directory belong together (C11). The database holds the store's id
 * (`store_identity`) and the directory a file with the same id (`store-id`):
 * - the same id: they belong together;
 * - different ids: the directory is another store's; refused;
 * - an id in the database only: the directory is not this store's (an empty directory in
 *   place of the real one, a KEYS_DIR that changed); refused once the store has cases, since
 *   keys made there would not be where the others are;
 * - an id in the directory only: the start that made it stopped before the database took it
 *   (the directory is written first), or the directory is another store's: it is taken when
 *   every case it has keys for is a case of this store;
 * - neither: a new id, the directory first.
 */
async function checkIdentity(db: Kysely<Database>, keys: CaseKeys, cases: readonly { id: string }[]): Promise<void> {
  const inDb = (await db.selectFrom('store_identity').select('id').executeTakeFirst())?.id ?? null;
  const inDir = keys.storeId();
  if (inDb !== null && inDir === inDb) return;
  if (inDb !== null && inDir !== null)
    throw new MissingCaseKey(`The key directory ${keys.dir} belongs to another store (${inDir}, not ${inDb}). Set KEYS_DIR (or DATA_DIR) to this store's.`);
  if (inDb !== null) {
    if (cases.length > 0)
      throw new MissingCaseKey(`The key directory ${keys.dir} holds no keys of this store (${inDb}), which has ${cases.length} case(s). Set KEYS_DIR (or DATA_DIR) to the directory this store was written with.`);
    await keys.claim(inDb);
    return;
  }
  if (inDir !== null) {
    const ours = new Set(cases.map((c) => c.id));
    const foreign = keys.cases().filter((id) => !ours.has(id));
    if (foreign.length > 0) throw new MissingCaseKey(`The key directory ${keys.dir} belongs to another store (${inDir}): it holds keys of ${foreign.length} case(s) this store does not have.`);
    await db.insertInto('store_identity').values({ id: inDir }).execute();
    return;
  }
  const id = randomUUID();
  await keys.claim(id);
  await db.insertInto('store_identity').values({ id }).execute();
}

/**
 * Destroys a closed case's content (C11). The log's `content` column is emptied for the case
 * (SQLite's connection runs with `secure_delete`, so the freed bytes are zeroed), the WAL
 * is copied into the database file and cut to nothing (so that no old frame keeps the
 * sealed text), then the key is shredded. After that, neither the store's files nor a
 * backup taken from them hold the content, sealed or not, nor its key. Idempotent: a crash
 * half-way is finished by the next start. On PostgreSQL the emptied rows' old versions stay
 * in the table's dead space and in its WAL until PostgreSQL reuses them: sealed, with the
 * key gone.
 */
export async function destroyContent(db: Kysely<Database>, keys: CaseKeys, caseId: string, engine: 'sqlite' | 'postgres', truncateWal?: () => Promise<boolean>): Promise<void> {
  const empty = db.updateTable('events').set({ content: null }).where('case_id', '=', caseId).where('content', 'is not', null);
  await empty.execute(); // on SQLite the connection zeroes what it frees (`secure_delete`, db.ts)
  if (engine === 'sqlite') {
    // Under a steady stream of writes the truncation may find no opening: a few tries.
    for (let i = 0; i < 5 && truncateWal && !(await truncateWal()); i++) await new Promise((r) => setTimeout(r, 200));
  }
  await keys.shred(caseId);
}
