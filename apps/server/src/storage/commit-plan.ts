import { GENESIS, sealEntry } from '@caucus/domain';
import { sha256 } from '../platform.ts';
import { type AuditHead, type CommitInput, VersionConflict } from '../services/ports.ts';
import type { CaseKey } from './case-keys.ts';
import type { AgreementsTable, CaseMediatorsTable, CasesTable, CaseStatesTable, Database, EventsTable, IdempotencyTable, InvitationsTable, ItemsTable } from './schema.ts';

/**
 * The rows one command writes, worked out once and without touching the database, so that
 * the SQLite and PostgreSQL writers (commit-sqlite.ts, commit-sql.ts) only execute them and
 * hold no logic of their own. A plan is worked out once per command and batch: a batch that
 * failed is written again command by command from the very same plans (its sealed content
 * takes fresh nonces, and with them its audit entries, each time it is planned).
 */
export interface CommitPlan {
  readonly caseId: string;
  /** The version the command was decided against; null when it creates the case. */
  readonly expectedVersion: number | null;
  /** The audit head before the command (GENESIS for a creation), checked by the claim. */
  readonly before: AuditHead;
  /** The audit head after the command: stored in the case row, and the commit's receipt. */
  readonly after: AuditHead;
  /** The case row's new heads and status (an existing case: written by the version claim). */
  readonly heads: string;
  readonly status: CasesTable['status'];
  /** The rest of the state, when the command changed more than heads (else the stored one stands). */
  readonly state: string | null;
  /** A creation: the case row (version 1, already at `after`), its state, agreement and mediators. */
  readonly create: { readonly case: CasesTable; readonly state: CaseStatesTable; readonly agreement: AgreementsTable; readonly mediators: readonly CaseMediatorsTable[] } | null;
  /** The log rows: each event with its audit entry and its content, sealed with the case's key (C10: only in `content`; C11). */
  readonly events: readonly EventsTable[];
  /** Projections: items inserted by message.posted, labels set by message.labelled (in that order). */
  readonly items: readonly ItemsTable[];
  readonly labels: readonly { readonly caseId: string; readonly messageId: string; readonly label: string }[];
  /** Pending invitations of these participants end (before the new ones are stored). */
  readonly endInvitationsOf: readonly string[];
  readonly invitations: readonly InvitationsTable[];
  /** These participants' sessions end (C7). */
  readonly endSessionsOf: readonly string[];
  /** These participants leave the case (a removed mediator's account no longer lists it). */
  readonly leaveCaseOf: readonly string[];
  readonly idempotency: IdempotencyTable | null;
  /** The time side writes (revocations) are stamped with. */
  readonly now: number;
}

/**
 * Builds a command's plan on top of the case's audit head at `expectedVersion` (ignored for
 * a creation, whose chain starts at GENESIS). A wrong head cannot slip through: the claim
 * checks it against the stored one along with the version. `key` is the case's (C11): what
 * people wrote is stored sealed with it, and the audit entry holds the hash of the sealed
 * text, which anyone can check against the stored bytes and which says nothing about what
 * was written (no guessed text can be checked against it). Null once the case was
 * shredded: then no event may carry content.
 */
