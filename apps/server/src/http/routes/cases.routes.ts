import { type Command, DomainError } from '@caucus/domain';
import {
  AcceptAgreementBody,
  AddParticipantBody,
  AnswerRequestBody,
  CaseParams,
  CaseView,
  CloseCaseBody,
  CreateCaseBody,
  CreateCaseResponse,
  EmptyBody,
  InvitationLink,
  MessageParams,
  MoveBody,
  ParticipantParams,
  PostMessageBody,
  ReadQuery,
  ReadResponse,
  ReconveneBody,
  RequestCaucusBody,
  RequestParams,
  SetLabelBody,
  StartSeparateBody,
  StreamParams,
} from '@caucus/protocol';
import { z } from 'zod';
import { myCases } from '../../services/accounts.ts';
import { acceptAgreement, readAgreement } from '../../services/agreement.ts';
import { caseTimeBalance, caseView, caucusRequests, runCaseCommand, verifyAudit } from '../../services/case-actions.ts';
import { createCase } from '../../services/create-case.ts';
import { invitationStatuses, reissueInvitation, revokeInvitation } from '../../services/invitations.ts';
import { readStream } from '../../services/read-stream.ts';
import { route, type RouteDef } from '../route.ts';
import type { RouteDeps } from './deps.ts';

const CommandResponse = z.object({
  view: CaseView,
  created: z.array(z.object({ id: z.string(), stream: z.string(), position: z.number().int() })),
});

