import { createCipheriv, createDecipheriv, createHmac, hkdfSync, type KeyObject, createSecretKey, randomBytes, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Per-case keys for what people wrote (C11). Each case has its own 256-bit key in a file of
 * its own under `<DATA_DIR>/keys`, never in the database: the database, its WAL and its
 * backups hold only ciphertext, and shredding a case is deleting one small file, which no
 * database engine's dead rows, WAL segments or later backups can bring back.
 *
 * A shredded case leaves a tombstone file (`.shredded`, empty) instead of its key, so that
 * the store can tell "destroyed on purpose" from "missing" (a wrong KEYS_DIR, a lost disk):
 * the first reads as no content, the second is an error, never silently no content.
 */
export type KeyState = 'key' | 'shredded' | 'none';

export interface CaseKey {
  /** Seals one event's content (its JSON text), bound to the case and the event. */
  seal(eventId: string, json: string): string;
  /** Opens what `seal` produced for this case and event; throws if it was altered or moved. */
  open(eventId: string, sealed: string): string;
  /**
   * A keyed digest of a text that holds what people wrote (a command's request, for its
   * idempotency record): equal texts give equal digests while the key lasts, and once it is
   * shredded no guessed text can be checked against it.
   */
  digest(text: string): string;
}

export interface CaseKeys {
  /** The case's key; null once shredded. Throws when the case has neither key nor tombstone. */
  get(caseId: string): CaseKey | null;
  /** Makes sure the case has a key on disk (durably) before anything is sealed with it. */
  ensure(caseId: string): Promise<void>;
  state(caseId: string): KeyState;
  /** Destroys the case's key: overwritten, flushed, then unlinked behind a tombstone. Idempotent. */
  shred(caseId: string): Promise<void>;
  /** Where the keys are (for messages). */
  readonly dir: string;
  /** The id of the store these keys belong to (`store-id`), or null in a directory that has none yet. */
  storeId(): string | null;
  /** Writes the store's id, durably, unless another start wrote one first: the id the directory now holds. */
  claim(storeId: string): Promise<string>;
  /** The cases that have a key or a tombstone here. */
  cases(): string[];
  /** Whether the case's key file is still there beside its tombstone (a shredding that stopped half-way). */
  leftover(caseId: string): boolean;
}

/** Prefix of sealed content: the format's version (AES-256-GCM, 96-bit random nonce, 128-bit tag). */
export const SEALED = 'c1:';
/** Prefix of a keyed digest (HMAC-SHA256 under a key derived from the case's). */
export const KEYED_DIGEST = 'k1:';

export class MissingCaseKey extends Error {}

const fileName = (caseId: string): string => Buffer.from(caseId, 'utf8').toString('hex');

/** Nonces come from the CSPRNG 4 KiB at a time (one call per 341 seals instead of one each). */
const nonces = Buffer.alloc(4092);
let nonceAt = nonces.length;
const nonce = (): Buffer => {
  if (nonceAt + 12 > nonces.length) {
    randomFillSync(nonces);
    nonceAt = 0;
  }
  nonceAt += 12;
  return Buffer.from(nonces.subarray(nonceAt - 12, nonceAt));
};

function caseKey(caseId: string, raw: Buffer): CaseKey {
  const derive = (info: string): KeyObject => createSecretKey(Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), info, 32)));
  const enc = derive('caucus content encryption v1');
  const mac = derive('caucus request digest v1');
  const aad = (eventId: string): Buffer => Buffer.from(`${caseId}\u0000${eventId}`, 'utf8');
  return {
    seal(eventId, json) {
      const iv = nonce();
      const c = createCipheriv('aes-256-gcm', enc, iv, { authTagLength: 16 });
      c.setAAD(aad(eventId));
      const head = c.update(json, 'utf8');
      const tail = c.final();
      return SEALED + Buffer.concat([iv, head, tail, c.getAuthTag()]).toString('base64');
    },
    open(eventId, sealed) {
      const all = Buffer.from(sealed.slice(SEALED.length), 'base64');
      if (all.length < 12 + 16) throw new Error('sealed content is truncated');
      const d = createDecipheriv('aes-256-gcm', enc, all.subarray(0, 12), { authTagLength: 16 });
      d.setAAD(aad(eventId));
      d.setAuthTag(all.subarray(all.length - 16));
      return Buffer.concat([d.update(all.subarray(12, all.length - 16)), d.final()]).toString('utf8');
    },
    digest: (text) => KEYED_DIGEST + createHmac('sha256', mac).update(text, 'utf8').digest('hex'),
  };
}

