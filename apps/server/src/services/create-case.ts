import { emptyCase, type CaseState, invalid, type Participant } from '@caucus/domain';
import type { CaseView, CreateCaseBody } from '@caucus/protocol';
import { hashToken, newToken, sha256 } from '../platform.ts';
import { requestChecks, requireAccount, type Principal } from './access.ts';
import { DEFAULT_AGREEMENT } from './agreement-text.ts';
import type { CaseEngine, Idempotency } from './case-engine.ts';
import { caseViewFor } from './case-view.ts';
import type { Services } from './context.ts';
import { invitationUrl } from './invitations.ts';

export interface InvitationLink {
  readonly participantId: string;
  readonly displayName: string;
  readonly url: string;
  readonly expiresAt: number;
}

/** A mediator opens a case: sides, members, co-mediators; every non-mediator gets a link. */
export async function createCase(
  svc: Services,
  engine: CaseEngine,
  principal: Principal | null,
  body: CreateCaseBody,
  idempotency: Idempotency | null,
): Promise<{ case: CaseView; invitations: InvitationLink[] }> {
  const account = requireAccount(principal, 'mediator');
  const coMediators = [];
  for (const id of new Set(body.coMediators)) {
    if (id === account.id) continue;
    const m = await svc.accounts.byId(id);
    if (!m || m.role !== 'mediator' || m.disabledAt !== null) throw invalid('A co-mediator is not an active mediator account.', { path: 'coMediators' });
    coMediators.push(m);
  }
  const agreementText = body.agreementText ?? DEFAULT_AGREEMENT[body.regime];
  const agreementHash = sha256(agreementText);
  const caseId = svc.ids.next('case');
  const tokens = new Map<string, string>();
  const expiresAt = svc.clock.now() + svc.invitationTtlMs;
  const invitees = (state: CaseState): Participant[] => Object.values(state.participants).filter((p) => p.role !== 'mediator');

  return engine.run<{ case: CaseView; invitations: InvitationLink[] }>({
    caseId,
    actorId: null,
    accountId: account.id,
    idempotency,
    ...requestChecks(svc, principal, caseId, ''), // C7: not created after its mediator signed out
    command: {
      type: 'open-case',
      input: {
        title: body.title,
        reference: body.reference,
        regime: body.regime,
        agreementHash,
        settings: body.settings,
        sides: body.sides.map((s) => ({ name: s.name, members: s.members })),
        mediators: [
          { accountId: account.id, displayName: account.displayName, email: account.email, lead: true },
          ...coMediators.map((m) => ({ accountId: m.id, displayName: m.displayName, email: m.email, lead: false })),
        ],
        observers: body.observers,
        invitationExpiresAt: expiresAt,
      },
    },
    create: {
      initial: emptyCase(caseId),
      caseOf: (response) => (typeof response?.case?.id === 'string' ? response.case.id : null),
      data: (events) => ({
        createdBy: account.id,
        agreementText,
        mediators: events.flatMap((e) =>
          e.type === 'participant.added' && e.data.role === 'mediator' && e.data.accountId ? [{ accountId: e.data.accountId, participantId: e.data.participantId }] : [],
        ),
      }),
    },
    extra: (state) => ({
      invitations: invitees(state).map((p) => {
        const token = newToken(32);
        tokens.set(p.id, token);
        return { participantId: p.id, tokenHash: hashToken(token), expiresAt };
      }),
    }),
    respond: (state) => {
      const lead = Object.values(state.participants).find((p) => p.accountId === account.id);
      return {
        case: caseViewFor(state, lead?.id ?? '', svc.clock.now()),
        // Links are computed after `extra` ran; see below.
        invitations: [] as InvitationLink[],
      };
    },
  }).then((res) => {
    // The response stored for idempotent retries holds no tokens: a retry gets the case, and
    // links are re-issued explicitly. The first answer carries the links.
    const state = res.case;
    const links = state.participants
      .filter((p) => p.role !== 'mediator')
      .flatMap((p) => {
        const token = tokens.get(p.id);
        return token ? [{ participantId: p.id, displayName: p.displayName, url: invitationUrl(svc.publicUrl, token), expiresAt }] : [];
      });
    return { case: state, invitations: links };
  });
}