export function planCommit(input: CommitInput, head: AuditHead, key: CaseKey | null): CommitPlan {
  const { caseId, state, now } = input;
  const creating = input.expectedVersion === null;
  const before = creating ? { seq: 0, hash: GENESIS } : head;
  const events: EventsTable[] = [];
  const items: ItemsTable[] = [];
  const labels: { caseId: string; messageId: string; label: string }[] = [];
  let seq = before.seq;
  let prev = before.hash;
  for (const e of input.events) {
    // The content is this text, stored sealed; the audit entry proves the sealed text by its hash (C10, C11).
    const json = e.content ? JSON.stringify(e.content) : null;
    if (json !== null && !key) throw new Error(`case ${caseId} was shredded: it stores no content`);
    const content = json === null || !key ? null : key.seal(e.id, json);
    seq += 1;
    const contentHash = content === null ? null : sha256(content);
    const entry = sealEntry(caseId, { seq, eventId: e.id, type: e.type, actorId: e.actorId, stream: e.stream, at: e.at, contentHash, prevHash: prev }, sha256);
    prev = entry.hash;
    events.push({
      case_id: caseId,
      stream: e.stream,
      position: e.position,
      seq,
      id: e.id,
      type: e.type,
      actor_id: e.actorId,
      at: e.at,
      data: JSON.stringify(e.data),
      content,
      content_hash: entry.contentHash,
      prev_hash: entry.prevHash,
      hash: entry.hash,
    });
    if (e.type === 'message.posted')
      items.push({ message_id: e.data.messageId, case_id: caseId, stream: e.stream, author_id: e.data.authorId, label: e.data.label, conveyed: 0 });
    else if (e.type === 'message.labelled') labels.push({ caseId, messageId: e.data.messageId, label: e.data.label });
  }
  const after = { seq, hash: prev };
  const { heads, ...rest } = state;
  const headsJson = JSON.stringify(heads);
  const stateJson = creating || input.stateChanged !== false ? JSON.stringify(rest) : null;
  let create: CommitPlan['create'] = null;
  if (creating) {
    const c = input.create;
    if (!c) throw new Error('creating a case needs its creation data');
    create = {
      case: {
        id: caseId,
        created_by: c.createdBy,
        status: state.status,
        title: state.title,
        reference: state.reference,
        regime: state.regime,
        created_at: now,
        version: 1,
        heads: headsJson,
        audit_seq: after.seq,
        audit_hash: after.hash,
      },
      state: { case_id: caseId, state: stateJson as string },
      agreement: { case_id: caseId, hash: state.agreementHash, text: c.agreementText },
      mediators: c.mediators.map((m) => ({ case_id: caseId, account_id: m.accountId, participant_id: m.participantId })),
    };
  }
  const i = input.idempotency;
  return {
    caseId,
    expectedVersion: input.expectedVersion,
    before,
    after,
    heads: headsJson,
    status: state.status,
    state: stateJson,
    create,
    events,
    items,
    labels,
    endInvitationsOf: [...(input.endInvitationsOf ?? [])],
    invitations: (input.invitations ?? []).map((inv) => ({
      token_hash: inv.tokenHash,
      case_id: caseId,
      participant_id: inv.participantId,
      created_at: now,
      expires_at: inv.expiresAt,
      revoked_at: null,
      redeemed_at: null,
    })),
    endSessionsOf: [...(input.endSessionsOf ?? [])],
    leaveCaseOf: [...(input.leaveCaseOf ?? [])],
    idempotency: i ? { scope: i.scope, key: i.key, request_hash: i.requestHash, response: i.response, created_at: now } : null,
    now,
  };
}

// ------------------------------------------------------------------ rows as SQL values

export type SqlValue = string | number | null;

/** The tables a plan inserts into, with every column in a fixed order (checked complete below). */
export const COLUMNS = {
  cases: ['id', 'created_by', 'status', 'title', 'reference', 'regime', 'created_at', 'version', 'heads', 'audit_seq', 'audit_hash'],
  case_states: ['case_id', 'state'],
  agreements: ['case_id', 'hash', 'text'],
  case_mediators: ['case_id', 'account_id', 'participant_id'],
  events: ['case_id', 'stream', 'position', 'seq', 'id', 'type', 'actor_id', 'at', 'data', 'content', 'content_hash', 'prev_hash', 'hash'],
  items: ['message_id', 'case_id', 'stream', 'author_id', 'label', 'conveyed'],
  invitations: ['token_hash', 'case_id', 'participant_id', 'created_at', 'expires_at', 'revoked_at', 'redeemed_at'],
  idempotency: ['scope', 'key', 'request_hash', 'response', 'created_at'],
} as const satisfies { readonly [T in keyof Database]?: readonly (keyof Database[T] & string)[] };

export type InsertTable = keyof typeof COLUMNS;

// A column added to schema.ts but not to COLUMNS fails to compile here.
type Unlisted = { [T in InsertTable]: Exclude<keyof Database[T], (typeof COLUMNS)[T][number]> }[InsertTable];
const everyColumnListed: [Unlisted] extends [never] ? true : never = true;
void everyColumnListed;

/** A row's values in COLUMNS order. */
export function valuesOf<T extends InsertTable>(table: T, row: Database[T]): SqlValue[] {
  const r = row as unknown as Record<string, SqlValue>;
  return COLUMNS[table].map((c: string) => r[c] ?? null);
}

/**
 * A batch's inserts beyond the case rows and states (which go with the claims), table by
 * table. Every table's rows stay in plan order, so writing table after table keeps each
 * command's order where it matters: items before the labels set on them (LABEL_SQL runs
 * after `items`).
 */
export function insertsOf(plans: readonly CommitPlan[]): { readonly [T in Exclude<InsertTable, 'cases' | 'case_states'>]: readonly Database[T][] } {
  return {
    agreements: plans.flatMap((p) => (p.create ? [p.create.agreement] : [])),
    case_mediators: plans.flatMap((p) => p.create?.mediators ?? []),
    events: plans.flatMap((p) => p.events),
    items: plans.flatMap((p) => p.items),
    invitations: plans.flatMap((p) => p.invitations),
    idempotency: plans.flatMap((p) => (p.idempotency ? [p.idempotency] : [])),
  };
}

