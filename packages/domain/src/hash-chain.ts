/**
 * The audit trail: one content-free entry per event, each bound to the one before by a
 * hash, so that flipping, dropping, reordering or truncating entries is detectable.
 * The hash function is passed in: the domain imports nothing from the platform.
 */
export interface AuditEntry {
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  readonly actorId: string | null;
  readonly stream: string;
  readonly at: number;
  /** Hash of the event's content (message body etc.), never the content itself (C10). */
  readonly contentHash: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

export type Hasher = (text: string) => string;

export const GENESIS = '0'.repeat(64);

/** The canonical text an entry's hash covers: every field but the hash itself. */
export function entryText(caseId: string, e: Omit<AuditEntry, 'hash'>): string {
  return JSON.stringify([caseId, e.seq, e.eventId, e.type, e.actorId, e.stream, e.at, e.contentHash, e.prevHash]);
}

export function sealEntry(caseId: string, e: Omit<AuditEntry, 'hash'>, hash: Hasher): AuditEntry {
  return { ...e, hash: hash(entryText(caseId, e)) };
}

export type ChainVerdict = { readonly ok: true; readonly length: number } | { readonly ok: false; readonly at: number; readonly reason: string };

/**
 * Checks a case's chain against its recorded head (the last seq and hash, kept with the
 * case). Without the head, cutting entries off the end would go unnoticed.
 */
export function verifyChain(caseId: string, entries: readonly AuditEntry[], head: { seq: number; hash: string }, hash: Hasher): ChainVerdict {
  let prev = GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as AuditEntry;
    if (e.seq !== i + 1) return { ok: false, at: i + 1, reason: `entry ${i + 1} is missing or out of order` };
    if (e.prevHash !== prev) return { ok: false, at: e.seq, reason: `entry ${e.seq} does not follow the entry before it` };
    const { hash: recorded, ...rest } = e;
    if (hash(entryText(caseId, rest)) !== recorded) return { ok: false, at: e.seq, reason: `entry ${e.seq} was altered` };
    prev = recorded;
  }
  if (entries.length !== head.seq || prev !== (head.seq === 0 ? GENESIS : head.hash))
    return { ok: false, at: entries.length, reason: `the chain ends at ${entries.length} but the recorded head is ${head.seq}` };
  return { ok: true, length: entries.length };
}
