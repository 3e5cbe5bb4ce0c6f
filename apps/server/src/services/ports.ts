import type { AuditEntry, CaseState, ItemMeta, StoredEvent } from '@caucus/domain';

/**
 * What the services need from storage and from live delivery. Services declare these;
 * `storage/` and `live/` implement them; only main.ts wires them together.
 */
export interface CaseRecord {
  readonly state: CaseState;
  readonly version: number;
  /**
   * The audit chain's head at this version, as the store holds it. The next commit carries
   * it back (`CommitInput.expectedAudit`) so that the store need not read it before sealing
   * the next entries. Absent from stores that keep no audit trail (test fakes).
   */
  readonly audit?: AuditHead;
}

/** The last entry of a case's audit chain: its seq and hash (seq 0 and GENESIS when empty). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** What a committed command leaves behind that its writer may carry on to the next one. */
export interface CommitReceipt {
  /** The audit head after this commit: the next commit's `expectedAudit`. */
  readonly audit: AuditHead;
}

export interface NewInvitation {
  readonly participantId: string;
  readonly tokenHash: string;
  readonly expiresAt: number;
}

/** Everything one command writes, in one transaction. */
export interface CommitInput {
  readonly caseId: string;
  /** Version the command was decided against; null when the case is being created. */
  readonly expectedVersion: number | null;
  /**
   * The audit head at `expectedVersion` (`CaseRecord.audit`, or the last `CommitReceipt`).
   * When absent the store reads it. It never overrides the version check: a head that does
   * not match the stored one is a VersionConflict too.
   */
  readonly expectedAudit?: AuditHead;
  readonly state: CaseState;
  /**
   * False when the command moved nothing but stream heads (a message): the store then keeps
   * the rest of the state it holds instead of writing it again. Absent means changed.
   */
  readonly stateChanged?: boolean;
  readonly events: readonly StoredEvent[];
  readonly now: number;
  readonly create?: { readonly createdBy: string; readonly agreementText: string; readonly mediators: readonly { accountId: string; participantId: string }[] };
  readonly invitations?: readonly NewInvitation[];
  /** Participants whose pending invitations end (revoked or replaced). */
  readonly endInvitationsOf?: readonly string[];
  /** Participants whose sessions end (C7). */
  readonly endSessionsOf?: readonly string[];
  /** Participants who leave the case: a mediator's case is no longer among their account's cases. */
  readonly leaveCaseOf?: readonly string[];
  readonly idempotency?: IdempotencyRecord;
}

export interface IdempotencyRecord {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  readonly response: string;
}

export interface InvitationRow {
  readonly caseId: string;
  readonly participantId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly redeemedAt: number | null;
}

export interface CaseSummary {
  readonly id: string;
  readonly title: string;
  readonly reference: string;
  readonly status: 'open' | 'closed';
  readonly createdAt: number;
}

export class VersionConflict extends Error {}

/**
 * The store can no longer tell what it holds (its log could not be flushed to disk): what
 * was being written may or may not have been stored, and nothing more is taken.
 */
export class StoreFailed extends Error {}

