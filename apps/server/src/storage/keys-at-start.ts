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
  let sealedPlain = false;
  for (const c of cases) {
    const state = keys.state(c.id);
    if (c.status === 'closed') {
      if (state !== 'none') await destroyContent(db, keys, c.id, engine, truncateWal);
      continue;
    }
    if (state === 'shredded') throw new MissingCaseKey(`Case ${c.id} is open, but its key was shredded.`);
    if (state === 'key') continue;
    const rows = await db.selectFrom('events').select(['id', 'content']).where('case_id', '=', c.id).where('content', 'is not', null).execute();
    if (rows.some((r) => r.content?.startsWith(SEALED)))
      throw new MissingCaseKey(`Case ${c.id} holds sealed content, but its key is not in the key directory. Is KEYS_DIR (or DATA_DIR) the one this store was written with?`);
    await keys.ensure(c.id);
    if (rows.length === 0) continue;
    const key = keys.get(c.id);
    if (!key) continue;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) await trx.updateTable('events').set({ content: key.seal(r.id, r.content ?? '') }).where('case_id', '=', c.id).where('id', '=', r.id).execute();
    });
    sealedPlain = true;
  }
  if (sealedPlain && engine === 'sqlite') {
    await sql`VACUUM`.execute(db);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  }
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
