import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { type CaseKeys, MissingCaseKey, SEALED } from './case-keys.ts';
import type { Database } from './schema.ts';

/**
 * Run when a store opens, before it serves anything: every case's key matches what the log
 * holds (C11). Everything is checked first, and nothing is written unless every check passed:
 *
 * - The key directory is the store's (checkIdentity).
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
export async function settleKeys(
  db: Kysely<Database>,
  keys: CaseKeys,
  engine: 'sqlite' | 'postgres',
  truncateWal?: () => Promise<boolean>,
  /**
   * 'beside': the store is open in a server already (a command-line tool run next to it).
   * The checks run all the same; what they would change is left to that server, whose own
   * start did it, or which is doing it now (a close it is shredding, at this very moment).
   */
  mode: 'owner' | 'beside' = 'owner',
): Promise<void> {
  const cases = await db.selectFrom('cases').select(['id', 'status']).execute();
  // Everything is checked before anything is changed: a store with a wrong key directory is
  // refused as it was found, and the directory is left as it was.
  const claimIdentity = await checkIdentity(db, keys, cases);
  const shreddedOpen = cases.find((c) => c.status !== 'closed' && keys.state(c.id) === 'shredded');
  if (shreddedOpen) throw new MissingCaseKey(`Case ${shreddedOpen.id} is open, but its key was shredded.`);
  const plain: { id: string; rows: { id: string; content: string | null }[] }[] = [];
  for (const c of cases) {
    if (c.status === 'closed' || keys.state(c.id) !== 'none') continue;
    const rows = await db.selectFrom('events').select(['id', 'content']).where('case_id', '=', c.id).where('content', 'is not', null).execute();
    if (rows.some((r) => r.content?.startsWith(SEALED)))
      throw new MissingCaseKey(`Case ${c.id} holds sealed content, but its key is not in the key directory. Is KEYS_DIR (or DATA_DIR) the one this store was written with?`);
    plain.push({ id: c.id, rows });
  }
  if (mode === 'beside') return;

  await claimIdentity();
  // Closes a crash interrupted: the content goes, then the key (a tombstone means the content went already).
  for (const c of cases) {
    if (c.status !== 'closed') continue;
    if (keys.state(c.id) === 'key') await destroyContent(db, keys, c.id, engine, truncateWal);
    else if (keys.leftover(c.id)) await keys.shred(c.id);
  }
  // Set before the first plain row is sealed, cleared once the file is rebuilt: a start that
  // stopped in between (or whose VACUUM failed) leaves it, and the next one rebuilds then.
  const rebuild = path.join(keys.dir, 'rebuild-pending');
  for (const c of plain) {
    await keys.ensure(c.id);
    const key = keys.get(c.id);
    if (!key || c.rows.length === 0) continue;
    if (!fs.existsSync(rebuild)) writeDurably(rebuild);
    await db.transaction().execute(async (trx) => {
      for (const r of c.rows) await trx.updateTable('events').set({ content: key.seal(r.id, r.content ?? '') }).where('case_id', '=', c.id).where('id', '=', r.id).execute();
    });
  }
  if (!fs.existsSync(rebuild)) return;
  if (engine === 'sqlite') {
    await sql`VACUUM`.execute(db);
    if (truncateWal && !(await truncateWal())) return; // the plain pages may still be in the WAL: next start
  }
  fs.rmSync(rebuild);
}

/** An empty file, on disk (file and directory flushed) before this returns. */
function writeDurably(file: string): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

/**
 * The store and its key directory belong together (C11). The database holds the store's id
 * (`store_identity`) and the directory a file with the same id (`store-id`). The same id:
 * they belong together. Two different ids: the directory is another store's, refused.
 * Otherwise (an id missing on one side or both: a store or directory from before ids, a
 * start that stopped between the two writes, keys restored without the file) the directory
 * is the store's when it holds a key (or tombstone) of one of the store's cases, when the
 * store has no cases, or when neither side has an id and no content is sealed yet (a store
 * from before sealing). Anything else (an empty directory in place of the real one, another
 * store's) is refused. Checks only; the function it returns writes the missing ids.
 */
async function checkIdentity(db: Kysely<Database>, keys: CaseKeys, cases: readonly { id: string }[]): Promise<() => Promise<void>> {
  const inDb = (await db.selectFrom('store_identity').select('id').executeTakeFirst())?.id ?? null;
  const inDir = keys.storeId();
  if (inDb !== null && inDir === inDb) return () => Promise.resolve();
  if (inDb !== null && inDir !== null)
    throw new MissingCaseKey(`The key directory ${keys.dir} belongs to another store (${inDir}, not ${inDb}). Set KEYS_DIR (or DATA_DIR) to this store's.`);
  const belongs =
    cases.length === 0 ||
    cases.some((c) => keys.state(c.id) !== 'none') ||
    (inDb === null && inDir === null && !(await db.selectFrom('events').select('id').where('content', 'like', `${SEALED}%`).executeTakeFirst()));
  if (!belongs)
    throw new MissingCaseKey(
      `The key directory ${keys.dir} holds no keys of this store${inDb ? ` (${inDb})` : ''}, which has ${cases.length} case(s). Set KEYS_DIR (or DATA_DIR) to the directory this store was written with.`,
    );
  const id = inDb ?? inDir ?? randomUUID();
  return async () => {
    const claimed = inDir === null ? await keys.claim(id) : id; // the directory first: a start that stops here takes it again
    if (inDb !== null) {
      if (claimed !== inDb) throw new MissingCaseKey(`The key directory ${keys.dir} was just claimed by another store (${claimed}, not ${inDb}).`);
      return;
    }
    try {
      await db.insertInto('store_identity').values({ id: claimed }).execute();
    } catch (e) {
      // Another start got there first: the same id is all that may be there.
      const now = (await db.selectFrom('store_identity').select('id').executeTakeFirst())?.id;
      if (now !== claimed) throw e;
    }
  };
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
