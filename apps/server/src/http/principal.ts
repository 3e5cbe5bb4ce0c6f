import type { IncomingHttpHeaders } from 'node:http';
import { hashToken, type Clock } from '../platform.ts';
import type { Principal } from '../services/access.ts';
import type { AccountStore } from '../services/ports.ts';
import { ACCOUNT_COOKIE, parseCookies, participantCookie } from './cookies.ts';

const PARTICIPANT_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * Resolves the session behind a request or an upgrade. `as` picks which of the
 * browser's participant cookies to use; without it, the account cookie. Unknown,
 * expired, revoked and disabled sessions all resolve to nobody.
 */
export async function resolvePrincipal(accounts: AccountStore, clock: Clock, headers: IncomingHttpHeaders, as: string | null): Promise<Principal | null> {
  if (as !== null && !PARTICIPANT_ID.test(as)) return null;
  const cookies = parseCookies(headers.cookie);
  const sid = cookies.get(as ? participantCookie(as) : ACCOUNT_COOKIE);
  if (!sid || sid.length > 200) return null;
  const sessionHash = hashToken(sid);
  const row = await accounts.session(sessionHash, clock.now());
  if (!row) return null;
  if (row.accountId) {
    if (as) return null;
    const account = await accounts.byId(row.accountId);
    if (!account || account.disabledAt !== null) return null;
    return { kind: 'account', account, sessionHash, expiresAt: row.expiresAt };
  }
  if (row.participantId && row.caseId && row.participantId === as) return { kind: 'participant', participantId: row.participantId, caseId: row.caseId, sessionHash, expiresAt: row.expiresAt };
  return null;
}

/**
 * CSRF: a state-changing request must come from our own origin. SameSite=Strict
 * cookies are the first line; this check is the second.
 */
export function sameOrigin(headers: IncomingHttpHeaders, publicOrigin: string): boolean {
  const origin = headers.origin;
  if (typeof origin === 'string') return origin === publicOrigin;
  return headers['sec-fetch-site'] === 'same-origin';
}
