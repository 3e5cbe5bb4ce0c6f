import { z } from 'zod';
import { Body, DisplayName, Email, Id, Label, Password, Phase, Regime, Role, StreamId } from './common.ts';

/** HTTP request bodies. Objects are strict: unknown fields are a 400, not silently dropped. */
export const SetupBody = z.strictObject({ token: z.string().min(16).max(200), email: Email, displayName: DisplayName, password: Password });
export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(256) });
export const AccountLinkBody = z.strictObject({ token: z.string().min(16).max(200), password: Password.optional() });
export const RedeemBody = z.strictObject({ token: z.string().min(16).max(200) });

export const CreateAccountBody = z.strictObject({ email: Email, displayName: DisplayName });

export const SettingsInput = z.strictObject({
  requesterVisible: z.boolean().default(false),
  observersAllowed: z.boolean().default(false),
});
export const MemberInput = z.strictObject({
  role: z.enum(['party', 'representative']),
  displayName: DisplayName,
  email: Email.nullable().default(null),
});
export const CreateCaseBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  reference: z.string().trim().max(100).default(''),
  regime: Regime,
  agreementText: z.string().trim().min(20).max(50_000).optional(),
  settings: SettingsInput.default({ requesterVisible: false, observersAllowed: false }),
  sides: z
    .array(z.strictObject({ name: z.string().trim().min(1).max(120), members: z.array(MemberInput).min(1).max(20) }))
    .min(2)
    .max(8),
  coMediators: z.array(Id).max(5).default([]),
  observers: z.array(z.strictObject({ displayName: DisplayName, email: Email.nullable().default(null) })).max(10).default([]),
});
export type CreateCaseBody = z.infer<typeof CreateCaseBody>;

export const AddParticipantBody = z.strictObject({
  role: z.enum(['party', 'representative', 'observer']),
  sideId: Id.nullable().default(null),
  displayName: DisplayName,
  email: Email.nullable().default(null),
});
export const AcceptAgreementBody = z.strictObject({ agreementHash: z.string().regex(/^[0-9a-f]{64}$/) });
export const StartSeparateBody = z.strictObject({ sideId: Id, purpose: z.string().trim().max(500).nullable().default(null) });
export const MoveBody = z.strictObject({ sideId: Id.nullable() });
export const ReconveneBody = z.strictObject({ countdownSeconds: z.number().int().min(0).max(3600).default(0) });
export const EmptyBody = z.strictObject({});
/** Closing destroys what people wrote (C11): the body says so in as many words. */
export const CloseCaseBody = z.strictObject({
  destroyContent: z.literal(true, { error: 'Closing a case destroys everything written in it for good: send {"destroyContent": true} to confirm.' }),
});
export const PostMessageBody = z.strictObject({ body: Body, label: Label.nullable().default(null) });
export const SetLabelBody = z.strictObject({ label: Label });
export const RequestCaucusBody = z.strictObject({ reason: z.string().trim().max(1000).nullable().default(null) });
export const AnswerRequestBody = z.strictObject({
  answer: z.enum(['accepted', 'declined', 'deferred']),
  reply: z.string().trim().max(1000).nullable().default(null),
});

export const ReadQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Path parameters. */
export const CaseParams = z.strictObject({ caseId: Id });
export const StreamParams = z.strictObject({ caseId: Id, stream: StreamId });
export const MessageParams = z.strictObject({ caseId: Id, messageId: Id });
export const ParticipantParams = z.strictObject({ caseId: Id, participantId: Id });
export const RequestParams = z.strictObject({ caseId: Id, requestId: Id });
export const AccountParams = z.strictObject({ accountId: Id });

/** Responses. */
export const ParticipantView = z.object({
  id: Id,
  role: Role,
  sideId: Id.nullable(),
  displayName: z.string(),
  accepted: z.boolean(),
  removed: z.boolean(),
  /** The mediator who opened the case (who alone may close it). */
  lead: z.boolean(),
});
export const StreamView = z.object({ id: StreamId, kind: z.string(), sideId: Id.nullable(), head: z.number().int() });
export const SessionView = z.object({
  phase: Phase,
  sessionNo: z.number().int(),
  mediatorRoom: Id.nullable(),
  since: z.number(),
  reconveneAt: z.number().nullable(),
  /** Only the viewer's own side (or every side, for mediators). */
  ready: z.array(Id),
});
export const CaseView = z.object({
  id: Id,
  title: z.string(),
  reference: z.string(),
  regime: Regime,
  status: z.enum(['open', 'closed']),
  settings: z.object({ requesterVisible: z.boolean(), observersAllowed: z.boolean() }),
  sides: z.array(z.object({ id: Id, name: z.string() })),
  participants: z.array(ParticipantView),
  session: SessionView,
  me: z.object({ participantId: Id, role: Role, sideId: Id.nullable() }),
  streams: z.array(StreamView),
  now: z.number(),
});
export type CaseView = z.infer<typeof CaseView>;

export const EventView = z.object({
  id: z.string(),
  stream: StreamId,
  position: z.number().int(),
  type: z.string(),
  actorId: z.string().nullable(),
  at: z.number(),
  data: z.record(z.string(), z.unknown()),
  content: z.record(z.string(), z.string()).nullable(),
});
export type EventView = z.infer<typeof EventView>;
export const ReadResponse = z.object({ events: z.array(EventView), head: z.number().int() });

export const InvitationLink = z.object({ participantId: Id, displayName: z.string(), url: z.string(), expiresAt: z.number() });
export const CreateCaseResponse = z.object({ case: CaseView, invitations: z.array(InvitationLink) });
export const MeResponse = z.object({
  kind: z.enum(['account', 'participant']),
  account: z.object({ id: Id, email: z.string(), displayName: z.string(), role: z.enum(['admin', 'mediator']) }).nullable(),
  participant: z.object({ id: Id, caseId: Id, displayName: z.string(), accepted: z.boolean() }).nullable(),
});
