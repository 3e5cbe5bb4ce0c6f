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
  state: string;
  version: number;
  audit_seq: number;
  audit_hash: string;
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
export interface EventsTable {
  case_id: string;
  stream: string;
  position: number;
  id: string;
  type: string;
  actor_id: string | null;
  at: number;
  data: string;
}
/** The words people wrote, kept apart from metadata: per-case encryption wraps `body`. */
export interface ContentsTable {
  event_id: string;
  case_id: string;
  body: string;
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
export interface AuditTable {
  case_id: string;
  seq: number;
  event_id: string;
  type: string;
  actor_id: string | null;
  stream: string;
  at: number;
  content_hash: string | null;
  prev_hash: string;
  hash: string;
}
export interface IdempotencyTable {
  scope: string;
  key: string;
  request_hash: string;
  response: string;
  created_at: number;
}

export interface Database {
  accounts: AccountsTable;
  auth_sessions: AuthSessionsTable;
  account_tokens: AccountTokensTable;
  cases: CasesTable;
  agreements: AgreementsTable;
  case_mediators: CaseMediatorsTable;
  events: EventsTable;
  contents: ContentsTable;
  items: ItemsTable;
  invitations: InvitationsTable;
  audit: AuditTable;
  idempotency: IdempotencyTable;
}

/** Every table, for whole-store checks (tests compare the store before and after a request). */
export const TABLES = [
  'accounts',
  'auth_sessions',
  'account_tokens',
  'cases',
  'agreements',
  'case_mediators',
  'events',
  'contents',
  'items',
  'invitations',
  'audit',
  'idempotency',
] as const satisfies readonly (keyof Database)[];
