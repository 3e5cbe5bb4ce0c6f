import { activeMember, type CaseState, DomainError, notFound, type Participant } from '@caucus/domain';
import type { CaseEngine } from './case-engine.ts';
import type { Services } from './context.ts';
import type { Account } from './ports.ts';

/**
 * Who is asking, as established by the transport from a session cookie. The one
 * default-deny access module: every case use case resolves its actor here first.
 */
export type Principal =
  | { readonly kind: 'account'; readonly account: Account; readonly sessionHash: string; readonly expiresAt?: number }
  | { readonly kind: 'participant'; readonly participantId: string; readonly caseId: string; readonly sessionHash: string; readonly expiresAt?: number };

/** The case participant behind a principal, accepted or not; else not_found (C9). */
export function participantOf(state: CaseState, principal: Principal | null): Participant {
  if (!principal) throw new DomainError('unauthenticated', 'Sign in or open your personal invitation link.');
  let p: Participant | undefined;
  if (principal.kind === 'participant') {
    p = principal.caseId === state.id ? state.participants[principal.participantId] : undefined;
  } else if (principal.account.role === 'mediator') {
    p = Object.values(state.participants).find((x) => x.role === 'mediator' && x.accountId === principal.account.id);
  }
  if (!p || p.removed) throw notFound('No such case.');
  if (state.status === 'closed' && p.role !== 'mediator') throw notFound('No such case.');
  return p;
}

/** The accepted, active participant behind a principal (C6: nothing before acceptance). */
export function memberOf(state: CaseState, principal: Principal | null): Participant {
  const p = participantOf(state, principal);
  if (!activeMember(state, p.id)) throw new DomainError('agreement_required', 'Accept the agreement to mediate first.');
  return p;
}

/**
 * Confirms that the principal's session still stands. A request is authenticated when it
 * arrives, but a revocation or sign-out can commit while it runs: commands call this in
 * turn with the case's other commands, and reads after reading, so that nothing done or
 * read after the change is acknowledged reaches the person whose access ended (C7).
 */
export async function confirmSession(svc: Pick<Services, 'accounts' | 'clock'>, principal: Principal | null): Promise<void> {
  if (!principal || !(await svc.accounts.session(principal.sessionHash, svc.clock.now())))
    throw new DomainError('unauthenticated', 'Sign in or open your personal invitation link.');
}

/**
 * After a read of a case, before its answer leaves: the principal's session still stands
 * (a revocation or sign-out ends it), and they are still admitted to the case as it stands
 * now, in the engine's latest stored state (a mediator's removal ends no session of theirs,
 * their session being their account's). A change acknowledged while the read ran is seen
 * here, and the answer is what a request made after it would get (C7).
 */
export async function confirmAccess(
  svc: Pick<Services, 'accounts' | 'clock'>,
  engine: Pick<CaseEngine, 'cached' | 'load'>,
  principal: Principal | null,
  caseId: string,
  admitted: (state: CaseState, principal: Principal | null) => Participant = memberOf,
): Promise<void> {
  await confirmSession(svc, principal);
  const rec = engine.cached(caseId) ?? (await engine.load(caseId));
  if (!rec) throw notFound('No such case.');
  admitted(rec.state, principal);
}

/**
 * The in-turn access checks of a command sent over HTTP (C7). `authorize` confirms the
 * session in the store when the command's turn comes; `stillAuthorized` runs once more just
 * before its writes are stored, synchronously, and refuses it if an access change that
 * concerns the sender (a sign-out, a disabled account, a revocation) was made since that
 * confirmation began: a command waiting for its batch is not stored after the change was
 * acknowledged. (Over the live socket the connection itself, closed by every such change,
 * plays that part.)
 */
export function requestChecks(
  svc: Pick<Services, 'accounts' | 'clock' | 'publisher'>,
  principal: Principal | null,
  caseId: string,
  participantId: string,
): { authorize: () => Promise<void>; stillAuthorized: () => void } {
  let mark = svc.publisher.accessMark();
  const who = principal ? { caseId, participantId, accountId: principal.kind === 'account' ? principal.account.id : null, sessionHash: principal.sessionHash } : null;
  return {
    authorize: async () => {
      mark = svc.publisher.accessMark(); // before the read: a change landing during it counts
      await confirmSession(svc, principal);
    },
    stillAuthorized: () => {
      if (!who || svc.publisher.accessLostSince(mark, who)) throw new DomainError('unauthenticated', 'Sign in or open your personal invitation link.');
    },
  };
}

export function requireAccount(principal: Principal | null, role?: 'admin' | 'mediator'): Account {
  if (!principal) throw new DomainError('unauthenticated', 'Sign in first.');
  if (principal.kind !== 'account') throw new DomainError('forbidden', 'This needs a mediator or administrator account.');
  if (role && principal.account.role !== role) throw new DomainError('forbidden', `This needs an ${role} account.`);
  return principal.account;
}
