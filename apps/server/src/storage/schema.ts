/** Row types of every table, as Kysely sees them. Times are epoch milliseconds. */
export interface AccountsTable {
  id: string;
  email: string;
  display_name: string;
  role: 'admin' | 'mediator';
  password_hash: string | null;
  disabled_at: number | null;
  created_at: number;
}
export interface AuthSessionsTable {
  id_hash: string;
  account_id: string | null;
  participant_id: string | null;
  case_id: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}
export interface AccountTokensTable {
  token_hash: string;
  account_id: string | null;
  purpose: 'setup' | 'sign-in';
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
export interface CasesTable {
  id: string;
  created_by: string;
  status: 'open' | 'closed';
  title: string;
  reference: string;
  regime: string;
  created_at: number;
  version: number;
  /** Each stream's head (JSON): the one part of the state that every event moves. */
  heads: string;
  audit_seq: number;
  audit_hash: string;
}
/**
 * The rest of a case's state (JSON, heads left to `cases.heads`), rewritten only by the
 * commands that change it: a message moves a head and nothing else, so it leaves this row be.
 */
export interface CaseStatesTable {
  case_id: string;
  state: string;
}
export interface AgreementsTable {
  case_id: string;
  hash: string;
  text: string;
}
export interface CaseMediatorsTable {
  case_id: string;
  account_id: string;
  participant_id: string;
}
/**
 * The case log: one row per event, in its stream (`position`, per stream, C8) and in the
 * case's audit chain (`seq`, case-wide, never shown to participants). The audit entry is
 * AUDIT_COLUMNS (case.repository.ts): seq, id, type, actor, stream, time, content hash and
 * the chain's hashes. `data` is the event's other metadata (ids, labels, phases), content-
 * free too but outside the chain. What people wrote is `content` alone (JSON, null for
 * events without it): per-case encryption wraps that column (C11), and no other column of
 * any table ever holds it (C10).
 */
export interface EventsTable {
  case_id: string;
  stream: string;
  position: number;
  seq: number;
  id: string;
  type: string;
  actor_id: string | null;
  at: number;
  data: string;
  content: string | null;
  content_hash: string | null;
  prev_hash: string;
  hash: string;
}
export interface ItemsTable {
  message_id: string;
  case_id: string;
  stream: string;
  author_id: string;
  label: string | null;
  conveyed: number;
}
export interface InvitationsTable {
  token_hash: string;
  case_id: string;
  participant_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  redeemed_at: number | null;
}
export interface IdempotencyTable {
  scope: string;
  key: string;
  request_hash: string;
  response: string;
  created_at: number;
}

/** One row: the store's id, which its key directory holds too (C11). */
export interface StoreIdentityTable {
  id: string;
}

export interface Database {
  accounts: AccountsTable;
  auth_sessions: AuthSessionsTable;
  account_tokens: AccountTokensTable;
  cases: CasesTable;
  case_states: CaseStatesTable;
  agreements: AgreementsTable;
  case_mediators: CaseMediatorsTable;
  events: EventsTable;
  items: ItemsTable;
  invitations: InvitationsTable;
  idempotency: IdempotencyTable;
  store_identity: StoreIdentityTable;
}

/** Every table, for whole-store checks (tests compare the store before and after a request). */
export const TABLES = [
  'accounts',
  'auth_sessions',
  'account_tokens',
  'cases',
  'case_states',
  'agreements',
  'case_mediators',
  'events',
  'items',
  'invitations',
  'idempotency',
  'store_identity',
] as const satisfies readonly (keyof Database)[];
