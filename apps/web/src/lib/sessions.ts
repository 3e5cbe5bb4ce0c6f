/**
 * The personal links this browser has used: which case, as which participant. Only ids
 * and a title are kept (the credential is the HttpOnly cookie), so that a party who
 * closes the tab finds the way back from the start page.
 */
export interface KnownSession {
  readonly caseId: string;
  readonly participantId: string;
  readonly title: string;
  readonly name: string;
}

const KEY = 'caucus.sessions';

export function knownSessions(): KnownSession[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(raw) ? (raw as KnownSession[]).filter((s) => typeof s?.caseId === 'string' && typeof s.participantId === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberSession(s: KnownSession): void {
  const rest = knownSessions().filter((x) => x.participantId !== s.participantId);
  localStorage.setItem(KEY, JSON.stringify([s, ...rest].slice(0, 20)));
}

export function forgetSession(participantId: string): void {
  localStorage.setItem(KEY, JSON.stringify(knownSessions().filter((x) => x.participantId !== participantId)));
}

export const roomPath = (caseId: string, participantId: string): string => `/cases/${encodeURIComponent(caseId)}?as=${encodeURIComponent(participantId)}`;

/** The agreement to accept before a case opens: a party's (as), or the signed-in mediator's (no as). */
export const agreementPath = (caseId: string, participantId: string | null): string =>
  `/join?case=${encodeURIComponent(caseId)}${participantId ? `&as=${encodeURIComponent(participantId)}` : ''}`;
