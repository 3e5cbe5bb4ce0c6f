import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Browser } from 'playwright-core';
import { DESKTOP, openTab, type Server, type Tab } from './support.ts';

/** Shortcuts over HTTP (for journeys that are not about setup) and common UI steps. */
export const PASSWORD = 'a long passphrase for tests';

async function post(server: Server, path: string, body: unknown, cookie = ''): Promise<{ json: unknown; cookie: string }> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, ...(cookie ? { cookie } : {}), 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { json: text ? (JSON.parse(text) as unknown) : null, cookie: set || cookie };
}

/** Administrator through the setup link, then a mediator with a password; returns the mediator's cookie. */
export async function mediatorAccount(server: Server, email = 'mia@example.org', name = 'Mia Mediator'): Promise<{ email: string; cookie: string; adminCookie: string }> {
  const token = new URL(server.setupLink).hash.replace('#token=', '');
  const admin = await post(server, '/api/v1/setup', { token, email: 'admin@example.org', displayName: 'Ada Admin', password: PASSWORD });
  const created = (await post(server, '/api/v1/admin/accounts', { email, displayName: name }, admin.cookie)).json as { welcomeUrl: string };
  const welcome = new URL(created.welcomeUrl).hash.replace('#token=', '');
  const m = await post(server, '/api/v1/auth/link', { token: welcome, password: PASSWORD });
  return { email, cookie: m.cookie, adminCookie: admin.cookie };
}

/** One more mediator account, with a password, made by the administrator; returns its id. */
export async function anotherMediator(server: Server, adminCookie: string, email: string, name: string): Promise<{ id: string; email: string }> {
  const created = (await post(server, '/api/v1/admin/accounts', { email, displayName: name }, adminCookie)).json as { account: { id: string }; welcomeUrl: string };
  await post(server, '/api/v1/auth/link', { token: new URL(created.welcomeUrl).hash.replace('#token=', ''), password: PASSWORD });
  return { id: created.account.id, email };
}

export interface CaseLinks {
  readonly caseId: string;
  readonly links: Record<string, string>;
}

export async function createCase(server: Server, cookie: string, title = 'Harbour Lane lease', coMediators: string[] = []): Promise<CaseLinks> {
  const r = (
    await post(
      server,
      '/api/v1/cases',
      {
        title,
        reference: 'HL-2026-014',
        regime: 'opt-in',
        ...(coMediators.length > 0 ? { coMediators } : {}),
        sides: [
          { name: 'Tenant', members: [{ role: 'party', displayName: 'Ana Tenant' }] },
          { name: 'Landlord', members: [{ role: 'party', displayName: 'Ben Landlord' }] },
        ],
      },
      cookie,
    )
  ).json as { case: { id: string }; invitations: { displayName: string; url: string }[] };
  return { caseId: r.case.id, links: Object.fromEntries(r.invitations.map((i) => [i.displayName, i.url])) };
}

export async function login(page: Page, server: Server, email: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/cases$/);
}

/** A mediator with a fresh case, signed in in a console tab of their own, the session started. */
export async function mediatorInSession(journey: { readonly server: Server; readonly browser: Browser }): Promise<CaseLinks & { m: Tab; email: string }> {
  const { email, cookie } = await mediatorAccount(journey.server);
  const { caseId, links } = await createCase(journey.server, cookie);
  const m = await openTab(journey.browser, DESKTOP);
  await login(m.page, journey.server, email);
  await m.page.goto(`${journey.server.url}/cases/${caseId}`);
  await m.page.getByRole('button', { name: 'Start the session' }).click();
  return { caseId, links, m, email };
}

/** Opens a personal link, accepts the agreement, and waits for the live room. */
export async function join(tab: Tab, link: string): Promise<void> {
  await tab.page.goto(link);
  await acceptHere(tab);
}

/** On the join page: tick the agreement, accept, wait for the live room. */
export async function acceptHere(tab: Tab): Promise<void> {
  const { page } = tab;
  await page.getByRole('checkbox', { name: /I have read the agreement/ }).check();
  await page.getByRole('button', { name: 'Accept and enter' }).click();
  await page.waitForURL(/\/cases\/[^?]+\?as=/);
  await waitLive(page);
}

export async function waitLive(page: Page): Promise<void> {
  await page.locator('[data-connection="live"]').waitFor({ state: 'attached', timeout: 15_000 });
}

export async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: /Your message in|Write in/ }).last();
  await box.fill(text);
  await box.press('Enter');
  await page.locator('.msg-body', { hasText: text }).first().waitFor();
}

export async function seesMessage(page: Page, text: string): Promise<void> {
  await page.locator('.msg-body', { hasText: text }).first().waitFor({ timeout: 10_000 });
}

export async function statusText(page: Page): Promise<string> {
  return (await page.getByTestId('party-status').innerText()).replace(/\s+/g, ' ');
}

export function expectNoLeak(tab: Tab, secret: string): void {
  const inPage = tab.frames.some((f) => f.includes(secret));
  expect(inPage, 'secret found in a WebSocket frame').toBe(false);
  expect(tab.bodies.some((b) => b.includes(secret)), 'secret found in an HTTP response').toBe(false);
}
