/**
 * Personal links are shown once by the server (at creation or re-issue). The console
 * keeps the ones issued in this tab for the tab's lifetime (sessionStorage), so the
 * mediator can copy them again until the tab closes; after that, re-issue.
 */
const key = (caseId: string) => `caucus.links.${caseId}`;

export function storedLinks(caseId: string): Record<string, string> {
  try {
    const raw: unknown = JSON.parse(sessionStorage.getItem(key(caseId)) ?? '{}');
    return raw && typeof raw === 'object' ? (raw as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function storeLinks(caseId: string, links: Record<string, string>): void {
  sessionStorage.setItem(key(caseId), JSON.stringify({ ...storedLinks(caseId), ...links }));
}

export function dropLink(caseId: string, participantId: string): void {
  const all = storedLinks(caseId);
  delete all[participantId];
  sessionStorage.setItem(key(caseId), JSON.stringify(all));
}

/** Every link this tab keeps for the case (its holder's access to the case has ended). */
export function dropLinks(caseId: string): void {
  sessionStorage.removeItem(key(caseId));
}