async function syncDir(dir: string): Promise<void> {
  const h = await fs.promises.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** The key store in `dir` (created 0700 if absent). One process per store (single-process.ts). */
export function fileCaseKeys(dir: string): CaseKeys {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const loaded = new Map<string, { raw: Buffer; key: CaseKey }>();
  const keyFile = (caseId: string): string => path.join(dir, `${fileName(caseId)}.key`);
  const tombstone = (caseId: string): string => path.join(dir, `${fileName(caseId)}.shredded`);

  const state = (caseId: string): KeyState => (fs.existsSync(tombstone(caseId)) ? 'shredded' : loaded.has(caseId) || fs.existsSync(keyFile(caseId)) ? 'key' : 'none');

  const idFile = path.join(dir, 'store-id');
  return {
    dir,
    storeId() {
      try {
        return fs.readFileSync(idFile, 'utf8').trim() || null;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async claim(storeId) {
      // Whole or not at all: a temporary file, flushed, then linked into place (a start racing
      // this one keeps the id it wrote first), then the directory flushed. An empty file a crash
      // left in place goes first.
      const tmp = `${idFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const h = await fs.promises.open(tmp, 'wx', 0o600);
      try {
        await h.writeFile(`${storeId}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
      try {
        if (fs.existsSync(idFile) && fs.readFileSync(idFile, 'utf8').trim() === '') fs.unlinkSync(idFile);
        await fs.promises.link(tmp, idFile);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        await fs.promises.unlink(tmp);
      }
      await syncDir(dir);
      return fs.readFileSync(idFile, 'utf8').trim();
    },
    leftover: (caseId) => fs.existsSync(tombstone(caseId)) && fs.existsSync(keyFile(caseId)),
    cases() {
      const ids = new Set<string>();
      for (const name of fs.readdirSync(dir)) {
        const m = /^([0-9a-f]+)\.(key|shredded)$/.exec(name);
        if (m?.[1]) ids.add(Buffer.from(m[1], 'hex').toString('utf8'));
      }
      return [...ids];
    },
    state,
    get(caseId) {
      const hit = loaded.get(caseId);
      if (hit) return hit.key;
      // The tombstone first: a key being shredded (tombstone written, file not yet gone) is gone.
      if (fs.existsSync(tombstone(caseId))) return null;
      let raw: Buffer;
      try {
        raw = fs.readFileSync(keyFile(caseId));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        if (fs.existsSync(tombstone(caseId))) return null;
        throw new MissingCaseKey(`The key of case ${caseId} is not in ${dir}: its content cannot be read or written. Is KEYS_DIR (or DATA_DIR) the one this store was written with?`);
      }
      if (raw.length !== 32) throw new MissingCaseKey(`The key file of case ${caseId} in ${dir} is damaged (${raw.length} bytes, not 32).`);
      const key = caseKey(caseId, raw);
      loaded.set(caseId, { raw, key });
      return key;
    },
    async ensure(caseId) {
      if (loaded.has(caseId) || fs.existsSync(keyFile(caseId))) return;
      if (fs.existsSync(tombstone(caseId))) throw new Error(`case ${caseId} was shredded: it gets no new key`);
      // Written whole to a temporary file and flushed, then linked into place (which, unlike a
      // rename, never replaces a key another process put there first) and the directory
      // flushed: the key is on disk before anything sealed with it can be.
      const tmp = `${keyFile(caseId)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const h = await fs.promises.open(tmp, 'wx', 0o600);
      try {
        await h.writeFile(randomBytes(32));
        await h.sync();
      } finally {
        await h.close();
      }
      try {
        await fs.promises.link(tmp, keyFile(caseId));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // someone else's is there: that one stands
      } finally {
        await fs.promises.unlink(tmp);
      }
      await syncDir(dir);
    },
    async shred(caseId) {
      const file = keyFile(caseId);
      // The tombstone first: a crash half-way leaves both, and the next start finishes the job.
      if (!fs.existsSync(tombstone(caseId))) {
        await fs.promises.writeFile(tombstone(caseId), '', { mode: 0o600 });
        await syncDir(dir);
      }
      const hit = loaded.get(caseId);
      loaded.delete(caseId);
      hit?.raw.fill(0);
      let h: fs.promises.FileHandle | null = null;
      try {
        h = await fs.promises.open(file, 'r+');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // gone already (another shred of it)
      }
      if (h) {
        // Overwritten in place and flushed before the unlink, so that the blocks the file
        // leaves behind do not hold the key (as far as the filesystem writes in place).
        try {
          const { size } = await h.stat();
          await h.write(Buffer.alloc(Math.max(size, 32)), 0, Math.max(size, 32), 0);
          await h.sync();
        } finally {
          await h.close();
        }
        await fs.promises.unlink(file).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
      }
      await syncDir(dir);
    },
  };
}
