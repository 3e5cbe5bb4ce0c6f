import { type CaseState, type Command, notFound, positionOffset, timeBalance, verifyChain, DomainError } from '@caucus/domain';
import type { CaseView } from '@caucus/protocol';
import { sha256 } from '../platform.ts';
import { confirmAccess, memberOf, type Principal, requestChecks } from './access.ts';
import type { CaseEngine, Idempotency } from './case-engine.ts';
import { caseViewFor } from './case-view.ts';
import { durably, type Services } from './context.ts';

export interface Created {
  readonly id: string;
  readonly stream: string;
  readonly position: number;
}

/**
 * Commands by a case member (session control, messages, labels, caucus requests,
 * participants). One function behind every transport (HTTP and the live socket). The
 * answer, stored with the idempotency key and given again to a retry, is what the command
 * created, in the actor's numbering of positions.
 *
 * `access` re-checks the actor's access in turn with the case's other commands (C7): HTTP
 * confirms the session in the store and, synchronously before the writes, that no access
 * change concerning the sender came since (requestChecks); the live socket checks that its
 * connection, which every revocation closes before it is acknowledged, is still open.
 * `onCommitted` is called as soon as the command is stored, in order with the case's
 * frames (the live socket sends its ack from there); the state returned is the one this
 * command produced (absent for a retry answered from its record).
 */
export async function caseCommand(
  svc: Services,
  engine: CaseEngine,
  principal: Principal | null,
  caseId: string,
  command: Command,
  idempotency: Idempotency | null,
  access: { readonly authorize: () => Promise<void> | void; readonly stillAuthorized?: () => void },
  onCommitted?: (answer: { created: Created[] }) => void,
): Promise<{ created: Created[]; state?: CaseState }> {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  const removing = command.type === 'remove-participant' ? command.input.participantId : null;
  // Closing leaves the case to its mediators (C7): everyone else loses it, live connections
  // first; who that is comes from the state the close itself was decided on.
  const closing = command.type === 'close-case';
  // A close asked again of a closed case (its destruction failed the first time, a full
  // disk say) finishes the destruction before it is refused as a case already closed (C11).
  if (closing && rec.state.status === 'closed') await svc.cases.destroyContent(caseId);
  const others = (state: CaseState): string[] => Object.values(state.participants).filter((p) => p.role !== 'mediator').map((p) => p.id);
  let produced: CaseState | undefined;
  const answer = await engine.run({
    caseId,
    actorId: me.id,
    command,
    idempotency,
    authorize: async () => access.authorize(),
    stillAuthorized: access.stillAuthorized,
    item:
      command.type === 'set-label'
        ? (state) => (state.id === caseId ? svc.cases.item(caseId, command.input.messageId) : Promise.resolve(null))
        : undefined,
    extra: removing
      ? () => ({ endInvitationsOf: [removing], endSessionsOf: [removing], leaveCaseOf: [removing] })
      : closing
        ? (state) => ({ endInvitationsOf: others(state), endSessionsOf: others(state) })
        : undefined,
    afterCommit: removing
      ? () => svc.publisher.disconnect({ caseId, participantIds: [removing] })
      : closing
        ? (state) => svc.publisher.disconnect({ caseId, participantIds: others(state) })
        : undefined,
    respond: (state, events) => ({
      created: events.flatMap((e) => {
        const id =
          e.type === 'message.posted' ? e.data.messageId : e.type === 'caucus.requested' ? e.data.requestId : e.type === 'participant.added' ? e.data.participantId : null;
        return id ? [{ id, stream: e.stream, position: e.position - positionOffset(state, me.id, e.stream) }] : [];
      }),
    }),
    onCommitted: (r, state) => {
      produced = state;
      onCommitted?.(r);
    },
  });
  // The close is stored: what people wrote goes now, before the answer (C11). Should the
  // process stop first, the store finishes this when it next opens (keys-at-start.ts); a
  // retried close does it again, which changes nothing.
  if (command.type === 'close-case') await svc.cases.destroyContent(caseId);
  return { ...answer, state: produced };
}

/**
 * A case command over HTTP: the answer adds the actor's view of the case as this command
 * left it (not as it stands later: commands decided after it may already be stored, and
 * which ones may depend on another side's activity, C8).
 */
export async function runCaseCommand(
  svc: Services,
  engine: CaseEngine,
  principal: Principal | null,
  caseId: string,
  command: Command,
  idempotency: Idempotency | null,
): Promise<{ view: CaseView; created: Created[] }> {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  const checks = requestChecks(svc, principal, caseId, me.id);
  const { created, state: produced } = await caseCommand(svc, engine, principal, caseId, command, idempotency, checks);
  // A retry answered from its record: the view as the case stands now (read again if the
  // retry's own first try, refused at its commit, made this process forget it), and only
  // while the sender's access still stands once it is read (C7).
  const state = produced ?? (await engine.load(caseId))?.state;
  if (!state) throw notFound('No such case.');
  if (!produced) checks.stillAuthorized();
  return { view: caseViewFor(state, memberOf(state, principal).id, svc.clock.now()), created };
}

export async function caseView(svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string): Promise<CaseView> {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  const view = caseViewFor(rec.state, me.id, svc.clock.now());
  await confirmAccess(svc, engine, principal, caseId); // C7: nothing read after a revocation or removal
  return view;
}

/** The case state, for a mediator of the case whose session still stands once it is read (C7). */
const requireMediatorOf = async (svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string) => {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  if (me.role !== 'mediator') throw new DomainError('forbidden', 'Only a mediator of this case can see this.');
  await confirmAccess(svc, engine, principal, caseId);
  return rec.state;
};

/** The mediators' queue of caucus requests (C12: mediators only). */
export async function caucusRequests(svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string) {
  const state = await requireMediatorOf(svc, engine, principal, caseId);
  return Object.values(state.requests).sort((a, b) => a.at - b.at);
}

/** Minutes with each side, this session and in total (milliseconds). */
export async function caseTimeBalance(svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string) {
  const state = await requireMediatorOf(svc, engine, principal, caseId);
  return timeBalance(state, svc.clock.now());
}

/** Verifies the case's content-free audit chain. */
export async function verifyAudit(svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string) {
  await requireMediatorOf(svc, engine, principal, caseId);
  const { entries, head } = await durably(svc, svc.cases.audit(caseId));
  return verifyChain(caseId, entries, head, sha256);
}
