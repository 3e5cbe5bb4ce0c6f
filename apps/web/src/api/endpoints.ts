import { CaseView, CreateCaseResponse, InvitationLink, MeResponse, ReadResponse, type CreateCaseBody } from '@caucus/protocol';
import { z } from 'zod';
import { api } from './client.ts';

/** Typed calls for every endpoint the app uses; response shapes checked with the shared schemas. */
const enc = encodeURIComponent;
export type Me = z.infer<typeof MeResponse>;
export type Invitation = z.infer<typeof InvitationLink>;

const CaseSummary = z.object({ id: z.string(), title: z.string(), reference: z.string(), status: z.enum(['open', 'closed']), createdAt: z.number() });
export type CaseSummary = z.infer<typeof CaseSummary>;
const AdminCase = CaseSummary.extend({ mediators: z.number() });
const Account = z.object({ id: z.string(), email: z.string(), displayName: z.string(), role: z.enum(['admin', 'mediator']), disabled: z.boolean(), createdAt: z.number() });
export type Account = z.infer<typeof Account>;
const Agreement = z.object({
  caseTitle: z.string(),
  regime: z.enum(['opt-in', 'opt-out']),
  text: z.string(),
  hash: z.string(),
  mediators: z.array(z.string()),
  you: z.object({ participantId: z.string(), displayName: z.string(), role: z.string(), sideName: z.string().nullable() }),
  accepted: z.boolean(),
});
export type Agreement = z.infer<typeof Agreement>;
export const InvitationStatus = z.object({
  participantId: z.string(),
  status: z.enum(['pending', 'joined', 'accepted', 'revoked', 'expired', 'none']),
  expiresAt: z.number().nullable(),
});
export type InvitationStatus = z.infer<typeof InvitationStatus>;
const TimeBalance = z.object({ thisSession: z.record(z.string(), z.number()), total: z.record(z.string(), z.number()) });
export type TimeBalance = z.infer<typeof TimeBalance>;
const Directory = z.object({
  mediators: z.array(z.object({ id: z.string(), displayName: z.string() })),
  agreements: z.object({ 'opt-in': z.string(), 'opt-out': z.string() }),
});
export type Directory = z.infer<typeof Directory>;
const CommandResult = z.object({ view: CaseView, created: z.array(z.object({ id: z.string(), stream: z.string(), position: z.number() })) });

export const endpoints = {
  me: () => api('GET', '/api/v1/me', { schema: MeResponse }),
  meAs: (as: string) => api('GET', '/api/v1/me', { schema: MeResponse, as }),
  setupNeeded: () => api('GET', '/api/v1/setup', { schema: z.object({ needed: z.boolean() }) }),
  setup: (body: { token: string; email: string; displayName: string; password: string }) => api('POST', '/api/v1/setup', { body, schema: MeResponse }),
  login: (email: string, password: string) => api('POST', '/api/v1/auth/login', { body: { email, password }, schema: MeResponse }),
  useLink: (token: string, password: string | undefined) =>
    api('POST', '/api/v1/auth/link', { body: password ? { token, password } : { token }, schema: MeResponse }),
  logout: (as?: string | null) => api<undefined>('POST', '/api/v1/auth/logout', { body: {}, as }),
  redeem: (token: string) => api('POST', '/api/v1/invitations/redeem', { body: { token }, schema: z.object({ caseId: z.string(), participantId: z.string() }) }),

  myCases: () => api('GET', '/api/v1/cases', { schema: z.array(CaseSummary) }),
  directory: () => api('GET', '/api/v1/directory', { schema: Directory }),
  createCase: (body: z.input<typeof CreateCaseBody>) => api('POST', '/api/v1/cases', { body, schema: CreateCaseResponse, idempotent: true }),
  caseView: (caseId: string, as?: string | null) => api('GET', `/api/v1/cases/${enc(caseId)}`, { schema: CaseView, as }),
  agreement: (caseId: string, as: string | null) => api('GET', `/api/v1/cases/${enc(caseId)}/agreement`, { schema: Agreement, as }),
  accept: (caseId: string, as: string | null, agreementHash: string) =>
    api('POST', `/api/v1/cases/${enc(caseId)}/agreement/accept`, { body: { agreementHash }, schema: CaseView, as }),
  readStream: (caseId: string, stream: string, after: number, as?: string | null) =>
    api('GET', `/api/v1/cases/${enc(caseId)}/streams/${enc(stream)}/events?after=${after}&limit=500`, { schema: ReadResponse, as }),
  command: (caseId: string, path: string, body: unknown, as?: string | null) =>
    api('POST', `/api/v1/cases/${enc(caseId)}${path}`, { body, schema: CommandResult, as, idempotent: true }),
  invitations: (caseId: string) => api('GET', `/api/v1/cases/${enc(caseId)}/invitations`, { schema: z.array(InvitationStatus) }),
  reissue: (caseId: string, participantId: string) =>
    api('POST', `/api/v1/cases/${enc(caseId)}/participants/${enc(participantId)}/invitation`, { body: {}, schema: InvitationLink }),
  revoke: (caseId: string, participantId: string) => api<undefined>('DELETE', `/api/v1/cases/${enc(caseId)}/participants/${enc(participantId)}/invitation`),
  remove: (caseId: string, participantId: string) => api('DELETE', `/api/v1/cases/${enc(caseId)}/participants/${enc(participantId)}`, { schema: CommandResult }),
  timeBalance: (caseId: string) => api('GET', `/api/v1/cases/${enc(caseId)}/time-balance`, { schema: TimeBalance }),

  accounts: () => api('GET', '/api/v1/admin/accounts', { schema: z.array(Account) }),
  createMediator: (email: string, displayName: string) =>
    api('POST', '/api/v1/admin/accounts', { body: { email, displayName }, schema: z.object({ account: Account, welcomeUrl: z.string() }) }),
  setDisabled: (accountId: string, disabled: boolean) =>
    api('POST', `/api/v1/admin/accounts/${enc(accountId)}/${disabled ? 'disable' : 'enable'}`, { body: {}, schema: Account }),
  adminCases: () => api('GET', '/api/v1/admin/cases', { schema: z.array(AdminCase) }),
};
