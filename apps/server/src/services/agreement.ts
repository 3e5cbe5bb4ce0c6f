import { notFound } from '@caucus/domain';
import type { CaseView } from '@caucus/protocol';
import { confirmAccess, participantOf, type Principal, requestChecks } from './access.ts';
import type { CaseEngine } from './case-engine.ts';
import { caseViewFor } from './case-view.ts';
import type { Services } from './context.ts';

/**
 * The one thing an invited participant may read before accepting (C6): the agreement to
 * mediate, which names the regime, and who invites them.
 */
export async function readAgreement(svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string) {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = participantOf(rec.state, principal);
  const agreement = await svc.cases.agreement(caseId);
  if (!agreement) throw notFound('No such case.');
  await confirmAccess(svc, engine, principal, caseId, participantOf); // C7
  const mediators = Object.values(rec.state.participants).filter((p) => p.role === 'mediator' && !p.removed);
  return {
    caseTitle: rec.state.title,
    regime: rec.state.regime,
    text: agreement.text,
    hash: agreement.hash,
    mediators: mediators.map((m) => m.displayName),
    you: { participantId: me.id, displayName: me.displayName, role: me.role, sideName: rec.state.sides.find((s) => s.id === me.sideId)?.name ?? null },
    accepted: me.acceptedAt !== null,
  };
}

/** Records acceptance of the exact text (by hash) and time; then the case opens to them. */
export async function acceptAgreement(svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string, agreementHash: string): Promise<CaseView> {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = participantOf(rec.state, principal);
  return engine.run({
    caseId,
    actorId: me.id,
    command: { type: 'accept-agreement', input: { agreementHash } },
    ...requestChecks(svc, principal, caseId, me.id), // C7
    respond: (state) => caseViewFor(state, me.id, svc.clock.now()),
  });
}
