import { expect, test } from 'vitest';
import { join, mediatorInSession, say, seesMessage, waitLive } from './flows.ts';
import { DESKTOP, openTab, shot, unexpectedErrors, useJourney, type Tab } from './support.ts';

/**
 * When someone's access ends while they are in the room (the mediator revokes their link,
 * or removes them from the case), their screen keeps nothing of the case: no conversation,
 * no composer, no status, only the notice that their access has ended, also after a
 * reload. A new link brings a revoked party back. The mediator's console goes on.
 */
const journey = useJourney();

// The ended tabs' last requests and socket opens are refused (401/404): expected here.
const REFUSED = [/Failed to load resource/, /401|404/, /WebSocket connection to .* failed/];

/** What of the case a tab still shows once its access has ended: nothing but the notice. */
async function showsOnlyTheEndedNotice(tab: Tab, said: string): Promise<void> {
  const { page } = tab;
  await page.getByText('Your access to this mediation has ended', { exact: false }).first().waitFor({ timeout: 15_000 });
  expect(await page.getByRole('textbox').count()).toBe(0);
  expect(await page.locator('.msg-body').count()).toBe(0);
  expect(await page.getByTestId('party-status').count()).toBe(0);
  expect(await page.locator('body').innerText()).not.toContain(said);
  // Nor anywhere else in the browser: the tab's title, the start page's way back.
  await expect.poll(() => page.title(), { timeout: 5000 }).toBe('Caucus');
  const caseId = caseIdOf(page.url());
  await expect.poll(() => page.evaluate(() => localStorage.getItem('caucus.sessions') ?? ''), { timeout: 5000 }).not.toContain(caseId);
}

const caseIdOf = (url: string): string => decodeURIComponent(new URL(url).pathname.split('/')[2] ?? '');

test('[C7] a party whose link is revoked, or who is removed, is left with the notice alone', async () => {
  const { links, m } = await mediatorInSession(journey);

  const a = await openTab(journey.browser, DESKTOP);
  await join(a, links['Ana Tenant'] ?? '');
  const b = await openTab(journey.browser, DESKTOP);
  await join(b, links['Ben Landlord'] ?? '');
  await say(a.page, 'a1: said before the link was revoked');
  await say(b.page, 'b1: said before the removal');
  await seesMessage(m.page, 'b1: said before the removal');
  await seesMessage(a.page, 'b1: said before the removal');

  // The mediator revokes Ana's link: she is signed out at once.
  const ana = m.page.locator('.person', { hasText: 'Ana Tenant' });
  m.page.once('dialog', (d) => void d.accept());
  await ana.getByRole('button', { name: 'Revoke the link of Ana Tenant' }).click();
  await expect.poll(() => ana.innerText(), { timeout: 10_000 }).toContain('Revoked');
  await showsOnlyTheEndedNotice(a, 'b1: said before the removal');
  await shot(a.page, '50-access-ended');
  await a.page.reload();
  await showsOnlyTheEndedNotice(a, 'a1: said before the link was revoked');

  // A new link brings her back (she accepted the agreement before); the console sees it
  // without a reload.
  await ana.getByRole('button', { name: 'New link for Ana Tenant' }).click();
  await expect.poll(() => ana.locator('.link-text').innerText(), { timeout: 10_000 }).toMatch(/\/join#token=/);
  const link = await ana.locator('.link-text').innerText();
  await a.page.goto(link);
  await waitLive(a.page);
  await seesMessage(a.page, 'a1: said before the link was revoked');
  await expect.poll(() => ana.innerText(), { timeout: 10_000 }).toContain('Joined');

  // The mediator removes Ben from the case: his room empties, and he leaves the people list.
  const ben = m.page.locator('.person', { hasText: 'Ben Landlord' });
  m.page.once('dialog', (d) => {
    expect(d.message()).toContain('Remove Ben Landlord from the case?');
    void d.accept();
  });
  await ben.getByRole('button', { name: 'Remove Ben Landlord from the case' }).click();
  await ben.waitFor({ state: 'detached', timeout: 15_000 });
  await showsOnlyTheEndedNotice(b, 'b1: said before the removal');

  // The case goes on, with what was said before; Ana, back, reads what comes next.
  await seesMessage(m.page, 'a1: said before the link was revoked');
  await say(m.page, 'm1: after Ben left');
  await seesMessage(a.page, 'm1: after Ben left');
  await shot(m.page, '51-console-after-removal');

  expect(unexpectedErrors(m)).toEqual([]);
  for (const tab of [a, b]) expect(unexpectedErrors(tab, REFUSED)).toEqual([]);
});
