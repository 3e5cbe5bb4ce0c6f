import { conflict, DomainError, notFound } from '@caucus/domain';
import { hashPassword, hashToken, newToken, verifyPassword } from '../platform.ts';
import { requireAccount, type Principal } from './access.ts';
import { DAY, durably, type Services } from './context.ts';
import type { Account } from './ports.ts';

export const ACCOUNT_SESSION_MS = 7 * DAY;
const LINK_TTL_MS = 7 * DAY;

export interface NewSession {
  readonly sessionId: string;
  readonly expiresAt: number;
  readonly account: Account;
}

async function openSession(svc: Services, account: Account): Promise<NewSession> {
  const sessionId = newToken(32);
  const now = svc.clock.now();
  const expiresAt = now + ACCOUNT_SESSION_MS;
  await svc.accounts.createSession({ idHash: hashToken(sessionId), accountId: account.id, participantId: null, caseId: null, expiresAt }, now);
  return { sessionId, expiresAt, account };
}

/**
 * On a store with no administrator, makes a one-time setup link (printed at start).
 * Each call replaces the link before it. Returns null when setup is done.
 */
export async function prepareSetup(svc: Services): Promise<string | null> {
  if ((await svc.accounts.countAdmins()) > 0) return null;
  const now = svc.clock.now();
  await svc.accounts.endTokens('setup', now);
  const token = newToken(32);
  await svc.accounts.createToken({ tokenHash: hashToken(token), accountId: null, purpose: 'setup', now, expiresAt: now + DAY });
  return `${svc.publicUrl}/setup#token=${token}`;
}

export async function setupNeeded(svc: Services): Promise<boolean> {
  return (await svc.accounts.countAdmins()) === 0;
}

/** Creates an account directly (the CLI and the setup page use this). */
export async function createAccount(
  svc: Services,
  input: { email: string; displayName: string; role: 'admin' | 'mediator'; password: string | null },
): Promise<Account> {
  const account: Account = {
    id: svc.ids.next('account'),
    email: input.email.toLowerCase(),
    displayName: input.displayName,
    role: input.role,
    passwordHash: input.password ? await hashPassword(input.password) : null,
    disabledAt: null,
    createdAt: svc.clock.now(),
  };
  if (!(await svc.accounts.create(account))) throw conflict('An account with this e-mail address already exists.');
  return account;
}

/** The first administrator, through the one-time link printed at first start. */
export async function completeSetup(svc: Services, input: { token: string; email: string; displayName: string; password: string }): Promise<NewSession> {
  const used = await svc.accounts.useToken(hashToken(input.token), 'setup', svc.clock.now());
  if (!used) throw new DomainError('gone', 'This setup link is not valid any more. Restart the server to print a new one.');
  const account = await createAccount(svc, { ...input, role: 'admin' });
  return openSession(svc, account);
}

/** Same answer for an unknown e-mail, a wrong password and a disabled account. */
export async function login(svc: Services, email: string, password: string): Promise<NewSession> {
  const account = await svc.accounts.byEmail(email);
  const ok = account?.passwordHash ? await verifyPassword(password, account.passwordHash) : await verifyPassword(password, DUMMY_HASH);
  if (!account || !ok || account.disabledAt !== null) throw new DomainError('unauthenticated', 'E-mail address or password is wrong.');
  return openSession(svc, account);
}

// Verifying against a fixed hash when the account is unknown keeps the answer time alike.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export async function logout(svc: Services, principal: Principal | null): Promise<void> {
  if (!principal) return;
  // C7: announced before the store write too, so that a command whose session was read just
  // before it is refused at its last check even in the moment between write and answer.
  svc.publisher.disconnect({ sessionHash: principal.sessionHash });
  await svc.accounts.endSession(principal.sessionHash, svc.clock.now());
  svc.publisher.disconnect({ sessionHash: principal.sessionHash });
}

/** A one-time link that signs an account in and lets it set its password. */
export async function accountLink(svc: Services, accountId: string): Promise<string> {
  const token = newToken(32);
  const now = svc.clock.now();
  await svc.accounts.createToken({ tokenHash: hashToken(token), accountId, purpose: 'sign-in', now, expiresAt: now + LINK_TTL_MS });
  return `${svc.publicUrl}/welcome#token=${token}`;
}

export async function useAccountLink(svc: Services, token: string, password: string | undefined): Promise<NewSession> {
  const used = await svc.accounts.useToken(hashToken(token), 'sign-in', svc.clock.now());
  const account = used?.accountId ? await svc.accounts.byId(used.accountId) : null;
  if (!account || account.disabledAt !== null) throw new DomainError('gone', 'This sign-in link is not valid any more. Ask your administrator for a new one.');
  if (password) await svc.accounts.setPassword(account.id, await hashPassword(password));
  return openSession(svc, account);
}

/** Administrators create mediator accounts; the answer carries the new mediator's welcome link. */
export async function adminCreateMediator(svc: Services, principal: Principal | null, input: { email: string; displayName: string }) {
  requireAccount(principal, 'admin');
  const account = await createAccount(svc, { ...input, role: 'mediator', password: null });
  return { account: publicAccount(account), welcomeUrl: await accountLink(svc, account.id) };
}

/** Disabling ends every session and live connection of the account at once (C7). */
export async function adminSetDisabled(svc: Services, principal: Principal | null, accountId: string, disabled: boolean) {
  const admin = requireAccount(principal, 'admin');
  const target = await svc.accounts.byId(accountId);
  if (!target) throw notFound('No such account.');
  if (target.id === admin.id) throw conflict('You cannot disable your own account.');
  const now = svc.clock.now();
  if (disabled) svc.publisher.disconnect({ accountId }); // announced before the write too (see logout)
  await svc.accounts.setDisabled(accountId, disabled ? now : null);
  if (disabled) {
    await svc.accounts.endSessionsOfAccount(accountId, now);
    svc.publisher.disconnect({ accountId });
  }
  return publicAccount({ ...target, disabledAt: disabled ? now : null });
}

export async function adminListAccounts(svc: Services, principal: Principal | null) {
  requireAccount(principal, 'admin');
  return (await svc.accounts.list()).map(publicAccount);
}

/** Administrators see the list of cases, never their content. */
export async function adminListCases(svc: Services, principal: Principal | null) {
  requireAccount(principal, 'admin');
  return durably(svc, svc.cases.allCases());
}

export async function myCases(svc: Services, principal: Principal | null) {
  const account = requireAccount(principal, 'mediator');
  return durably(svc, svc.cases.casesOfAccount(account.id));
}

export const publicAccount = (a: Account) => ({
  id: a.id,
  email: a.email,
  displayName: a.displayName,
  role: a.role,
  disabled: a.disabledAt !== null,
  createdAt: a.createdAt,
});
