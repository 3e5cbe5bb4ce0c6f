import { DomainError, notFound } from '@caucus/domain';
import { hashToken, newToken } from '../platform.ts';
import { confirmAccess, memberOf, type Principal, requestChecks } from './access.ts';
import type { CaseEngine } from './case-engine.ts';
import { DAY, durably, type Services } from './context.ts';
import type { InvitationRow } from './ports.ts';

/** The token travels in the URL fragment, which browsers never send to a server or a proxy log. */
export const invitationUrl = (publicUrl: string, token: string): string => `${publicUrl}/join#token=${token}`;

export const PARTICIPANT_SESSION_MS = 30 * DAY;

/**
 * Issues a fresh personal link; any earlier link of that participant stops working. Takes no
 * idempotency key: a record could not answer a retry with a working link (it keeps no token),
 * so a repeat issues another link, which ends the one before.
 */
export async function reissueInvitation(
  svc: Services,
  engine: CaseEngine,
  principal: Principal | null,
  caseId: string,
  participantId: string,
): Promise<{ participantId: string; displayName: string; url: string; expiresAt: number }> {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  const token = newToken(32);
  const expiresAt = svc.clock.now() + svc.invitationTtlMs;
  const res = await engine.run({
    caseId,
    actorId: me.id,
    ...requestChecks(svc, principal, caseId, me.id), // C7: nothing done after the mediator's own access ended
    command: { type: 'issue-invitation', input: { participantId, expiresAt } },
    extra: () => ({ endInvitationsOf: [participantId], invitations: [{ participantId, tokenHash: hashToken(token), expiresAt }] }),
    respond: (state) => ({ participantId, displayName: state.participants[participantId]?.displayName ?? '', expiresAt }),
  });
  return { ...res, url: invitationUrl(svc.publicUrl, token) };
}

/** Revoking a link also ends the sessions it opened and closes their live connections (C7). */
export async function revokeInvitation(svc: Services, engine: CaseEngine, principal: Principal | null, caseId: string, participantId: string): Promise<void> {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  await engine.run({
    caseId,
    actorId: me.id,
    command: { type: 'revoke-invitation', input: { participantId } },
    ...requestChecks(svc, principal, caseId, me.id), // C7
    extra: () => ({ endInvitationsOf: [participantId], endSessionsOf: [participantId] }),
    afterCommit: () => svc.publisher.disconnect({ caseId, participantIds: [participantId] }),
    respond: () => undefined,
  });
}

export type InvitationStatus = 'pending' | 'joined' | 'accepted' | 'revoked' | 'expired' | 'none';

/** Invitation state of each participant, for the mediators. */
export async function invitationStatuses(
  svc: Services,
  engine: CaseEngine,
  principal: Principal | null,
  caseId: string,
): Promise<{ participantId: string; status: InvitationStatus; expiresAt: number | null }[]> {
  const rec = await engine.load(caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  if (me.role !== 'mediator') throw new DomainError('forbidden', 'Only a mediator of this case can see invitations.');
  const rows = await durably(svc, svc.cases.invitationsOf(caseId));
  const members = Object.values(rec.state.participants).filter((p) => p.role !== 'mediator' && !p.removed);
  const now = svc.clock.now();
  const signedIn = await durably(
    svc,
    svc.accounts.participantsSignedIn(
      members.map((p) => p.id),
      now,
    ),
  );
  await confirmAccess(svc, engine, principal, caseId); // C7: nothing read after the session ended or they left
  return members.map((p) => {
    const latest = rows.filter((r) => r.participantId === p.id).at(-1);
    return { participantId: p.id, status: linkStatus(latest, p.acceptedAt !== null, signedIn.has(p.id), now), expiresAt: latest?.expiresAt ?? null };
  });
}

/**
 * Where someone stands, from their latest personal link, whether they accepted the
 * agreement, and whether a session of theirs still stands. A revoked link signed them out
 * (even after they had joined); a new link that is not opened yet leaves whoever is still
 * signed in from an earlier one in ('accepted'), and anyone else invited ('pending').
 */
export function linkStatus(latest: InvitationRow | undefined, accepted: boolean, signedIn: boolean, now: number): InvitationStatus {
  if (!latest) return accepted ? 'accepted' : 'none';
  if (latest.revokedAt !== null) return 'revoked';
  if (latest.redeemedAt !== null) return accepted ? 'accepted' : 'joined';
  if (accepted && signedIn) return 'accepted';
  return latest.expiresAt <= now ? 'expired' : 'pending';
}

const INVALID_LINK = 'This invitation link is not valid any more. Ask your mediator for a new one.';

/**
 * Exchanges a personal link for a session, once. Unknown, used, revoked and expired
 * tokens all get the same answer, so a guesser learns nothing.
 */
export async function redeemInvitation(
  svc: Services,
  engine: CaseEngine,
  token: string,
): Promise<{ sessionId: string; caseId: string; participantId: string; expiresAt: number }> {
  const tokenHash = hashToken(token);
  const now = svc.clock.now();
  const inv = await svc.cases.invitationByToken(tokenHash);
  if (!inv || inv.revokedAt !== null || inv.redeemedAt !== null || inv.expiresAt <= now) throw new DomainError('gone', INVALID_LINK);
  const rec = await engine.load(inv.caseId);
  const p = rec?.state.participants[inv.participantId];
  if (!rec || !p || p.removed || rec.state.status !== 'open') throw new DomainError('gone', INVALID_LINK);
  const sessionId = newToken(32);
  const expiresAt = now + PARTICIPANT_SESSION_MS;
  const session = { idHash: hashToken(sessionId), accountId: null, participantId: p.id, caseId: inv.caseId, expiresAt };
  // The link is used and the session opened together: a revocation racing this redemption
  // either refuses it or ends the session it opened (C7).
  if (!(await svc.cases.markRedeemed(tokenHash, now, session))) throw new DomainError('gone', INVALID_LINK);
  return { sessionId, caseId: inv.caseId, participantId: p.id, expiresAt };
}