export function caseRoutes(d: RouteDeps): RouteDef[] {
  /** A case command route: validated body → domain command → the actor's new view. */
  const command = <B>(path: string, summary: string, body: z.ZodType<B>, toCommand: (b: B, p: Record<string, string>) => Command, params: z.ZodType = CaseParams) =>
    route({
      method: 'POST',
      path: `/api/v1/cases/:caseId${path}`,
      tag: 'cases',
      summary,
      params: params as z.ZodType<Record<string, string>>,
      body,
      response: CommandResponse,
      idempotent: true,
      handler: ({ principal, params: p, body: b, idempotency }) => runCaseCommand(d.svc, d.engine, principal, p.caseId ?? '', toCommand(b, p), idempotency),
    });

  const routes: RouteDef[] = [
    route({ method: 'GET', path: '/api/v1/cases', tag: 'cases', summary: "The signed-in mediator's cases", handler: ({ principal }) => myCases(d.svc, principal) }),
    route({
      method: 'POST',
      path: '/api/v1/cases',
      tag: 'cases',
      summary: 'Open a case; the answer carries every personal invitation link (shown once)',
      body: CreateCaseBody,
      response: CreateCaseResponse,
      status: 201,
      idempotent: true,
      handler: ({ principal, body, idempotency }) => createCase(d.svc, d.engine, principal, body, idempotency),
    }),
    route({
      method: 'GET',
      path: '/api/v1/cases/:caseId',
      tag: 'cases',
      summary: 'The case as this participant may see it',
      params: CaseParams,
      response: CaseView,
      handler: ({ principal, params }) => caseView(d.svc, d.engine, principal, params.caseId),
    }),
    route({
      method: 'GET',
      path: '/api/v1/cases/:caseId/agreement',
      tag: 'agreement',
      summary: 'The agreement to mediate (readable before accepting it)',
      params: CaseParams,
      handler: ({ principal, params }) => readAgreement(d.svc, d.engine, principal, params.caseId),
    }),
    route({
      method: 'POST',
      path: '/api/v1/cases/:caseId/agreement/accept',
      tag: 'agreement',
      summary: 'Accept the agreement to mediate (its exact text, by hash)',
      params: CaseParams,
      body: AcceptAgreementBody,
      response: CaseView,
      handler: ({ principal, params, body }) => acceptAgreement(d.svc, d.engine, principal, params.caseId, body.agreementHash),
    }),
    route({
      method: 'GET',
      path: '/api/v1/cases/:caseId/streams/:stream/events',
      tag: 'rooms',
      summary: 'Read a stream from a position on (paginated)',
      params: StreamParams,
      query: ReadQuery,
      response: ReadResponse,
      handler: ({ principal, params, query }) => readStream(d.svc, d.engine, principal, { ...params, ...query }),
    }),
    command('/session/start', 'Start a live session (joint room)', EmptyBody, () => ({ type: 'start-session', input: {} })),
    command('/session/separate', 'Start separate sessions, the mediator first with one side', StartSeparateBody, (b) => ({ type: 'start-separate', input: b })),
    command('/session/move', "Move the mediator to a side's room (or to none)", MoveBody, (b) => ({ type: 'move-mediator', input: b })),
    command('/session/reconvene', 'Reconvene in the joint room, with an optional countdown', ReconveneBody, (b) => ({ type: 'reconvene', input: b })),
    command('/session/open-joint', 'Open the joint room now', EmptyBody, () => ({ type: 'open-joint', input: {} })),
    command('/session/pause', 'Pause the session', EmptyBody, () => ({ type: 'pause', input: {} })),
    command('/session/end', 'End the live session (back to asynchronous)', EmptyBody, () => ({ type: 'end-session', input: {} })),
    command('/session/ready', 'Signal that your side is ready to return', EmptyBody, () => ({ type: 'signal-ready', input: {} })),
    command('/close', 'Close the case for good: what people wrote is destroyed, the content-free record and its audit chain stay', CloseCaseBody, () => ({ type: 'close-case', input: {} })),
    command(
      '/rooms/:stream/messages',
      'Write a message in a room',
      PostMessageBody,
      (b, p) => ({ type: 'post-message', input: { stream: p.stream ?? '', body: b.body, label: b.label } }),
      StreamParams,
    ),
    command('/messages/:messageId/label', "Change a caucus item's label (author's side only)", SetLabelBody, (b, p) => ({ type: 'set-label', input: { messageId: p.messageId ?? '', label: b.label } }), MessageParams),
    command('/caucus-requests', 'Ask the mediator for a separate session', RequestCaucusBody, (b) => ({ type: 'request-caucus', input: b })),
    command(
      '/caucus-requests/:requestId/answer',
      'Accept, decline or defer a caucus request',
      AnswerRequestBody,
      (b, p) => ({ type: 'answer-request', input: { requestId: p.requestId ?? '', answer: b.answer, reply: b.reply } }),
      RequestParams,
    ),
    route({
      method: 'GET',
      path: '/api/v1/cases/:caseId/caucus-requests',
      tag: 'cases',
      summary: "The mediators' queue of caucus requests",
      params: CaseParams,
      handler: ({ principal, params }) => caucusRequests(d.svc, d.engine, principal, params.caseId),
    }),
    command('/participants', 'Add a party, representative or observer', AddParticipantBody, (b) => ({ type: 'add-participant', input: b })),
    route({
      method: 'DELETE',
      path: '/api/v1/cases/:caseId/participants/:participantId',
      tag: 'cases',
      summary: 'Remove a participant: their sessions and live connections end first',
      params: ParticipantParams,
      response: CommandResponse,
      handler: ({ principal, params }) =>
        runCaseCommand(d.svc, d.engine, principal, params.caseId, { type: 'remove-participant', input: { participantId: params.participantId } }, null),
    }),
    route({
      method: 'POST',
      path: '/api/v1/cases/:caseId/participants/:participantId/invitation',
      tag: 'invitations',
      summary: 'Issue a new personal link (the old one stops working)',
      params: ParticipantParams,
      response: InvitationLink,
      status: 201,
      handler: ({ principal, params }) => reissueInvitation(d.svc, d.engine, principal, params.caseId, params.participantId),
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/cases/:caseId/participants/:participantId/invitation',
      tag: 'invitations',
      summary: "Revoke a participant's link and end their sessions",
      params: ParticipantParams,
      status: 204,
      handler: ({ principal, params }) => revokeInvitation(d.svc, d.engine, principal, params.caseId, params.participantId),
    }),
    route({
      method: 'GET',
      path: '/api/v1/cases/:caseId/invitations',
      tag: 'invitations',
      summary: 'Invitation status of each participant',
      params: CaseParams,
      handler: ({ principal, params }) => invitationStatuses(d.svc, d.engine, principal, params.caseId),
    }),
    route({
      method: 'GET',
      path: '/api/v1/cases/:caseId/time-balance',
      tag: 'cases',
      summary: "Milliseconds the mediator spent in each side's room",
      params: CaseParams,
      handler: ({ principal, params }) => caseTimeBalance(d.svc, d.engine, principal, params.caseId),
    }),
    route({
      method: 'GET',
      path: '/api/v1/cases/:caseId/audit/verify',
      tag: 'cases',
      summary: "Verify the case's hash-chained, content-free audit trail",
      params: CaseParams,
      handler: ({ principal, params }) => verifyAudit(d.svc, d.engine, principal, params.caseId),
    }),
  ];

  // Signed out, a case route answers 401 before the case is looked up. Otherwise an existing
  // case would answer 401 and an unknown one 404, which tells the two apart (C9).
  return routes.map((r) =>
    r.path.startsWith('/api/v1/cases/:caseId')
      ? {
          ...r,
          handler: (ctx) => {
            if (!ctx.principal) throw new DomainError('unauthenticated', 'Sign in or open your personal invitation link.');
            return r.handler(ctx);
          },
        }
      : r,
  );
}
