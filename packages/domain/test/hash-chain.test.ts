import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS, sealEntry, verifyChain, type AuditEntry, type DomainEvent, type Hasher } from '../src/index.ts';
import { caucusA, cmd, exec, openCase, post, CASE_ID } from './fixtures.ts';

const sha256: Hasher = (text) => createHash('sha256').update(text).digest('hex');

/** Seals events into a chain the way the store would: content is only ever hashed (C10). */
function chainOf(caseId: string, events: readonly DomainEvent[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = GENESIS;
  events.forEach((e, i) => {
    const entry = sealEntry(
      caseId,
      { seq: i + 1, eventId: e.id, type: e.type, actorId: e.actorId, stream: e.stream, at: e.at, contentHash: e.content ? sha256(JSON.stringify(e.content)) : null, prevHash },
      sha256,
    );
    entries.push(entry);
    prevHash = entry.hash;
  });
  return entries;
}

/** A small real case: opening, a session, a caucus message, a request. */
function realChain(): AuditEntry[] {
  const w = openCase();
  exec(w, 'lead', cmd('start-session', {}));
  exec(w, 'lead', cmd('start-separate', { sideId: w.sideA, purpose: 'vent' }));
  post(w, 'partyA', caucusA(w));
  exec(w, 'partyB', cmd('request-caucus', { reason: 'we need to talk' }));
  return chainOf(CASE_ID, w.log);
}

const headOf = (entries: readonly AuditEntry[]): { seq: number; hash: string } => ({ seq: entries.length, hash: entries.at(-1)?.hash ?? GENESIS });

const flipHex = (h: string): string => (h.startsWith('0') ? `1${h.slice(1)}` : `0${h.slice(1)}`);

/** One way to change each field; the Record type makes the table cover every field. */
const FLIP: Record<keyof AuditEntry, (e: AuditEntry) => AuditEntry> = {
  seq: (e) => ({ ...e, seq: e.seq + 1 }),
  eventId: (e) => ({ ...e, eventId: `${e.eventId}x` }),
  type: (e) => ({ ...e, type: e.type === 'message.posted' ? 'message.labelled' : 'message.posted' }),
  actorId: (e) => ({ ...e, actorId: e.actorId === null ? 'participant-1' : null }),
  stream: (e) => ({ ...e, stream: e.stream === 'session' ? 'joint' : 'session' }),
  at: (e) => ({ ...e, at: e.at + 1 }),
  contentHash: (e) => ({ ...e, contentHash: e.contentHash === null ? sha256('forged') : flipHex(e.contentHash) }),
  prevHash: (e) => ({ ...e, prevHash: flipHex(e.prevHash) }),
  hash: (e) => ({ ...e, hash: flipHex(e.hash) }),
};

describe('hash chain: sealEntry / verifyChain', () => {
  it('a chain sealed from real events verifies against its recorded head, and holds no content', () => {
    const entries = realChain();
    expect(entries.length).toBeGreaterThan(10);
    expect(verifyChain(CASE_ID, entries, headOf(entries), sha256)).toEqual({ ok: true, length: entries.length });
    expect(JSON.stringify(entries)).not.toContain('we need to talk');
    expect(verifyChain(CASE_ID, [], { seq: 0, hash: GENESIS }, sha256)).toEqual({ ok: true, length: 0 });
  });

  it.each(Object.keys(FLIP) as (keyof AuditEntry)[])('changing "%s" in any entry is detected at that entry', (field) => {
    const entries = realChain();
    const head = headOf(entries);
    for (let i = 0; i < entries.length; i++) {
      const original = entries[i] as AuditEntry;
      const flipped = FLIP[field](original);
      expect(flipped[field], `${field} of entry ${i + 1} must really change`).not.toEqual(original[field]);
      const tampered = entries.map((e, j) => (j === i ? flipped : e));
      expect(verifyChain(CASE_ID, tampered, head, sha256), `${field} of entry ${i + 1}`).toMatchObject({ ok: false, at: i + 1 });
    }
  });

  it('re-sealing an altered entry breaks the link to the next entry (even relinked), or to the head for the last one', () => {
    const entries = realChain();
    const head = headOf(entries);
    for (let i = 0; i < entries.length; i++) {
      const { hash: _hash, ...rest } = entries[i] as AuditEntry;
      const resealed = sealEntry(CASE_ID, { ...rest, at: rest.at + 1 }, sha256);
      const tampered = entries.map((e, j) => (j === i ? resealed : e));
      const verdict = verifyChain(CASE_ID, tampered, head, sha256);
      expect(verdict.ok, `entry ${i + 1}`).toBe(false);
      if (!verdict.ok) expect(verdict.at, `entry ${i + 1}`).toBe(Math.min(i + 2, entries.length));
      // Relinking the next entry to the re-sealed one changes what that entry's hash covers.
      const next = entries[i + 1];
      if (next) {
        const relinked = tampered.map((e, j) => (j === i + 1 ? { ...next, prevHash: resealed.hash } : e));
        expect(verifyChain(CASE_ID, relinked, head, sha256), `entry ${i + 1} relinked`).toMatchObject({ ok: false, at: i + 2 });
      }
    }
  });

  it('dropping any one entry, or swapping any two, fails', () => {
    const entries = realChain();
    const head = headOf(entries);
    for (let i = 0; i < entries.length; i++) {
      const dropped = entries.filter((_, j) => j !== i);
      expect(verifyChain(CASE_ID, dropped, head, sha256).ok, `drop ${i + 1}`).toBe(false);
      for (let k = i + 1; k < entries.length; k++) {
        const swapped = [...entries];
        [swapped[i], swapped[k]] = [entries[k] as AuditEntry, entries[i] as AuditEntry];
        expect(verifyChain(CASE_ID, swapped, head, sha256).ok, `swap ${i + 1} and ${k + 1}`).toBe(false);
      }
    }
  });

  it('truncating the tail fails when the recorded head says the chain is longer', () => {
    const entries = realChain();
    const head = headOf(entries);
    for (let keep = 0; keep < entries.length; keep++) {
      expect(verifyChain(CASE_ID, entries.slice(0, keep), head, sha256), `keep ${keep}`).toMatchObject({ ok: false, at: keep });
    }
  });

  it('a forged head fails: wrong hash, longer length, shorter length with a matching hash, genesis', () => {
    const entries = realChain();
    const n = entries.length;
    const forged: [string, { seq: number; hash: string }][] = [
      ['wrong hash at the right length', { seq: n, hash: flipHex(headOf(entries).hash) }],
      ['longer length with the right hash', { seq: n + 1, hash: headOf(entries).hash }],
      ['shorter length with the hash of that entry', { seq: n - 1, hash: entries[n - 2]?.hash ?? '' }],
      ['the genesis head', { seq: 0, hash: GENESIS }],
    ];
    for (const [what, head] of forged) expect(verifyChain(CASE_ID, entries, head, sha256).ok, what).toBe(false);
  });

  it('a chain does not verify under another case id', () => {
    const entries = realChain();
    expect(verifyChain('case-2', entries, headOf(entries), sha256)).toMatchObject({ ok: false, at: 1 });
  });
});
