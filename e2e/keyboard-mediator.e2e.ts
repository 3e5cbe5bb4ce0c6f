import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { join, mediatorAccount, PASSWORD, statusText } from './flows.ts';
import { DESKTOP, openTab, unexpectedErrors, focused, tabTo, useJourney } from './support.ts';

/** The mediator's whole journey with the keyboard only: sign in, create a case, run the session. */
const journey = useJourney();

/** Where focus is: the element's id, whether it is inside <main>, and its text. */
const focusInfo = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { id: el?.id ?? '', inMain: !!el?.closest('main'), text: el?.textContent?.trim() ?? '' };
  });

/** After a room change: focus is on the room's heading, inside main. */
async function focusOnRoom(page: Page, room: string): Promise<void> {
  await expect.poll(() => focusInfo(page)).toEqual({ id: 'audience-banner', inMain: true, text: room });
}

test('keyboard only: the mediator signs in, creates a case, runs joint and separate sessions, declines a request, reconvenes', async () => {
  const { email } = await mediatorAccount(journey.server);
  const m = await openTab(journey.browser, DESKTOP);
  const p = m.page;

  // Sign in.
  await p.goto(`${journey.server.url}/login`);
  await p.getByRole('heading', { name: 'Sign in' }).waitFor();
  await tabTo(p, /^input:E-mail address/);
  await p.keyboard.type(email);
  await tabTo(p, /^input:Password/);
  await p.keyboard.type(PASSWORD);
  await p.keyboard.press('Enter');
  await p.waitForURL(/\/cases$/);

  // The create-case wizard: the case.
  await tabTo(p, /^button:New case/);
  await p.keyboard.press('Enter');
  // Focus starts on the page's heading (as on every screen); the title is the next stop.
  await expect.poll(() => focused(p)).toMatch(/^h1:New case/);
  await tabTo(p, /^input:Case title/, 10);
  await p.keyboard.type('Harbour Lane lease');
  await tabTo(p, /^input:Reference/);
  await p.keyboard.type('HL-2026-014');
  await tabTo(p, /^button:Continue/);
  await p.keyboard.press('Enter');

  // The rules: focus on the step heading; choose the regime with the arrow keys, back to opt-in.
  await expect.poll(() => focused(p)).toMatch(/^h2:Step 2/);
  await tabTo(p, /^input:Opt-in/);
  const regime = () => p.evaluate(() => [...document.querySelectorAll<HTMLInputElement>('input[type=radio]')].map((r) => r.checked));
  expect(await regime()).toEqual([true, false]);
  await p.keyboard.press('ArrowDown');
  expect(await regime()).toEqual([false, true]);
  await p.keyboard.press('ArrowUp');
  expect(await regime()).toEqual([true, false]);
  await tabTo(p, /^textarea:Agreement to mediate/);
  expect(await p.evaluate(() => (document.activeElement as HTMLTextAreaElement).value)).toContain('good faith');
  await tabTo(p, /^button:Continue/);
  await p.keyboard.press('Enter');

  // The people: two sides, one party each.
  await expect.poll(() => focused(p)).toMatch(/^h2:Step 3/);
  for (const [side, person] of [
    ['Tenant', 'Ana Tenant'],
    ['Landlord', 'Ben Landlord'],
  ] as const) {
    await tabTo(p, /^input:Name of the side/);
    await p.keyboard.type(side);
    await tabTo(p, /^input:Name$/);
    await p.keyboard.type(person);
  }
  await tabTo(p, /^button:Continue/);
  await p.keyboard.press('Enter');
  // More: nothing to change.
  await expect.poll(() => focused(p)).toMatch(/^h2:Step 4/);
  await tabTo(p, /^button:Continue/);
  await p.keyboard.press('Enter');
  // Review, then create.
  await expect.poll(() => focused(p)).toMatch(/^h2:Step 5/);
  const review = await p.locator('dl.review').innerText();
  expect(review).toContain('Harbour Lane lease');
  expect(review).toContain('Ben Landlord');
  await tabTo(p, /^button:Create case and links/);
  await p.keyboard.press('Enter');

  // The personal links: focus on their heading; copy one with the keyboard.
  await expect.poll(() => focused(p)).toMatch(/^h2:Personal links/);
  const linkA = await p.getByTestId('link-Ana Tenant').innerText();
  const linkB = await p.getByTestId('link-Ben Landlord').innerText();
  expect(linkA).toMatch(/\/join#token=/);
  await tabTo(p, /^button:Copy link \(for Ana Tenant\)/);
  await p.keyboard.press('Enter');
  await expect.poll(() => focused(p)).toMatch(/^button:Copied/);
  await tabTo(p, /^button:Copy link \(for Ben Landlord\)/);
  await p.keyboard.press('Space');
  await tabTo(p, /^button:Open the case console/);
  await p.keyboard.press('Enter');
  await p.locator('[data-connection="live"]').waitFor({ state: 'attached' });
  await p.getByRole('heading', { name: 'Joint room', level: 1 }).waitFor();

  // Both sides join (their own keyboard journey is covered in keyboard.e2e.ts).
  const a = await openTab(journey.browser, DESKTOP);
  const b = await openTab(journey.browser, DESKTOP);
  await join(a, linkA);
  await join(b, linkB);

  // Start the session.
  await tabTo(p, /^button:Start the session/);
  await p.keyboard.press('Enter');
  await expect.poll(() => statusText(a.page)).toContain('Everyone in the mediation can read this');

  // Separate sessions: choose the side (arrows in the radio group) and a purpose.
  // Opening the form moves focus into it; Cancel gives focus back to the button that opened it.
  await tabTo(p, /^button:Start separate sessions/);
  await p.keyboard.press('Enter');
  await expect.poll(() => focused(p)).toMatch(/^input:Tenant/);
  await tabTo(p, /^button:Cancel/);
  await p.keyboard.press('Enter');
  await expect.poll(() => focused(p)).toMatch(/^button:Start separate sessions/);
  await p.keyboard.press('Enter');
  await expect.poll(() => focused(p)).toMatch(/^input:Tenant/);
  await p.keyboard.press('ArrowDown');
  expect(await focused(p)).toMatch(/^input:Landlord/);
  await tabTo(p, /^input:Purpose/);
  await p.keyboard.type('reality-testing');
  await tabTo(p, /^button:Go to Landlord$/);
  await p.keyboard.press('Enter');
  await focusOnRoom(p, 'Landlord — private room');
  await expect.poll(() => statusText(b.page)).toContain('The mediator is with you');

  // Go to the other side's room.
  await tabTo(p, /^button:Go to Tenant’s room/);
  await p.keyboard.press('Enter');
  await focusOnRoom(p, 'Tenant — private room');
  await expect.poll(() => statusText(a.page)).toContain('The mediator is with you');

  // The Landlord asks for a private session; the mediator declines with a reply.
  await b.page.getByRole('button', { name: 'Ask for a private session' }).click();
  await b.page.getByLabel(/Why would you like to talk privately/).fill('About the deposit.');
  await b.page.getByRole('button', { name: 'Send request' }).click();
  await p.locator('.request', { hasText: 'About the deposit.' }).waitFor();
  await tabTo(p, /^input:Reply/);
  await p.keyboard.type('I will come to you after the Tenant.');
  await tabTo(p, /^button:Decline/);
  await p.keyboard.press('Enter');
  await p.getByText('No requests waiting.').waitFor();
  await b.page.getByText('I will come to you after the Tenant.').waitFor();
  await expect.poll(() => focused(p)).toMatch(/^h2:Requests for a private session/);

  // Reconvene now: the countdown is a native select, changed with the arrow keys.
  await tabTo(p, /^select:Reconvene/, 60, 'Shift+Tab');
  await p.keyboard.press('ArrowUp');
  await p.keyboard.press('ArrowUp');
  expect(await p.evaluate(() => (document.activeElement as HTMLSelectElement).value)).toBe('0');
  await tabTo(p, /^button:Reconvene/);
  await p.keyboard.press('Enter');
  await focusOnRoom(p, 'Joint room');
  await expect.poll(() => statusText(a.page)).toContain('Everyone in the mediation can read this');
  await expect.poll(() => statusText(b.page)).toContain('Everyone in the mediation can read this');

  for (const tab of [m, a, b]) expect(unexpectedErrors(tab)).toEqual([]);
});