export interface CaseStore {
  load(caseId: string): Promise<CaseRecord | null>;
  /**
   * Appends events with their projections and audit entries; throws VersionConflict on a race.
   * Resolves once committed, with a receipt (or nothing, from stores that keep no audit trail).
   */
  commit(input: CommitInput): Promise<CommitReceipt | void>;
  /**
   * Group commit: several commands' writes (of different cases) in one transaction, so that
   * one flush to disk covers them all. Answers per input: its receipt once committed, or the
   * error that input alone gets (a failed input writes nothing). Optional: without it, one
   * transaction per command.
   *
   * `checks[i]`, when given, is input i's last access check (RunOptions.stillAuthorized). The
   * store runs each in the turn the transaction starts (planning and the connection may have
   * been waited for since the caller's own check), and again in the turn of every later write
   * should the batch fail: the batch written again without a retry's command, or each input
   * alone. An input whose check throws
   * is not written, nor are its case's inputs after it; its outcome is that error (C7).
   */
  commitMany?(inputs: readonly CommitInput[], checks?: readonly ((() => void) | undefined)[]): Promise<(CommitReceipt | Error)[]>;
  /** How many group commits may be written at once (1 unless the store has several connections). */
  readonly commitLanes?: number;
  /** The failure that stopped the store from taking writes (StoreFailed), or null: health checks report it. */
  failure?(): Error | null;
  /**
   * Resolves once every write committed so far is on disk. SQLite's commit writer COMMITs a
   * batch first and flushes it after (commit-sqlite.ts), so a read between the two can see
   * rows that a crash would take back: a read that answers with the store's rows (rather
   * than the engine's settled state) awaits this after reading and before answering.
   * Absent where a COMMIT is durable when it returns.
   */
  durable?(): Promise<void>;
  readStream(caseId: string, stream: string, after: number, limit: number): Promise<StoredEvent[]>;
  /**
   * Destroys a closed case's content for good (C11): what people wrote is gone from the log
   * and its key is shredded; the audit chain and every other metadata row stay. Idempotent.
   */
  destroyContent(caseId: string): Promise<void>;
  item(caseId: string, messageId: string): Promise<ItemMeta | null>;
  agreement(caseId: string): Promise<{ text: string; hash: string } | null>;
  audit(caseId: string): Promise<{ entries: AuditEntry[]; head: { seq: number; hash: string } }>;
  findIdempotent(scope: string, key: string): Promise<{ requestHash: string; response: string } | null>;
  /**
   * Deletes up to `limit` idempotency records stored before `before` (ms since the epoch),
   * oldest first as far as the engine can tell cheaply; resolves with how many it deleted. A
   * command retried after its record is gone is a new command.
   */
  pruneIdempotency?(before: number, limit: number): Promise<number>;
  /**
   * The digest an idempotency record keeps of a case's request (which holds what people
   * wrote): keyed with the case's key (C11), so that once the case is shredded no guessed
   * text can be checked against it. `creating`: the case is being opened and gets its key
   * now. Null when the case's key is gone (closed and shredded). Absent: a plain hash.
   */
  requestDigest?(caseId: string, text: string, creating: boolean): Promise<string | null>;
  /**
   * The same lookup without waiting, where the store can answer at once (SQLite in this
   * process): the record, null when there is none, undefined when it cannot tell now.
   */
  findIdempotentNow?(scope: string, key: string): { requestHash: string; response: string } | null | undefined;
  invitationByToken(tokenHash: string): Promise<InvitationRow | null>;
  invitationsOf(caseId: string): Promise<InvitationRow[]>;
  /**
   * Marks an unused, unrevoked invitation redeemed and, in the same transaction, opens the
   * session it gives (so that a revocation is ordered wholly before or wholly after both:
   * it refuses the redemption, or ends that session, C7). False, and no session, otherwise.
   */
  markRedeemed(tokenHash: string, at: number, session?: SessionRow): Promise<boolean>;
  casesOfAccount(accountId: string): Promise<CaseSummary[]>;
  allCases(): Promise<(CaseSummary & { mediators: number })[]>;
}

export interface Account {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: 'admin' | 'mediator';
  readonly passwordHash: string | null;
  readonly disabledAt: number | null;
  readonly createdAt: number;
}

export interface SessionRow {
  readonly idHash: string;
  readonly accountId: string | null;
  readonly participantId: string | null;
  readonly caseId: string | null;
  readonly expiresAt: number;
}

export interface AccountStore {
  count(): Promise<number>;
  countAdmins(): Promise<number>;
  byEmail(email: string): Promise<Account | null>;
  byId(id: string): Promise<Account | null>;
  list(): Promise<Account[]>;
  /** Creates the account; false when the e-mail is taken. */
  create(a: Account): Promise<boolean>;
  setPassword(id: string, hash: string): Promise<void>;
  setDisabled(id: string, at: number | null): Promise<void>;
  createSession(s: SessionRow, now: number): Promise<void>;
  session(idHash: string, now: number): Promise<SessionRow | null>;
  /** Which of these sessions still stand (not ended, not expired): one query for many. */
  liveSessions(idHashes: readonly string[], now: number): Promise<Set<string>>;
  /** Which of these case participants hold a session that still stands: one query for many. */
  participantsSignedIn(participantIds: readonly string[], now: number): Promise<Set<string>>;
  endSession(idHash: string, now: number): Promise<void>;
  endSessionsOfAccount(accountId: string, now: number): Promise<void>;
  createToken(t: { tokenHash: string; accountId: string | null; purpose: 'setup' | 'sign-in'; now: number; expiresAt: number }): Promise<void>;
  /** Marks a valid token used and returns it; null when unknown, used or expired. */
  useToken(tokenHash: string, purpose: 'setup' | 'sign-in', now: number): Promise<{ accountId: string | null } | null>;
  endTokens(purpose: 'setup' | 'sign-in', now: number): Promise<void>;
}

/** Someone whose access a change may concern: a case member, by session (and account). */
export interface AccessHolder {
  readonly caseId: string;
  readonly participantId: string;
  readonly accountId: string | null;
  readonly sessionHash: string;
}

/** Live delivery, as the services see it. */
export interface Publisher {
  /** Delivers committed events to every connection allowed to observe them. */
  publish(caseId: string, state: CaseState, events: readonly StoredEvent[]): void;
  /**
   * Closes live connections matching the predicate, before the change is acknowledged (C7).
   * Every access change (sign-out, account disabled, removal, revocation) goes through here.
   */
  disconnect(match: { caseId?: string; participantIds?: readonly string[]; accountId?: string; sessionHash?: string }): void;
  /** A mark to take before checking someone's access, for `accessLostSince`. */
  accessMark(): number;
  /** Whether an access change since `mark` concerns them (when in doubt: yes). Synchronous, no I/O. */
  accessLostSince(mark: number, who: AccessHolder): boolean;
}