// ------------------------------------------------------------------ SQL, shared by both writers
// Written with `?` placeholders (SQLite); the PostgreSQL writer numbers them ($1, $2, ...).
// Identifiers are quoted, as Kysely quotes them ("key" is a keyword).

const q = (name: string): string => `"${name}"`;

/**
 * The version claim of an existing case, which also writes its new heads, status and audit
 * head: one statement on the (small) case row, and the first of the command's writes (on
 * PostgreSQL it locks the row, so writers of one case queue there and the loser fails at
 * once). No row updated means the case moved on (or never was): a VersionConflict.
 */
export const CLAIM_SQL =
  'UPDATE "cases" SET "version" = ?, "heads" = ?, "status" = ?, "audit_seq" = ?, "audit_hash" = ? WHERE "id" = ? AND "version" = ? AND "audit_seq" = ? AND "audit_hash" = ?';

export function claimValues(p: CommitPlan): SqlValue[] {
  if (p.expectedVersion === null) throw new Error('a creation has no version claim');
  return [p.expectedVersion + 1, p.heads, p.status, p.after.seq, p.after.hash, p.caseId, p.expectedVersion, p.before.seq, p.before.hash];
}

/** The rest of the state, after the claim, by the commands that changed it. */
export const STATE_SQL = 'UPDATE "case_states" SET "state" = ? WHERE "case_id" = ?';

/**
 * A batch's version claims, one per case: from the version and audit head the case's first
 * command in the batch was decided on, to what its last one leaves (commands of one case
 * follow each other in a batch, each planned on the one before). Creations are not claims.
 */
export function claimsOf(plans: readonly CommitPlan[]): SqlValue[][] {
  const byCase = new Map<string, { first: CommitPlan; last: CommitPlan }>();
  for (const p of plans) {
    if (p.expectedVersion === null) continue;
    const c = byCase.get(p.caseId);
    if (!c) {
      byCase.set(p.caseId, { first: p, last: p });
      continue;
    }
    // Each must start where the one before ends, or the one claim would cover a gap.
    if (p.expectedVersion !== (c.last.expectedVersion ?? 0) + 1 || p.before.seq !== c.last.after.seq || p.before.hash !== c.last.after.hash)
      throw new VersionConflict('commands of a case in a batch do not follow each other');
    c.last = p;
  }
  return [...byCase.values()].map(({ first, last }) => [
    first.caseId,
    (last.expectedVersion ?? 0) + 1,
    last.heads,
    last.status,
    last.after.seq,
    last.after.hash,
    first.expectedVersion,
    first.before.seq,
    first.before.hash,
  ]);
}

/**
 * The claims of `rows` cases in one statement (UPDATE ... FROM VALUES, which both engines
 * accept; VALUES columns are column1, column2, ... in both, typed by the casts). It updates
 * as many rows as it claims cases, or the batch is a VersionConflict.
 */
export function claimManySql(rows: number): string {
  const tuple = '(CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS TEXT))';
  return (
    'UPDATE "cases" SET "version" = "v"."column2", "heads" = "v"."column3", "status" = "v"."column4", "audit_seq" = "v"."column5", "audit_hash" = "v"."column6" ' +
    `FROM (VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}) AS "v" ` +
    'WHERE "cases"."id" = "v"."column1" AND "cases"."version" = "v"."column7" AND "cases"."audit_seq" = "v"."column8" AND "cases"."audit_hash" = "v"."column9"'
  );
}

export const LABEL_SQL = 'UPDATE "items" SET "label" = ? WHERE "message_id" = ? AND "case_id" = ?';
export const END_INVITATION_SQL = 'UPDATE "invitations" SET "revoked_at" = ? WHERE "case_id" = ? AND "participant_id" = ? AND "revoked_at" IS NULL';
export const END_SESSIONS_SQL = 'UPDATE "auth_sessions" SET "revoked_at" = ? WHERE "participant_id" = ? AND "revoked_at" IS NULL';
export const LEAVE_CASE_SQL = 'DELETE FROM "case_mediators" WHERE "case_id" = ? AND "participant_id" = ?';

/** INSERT of `rows` rows into `table`, every column in COLUMNS order. */
export function insertSql(table: InsertTable, rows = 1): string {
  const cols = COLUMNS[table];
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  return `INSERT INTO ${q(table)} (${cols.map(q).join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
}
