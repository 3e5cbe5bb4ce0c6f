/**
 * Session cookies. A browser can hold a mediator session and several participant
 * sessions at once (a mediator trying the demo in three windows): each participant
 * session has its own cookie, and a request names which one it acts with
 * (`x-caucus-as` header, or `as` query parameter on the live socket). The cookie is
 * still the credential; the name only picks which of the browser's own cookies to use.
 */
export const ACCOUNT_COOKIE = 'caucus_acct';
export const participantCookie = (participantId: string): string => `caucus_p_${participantId}`;

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

export function serializeCookie(name: string, value: string, opts: { expiresAt: number | null; secure: boolean }): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (opts.expiresAt === null) parts.push('Max-Age=0');
  else parts.push(`Expires=${new Date(opts.expiresAt).toUTCString()}`);
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}
