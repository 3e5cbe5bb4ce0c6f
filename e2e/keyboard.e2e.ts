import { expect, test } from 'vitest';
import { createCase, join, login, mediatorAccount, seesMessage, statusText } from './flows.ts';
import { axe, DESKTOP, openTab, shot, unexpectedErrors, focused, tabTo, useJourney } from './support.ts';

/** Every step of a party's journey, and the mediator's answers, with the keyboard only. */
const journey = useJourney();

test('keyboard only: join, accept, write, ask for a private session; the mediator accepts; focus follows the room', async () => {
  const { email, cookie } = await mediatorAccount(journey.server);
  const { caseId, links } = await createCase(journey.server, cookie);
  const m = await openTab(journey.browser, DESKTOP);
  await login(m.page, journey.server, email);
  await m.page.goto(`${journey.server.url}/cases/${caseId}`);
  await m.page.locator('[data-connection="live"]').waitFor({ state: 'attached' });
  const a = await openTab(journey.browser, DESKTOP);
  await join(a, links['Ana Tenant'] ?? '');

  const k = await openTab(journey.browser, DESKTOP);
  const p = k.page;
  await p.goto(links['Ben Landlord'] ?? '');
  await p.getByRole('heading', { name: 'Welcome, Ben Landlord' }).waitFor();
  await tabTo(p, /^input:I have read the agreement/);
  await p.keyboard.press('Space');
  await tabTo(p, /^button:Accept and enter/);
  await p.keyboard.press('Enter');
  await p.locator('[data-connection="live"]').waitFor({ state: 'attached' });

  // The mediator starts the session with the keyboard.
  await m.page.locator('body').focus();
  await tabTo(m.page, /^button:Start the session/);
  await m.page.keyboard.press('Enter');
  await expect.poll(() => statusText(p)).toContain('Everyone in the mediation can read this');

  // Write in the joint room.
  await tabTo(p, /^textarea:Your message in Joint room/);
  await p.keyboard.type('Typed without a mouse.');
  await p.keyboard.press('Enter');
  await seesMessage(m.page, 'Typed without a mouse.');

  // Ask for a private session, with a reason.
  await tabTo(p, /^button:Ask for a private session/);
  await p.keyboard.press('Enter');
  expect(await focused(p)).toMatch(/^textarea:Why would you like to talk privately/);
  await p.keyboard.type('About the deposit.');
  await tabTo(p, /^button:Send request/);
  await p.keyboard.press('Enter');
  await p.getByText(/You asked for a private session at/).waitFor();

  // The mediator accepts it from the queue with the keyboard; focus goes to the new room's banner.
  await m.page.locator('.request').waitFor();
  await m.page.locator('body').focus();
  await tabTo(m.page, /^button:Accept and go to Landlord/, 80);
  await m.page.keyboard.press('Enter');
  await expect.poll(() => m.page.evaluate(() => document.activeElement?.id)).toBe('audience-banner');
  await expect.poll(() => m.page.evaluate(() => document.activeElement?.textContent)).toBe('Landlord — private room');

  // The party is taken to its private room and focus moves to the room heading.
  await expect.poll(() => statusText(p)).toContain('The mediator is with you');
  await expect.poll(() => p.evaluate(() => document.activeElement?.id)).toBe('room-heading');
  await shot(p, '30-keyboard-private');
  await axe(p, 'keyboard-private');

  // Change a label with the keyboard: write, then allow sharing.
  await tabTo(p, /^textarea:Your message in Your private room/);
  await p.keyboard.type('We could accept monthly payments.');
  await p.keyboard.press('Enter');
  await seesMessage(p, 'We could accept monthly payments.');
  await p.locator('body').focus();
  await tabTo(p, /^button:Allow sharing/, 60);
  await p.keyboard.press('Enter');
  await expect.poll(() => p.locator('.msg', { hasText: 'monthly payments' }).innerText()).toContain('May be shared');
  await expect.poll(() => m.page.locator('.msg', { hasText: 'monthly payments' }).innerText()).toContain('May be shared');

  for (const tab of [m, a, k]) expect(unexpectedErrors(tab)).toEqual([]);
});
