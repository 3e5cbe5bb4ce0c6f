import { expect, test } from 'vitest';
import { acceptHere, expectNoLeak, join, PASSWORD, say, seesMessage, statusText } from './flows.ts';
import { axe, DESKTOP, openTab, shot, unexpectedErrors, type Tab, useJourney } from './support.ts';

/**
 * The journey with three browser contexts at once (mediator, side A, side B):
 * first run → create a case → invite → both sides join → joint conversation → B asks for
 * a private session → separate sessions with B → B's confidential message never reaches
 * A (page text, WebSocket frames, HTTP bodies) → the mediator goes to A → reconvene with
 * a countdown → everyone back in the joint room.
 */
const journey = useJourney();

const SECRET = 'Our real limit is 42,000 — do not tell them';

test('[C1] three contexts: create, invite, joint, caucus, no leak to A, reconvene', async () => {
  const m: Tab = await openTab(journey.browser, DESKTOP);
  const mp = m.page;

  // First run: the administrator from the setup link, then a mediator account.
  await mp.goto(journey.server.setupLink);
  await mp.getByRole('heading', { name: 'Set up Caucus' }).waitFor();
  expect(mp.url()).not.toContain('token='); // the token leaves the address bar at once
  await shot(mp, '01-setup');
  await axe(mp, 'setup');
  await mp.getByLabel('Name').fill('Ada Admin');
  await mp.getByLabel('E-mail address').fill('ada@example.org');
  await mp.getByLabel('Choose a password').fill(PASSWORD);
  await mp.getByRole('button', { name: 'Create administrator' }).click();
  await mp.waitForURL(/\/admin$/);
  await mp.getByLabel('Name').fill('Mia Mediator');
  await mp.getByLabel('E-mail address').fill('mia@example.org');
  await mp.getByRole('button', { name: 'Create account' }).click();
  const welcome = await mp.getByTestId('welcome-link').innerText();
  await mp.getByRole('cell', { name: 'mia@example.org' }).waitFor();
  await shot(mp, '02-admin');
  await axe(mp, 'admin');
  await mp.getByRole('button', { name: 'Sign out' }).click();
  await mp.waitForURL(/\/login$/);
  await shot(mp, '03-login');
  await axe(mp, 'login');

  await mp.goto(welcome);
  await mp.getByRole('heading', { name: 'Welcome to Caucus' }).waitFor();
  await axe(mp, 'welcome');
  await mp.getByLabel(/Choose a password/).fill(PASSWORD);
  await mp.getByRole('button', { name: 'Continue' }).click();
  await mp.waitForURL(/\/cases$/);
  await mp.getByText('No cases yet').waitFor();
  await axe(mp, 'dashboard-empty');

  // The create-case wizard.
  await mp.getByRole('button', { name: 'New case' }).click();
  await mp.getByLabel('Case title').fill('Harbour Lane lease');
  await mp.getByLabel(/Reference/).fill('HL-2026-014');
  await shot(mp, '04-wizard-case');
  await mp.getByRole('button', { name: 'Continue' }).click();
  await mp.getByText('Nothing leaves a private room without consent', { exact: false }).waitFor();
  await expect.poll(() => mp.getByLabel(/Agreement to mediate/).inputValue()).toContain('good faith');
  await shot(mp, '05-wizard-rules');
  await axe(mp, 'wizard-rules');
  await mp.getByRole('button', { name: 'Continue' }).click();
  const sides = mp.locator('fieldset.side-box');
  await sides.nth(0).getByLabel('Name of the side').fill('Tenant');
  await sides.nth(0).getByLabel('Name', { exact: true }).fill('Ana Tenant');
  await sides.nth(1).getByLabel('Name of the side').fill('Landlord');
  await sides.nth(1).getByLabel('Name', { exact: true }).fill('Ben Landlord');
  await shot(mp, '06-wizard-people');
  await axe(mp, 'wizard-people');
  await mp.getByRole('button', { name: 'Continue' }).click();
  await axe(mp, 'wizard-more');
  await mp.getByRole('button', { name: 'Continue' }).click();
  await mp.getByRole('button', { name: 'Create case and links' }).click();
  const linkA = await mp.getByTestId('link-Ana Tenant').innerText();
  const linkB = await mp.getByTestId('link-Ben Landlord').innerText();
  expect(linkA).toMatch(/\/join#token=/);
  await shot(mp, '07-links');
  await axe(mp, 'links');
  await mp.getByRole('button', { name: 'Open the case console' }).click();
  await mp.getByRole('heading', { name: 'Joint room', level: 1 }).waitFor();
  await mp.locator('[data-connection="live"]').waitFor({ state: 'attached' });

  // Both sides join from their links, in their own browser contexts.
  const a = await openTab(journey.browser, DESKTOP);
  const b = await openTab(journey.browser, DESKTOP);
  await a.page.goto(linkA);
  await a.page.getByRole('heading', { name: 'Welcome, Ana Tenant' }).waitFor();
  expect(a.page.url()).not.toContain('token=');
  await a.page.getByText('Nothing you say in your private room reaches the other side unless you approve it').waitFor();
  await shot(a.page, '08-join');
  await axe(a.page, 'join');
  await acceptHere(a);
  await join(b, linkB);
  await a.page.locator('[data-connection="live"]').waitFor({ state: 'attached' });
  await expect.poll(() => mp.locator('.person', { hasText: 'Ben Landlord' }).innerText()).toContain('Joined');

  // Joint session.
  await mp.getByRole('button', { name: 'Start the session' }).click();
  await expect.poll(() => statusText(a.page)).toContain('Everyone in the mediation can read this');
  await expect.poll(() => statusText(b.page)).toContain('The mediator is here, in the joint room.');
  await say(mp, 'Welcome, both of you. Let us start with what matters most to each of you.');
  await seesMessage(a.page, 'Welcome, both of you');
  await say(a.page, 'The heating has been broken since November.');
  await say(b.page, 'We sent an engineer twice.');
  await seesMessage(mp, 'We sent an engineer twice.');
  await seesMessage(a.page, 'We sent an engineer twice.');
  await shot(mp, '09-console-joint');
  await axe(mp, 'console-joint');
  await shot(a.page, '10-party-joint');
  await axe(a.page, 'party-joint');

  // B asks for a private session; the mediator accepts from the queue.
  await b.page.getByRole('button', { name: 'Ask for a private session' }).click();
  await b.page.getByLabel(/Why would you like to talk privately/).fill('I would like to discuss numbers.');
  await b.page.getByRole('button', { name: 'Send request' }).click();
  await b.page.getByText(/You asked for a private session at/).waitFor();
  const req = mp.locator('.request', { hasText: 'Ben Landlord' });
  await req.waitFor();
  await expect.poll(() => req.innerText()).toContain('I would like to discuss numbers.');
  await shot(mp, '11-console-request');
  expect(await a.page.locator('body').innerText()).not.toContain('discuss numbers'); // C12
  await req.getByRole('button', { name: /Accept/ }).click();
  await mp.getByRole('heading', { name: 'Landlord — private room', level: 1 }).waitFor();
  await expect.poll(() => mp.getByTestId('audience').innerText()).toContain('Only Ben Landlord and the mediators');
  await expect.poll(() => statusText(b.page)).toContain('Only you, your side and the mediator');
  await expect.poll(() => statusText(b.page)).toContain('The mediator is with you');
  await expect.poll(() => statusText(a.page)).toMatch(/The mediator is with the other side since .+ — (under a minute|\d+ mins?)\. You can leave the mediator a message here/);

  // B writes a confidential message in its private room.
  await b.page.getByRole('heading', { name: 'Your private room', level: 1 }).waitFor();
  await say(b.page, SECRET);
  await expect.poll(() => b.page.locator('.msg', { hasText: SECRET }).innerText()).toContain('Confidential');
  await seesMessage(mp, SECRET);
  await shot(b.page, '12-party-private');
  await axe(b.page, 'party-private');
  await shot(a.page, '13-party-waiting');
  await axe(a.page, 'party-waiting');
  await shot(mp, '14-console-caucus');
  await axe(mp, 'console-caucus');

  // The mediator's notes drawer: mediators only.
  await mp.getByRole('button', { name: 'Notes' }).click();
  await mp.getByRole('heading', { name: 'Your notes' }).waitFor();
  await mp.locator('.drawer').getByRole('button', { name: 'Landlord' }).click();
  await mp.locator('.drawer').getByRole('textbox').fill('NOTE-7731: Landlord may move on the deposit.');
  await mp.locator('.drawer').getByRole('textbox').press('Enter');
  await mp.locator('.drawer .msg-body', { hasText: 'NOTE-7731' }).waitFor();
  await shot(mp, '14b-console-notes');
  await axe(mp, 'console-notes');
  await mp.locator('.drawer').getByRole('button', { name: 'Close' }).click();

  // A leaves the mediator a message while waiting; A's page never shows B's secret.
  await say(a.page, 'Please come to us when you can.');
  expect(await a.page.locator('body').innerText()).not.toContain('42,000');

  // B unticks "Keep confidential" for one item; the next item starts confidential again.
  await b.page.getByRole('checkbox', { name: 'Keep confidential' }).uncheck();
  await say(b.page, 'We are open to a payment plan.');
  await expect.poll(() => b.page.getByRole('checkbox', { name: 'Keep confidential' }).isChecked()).toBe(true);

  // A looks at the joint room; when the mediator comes to A's room, A is taken there.
  await a.page.getByRole('button', { name: /^Joint room/ }).click();
  await a.page.getByRole('heading', { name: 'Joint room', level: 1 }).waitFor();

  // The mediator goes to A's room; A is told (banner, title badge).
  const titleBefore = await a.page.title();
  await mp.getByRole('button', { name: 'Go to Tenant’s room' }).click();
  await mp.getByRole('heading', { name: 'Tenant — private room', level: 1 }).waitFor();
  await seesMessage(mp, 'Please come to us when you can.');
  await expect.poll(() => statusText(a.page)).toContain('The mediator is with you');
  await a.page.getByRole('heading', { name: 'Your private room', level: 1 }).waitFor();
  await expect.poll(() => statusText(a.page)).toContain('Only you, your side and the mediator');
  await expect.poll(() => a.page.title()).toMatch(/^\(\d+\) /);
  expect(titleBefore).not.toMatch(/^\(/);
  await expect.poll(() => statusText(b.page)).toContain('The mediator is with the other side');
  await b.page.getByRole('button', { name: 'Ready to return' }).click();
  await b.page.getByText('You told the mediator your side is ready to return.').waitFor();
  await expect.poll(() => mp.getByText(/Ready to return: Landlord/).count()).toBe(1);

  // Time balance shows both sides, and the time with the side the mediator is with (A) keeps counting.
  await expect.poll(() => mp.locator('.balance tbody tr').count()).toBe(2);
  const withA = () => mp.locator('.balance tbody tr', { hasText: 'Tenant' }).locator('td').first().innerText();
  const shownFirst = await withA();
  await expect.poll(withA, { timeout: 5000 }).not.toBe(shownFirst);

  // Reconvene with a countdown: both sides see it, then everyone is back in the joint room.
  expect(await a.page.getByRole('button', { name: 'Ready to return' }).count()).toBe(1);
  await mp.getByLabel('Reconvene').selectOption('30');
  await mp.getByRole('button', { name: 'Reconvene', exact: true }).click();
  await expect.poll(() => statusText(a.page)).toMatch(/Everyone returns to the joint room in 0:[0-3]\d/);
  await expect.poll(() => a.page.getByRole('button', { name: 'Ready to return' }).count()).toBe(0); // nothing left to signal
  await expect.poll(() => statusText(b.page)).toMatch(/Everyone returns to the joint room in 0:[0-3]\d/);
  await shot(a.page, '15-party-countdown');
  await axe(a.page, 'party-countdown');
  await expect.poll(() => statusText(a.page), { timeout: 40_000, interval: 500 }).toContain('Everyone in the mediation can read this');
  await expect.poll(() => statusText(b.page), { timeout: 5_000 }).toContain('Everyone in the mediation can read this');
  await a.page.getByRole('heading', { name: 'Joint room', level: 1 }).waitFor();
  await mp.getByRole('heading', { name: 'Joint room', level: 1 }).waitFor();
  await say(a.page, 'We are back.');
  await seesMessage(b.page, 'We are back.');
  await seesMessage(mp, 'We are back.');

  // Across the whole journey, A never observed B's confidential message.
  await a.page.getByRole('button', { name: 'Your private room' }).click();
  expect(await a.page.locator('body').innerText()).not.toContain('42,000');
  expectNoLeak(a, '42,000');
  expectNoLeak(a, 'NOTE-7731');
  expectNoLeak(b, 'NOTE-7731'); // [C2] notes reach no party
  expect(a.frames.length).toBeGreaterThan(5);
  // A's messages went over its live socket and were acknowledged there once stored.
  expect(a.frames.some((f) => f.startsWith('{"t":"ack"'))).toBe(true);
  await shot(mp, '16-console-back-joint');

  for (const tab of [m, a, b]) expect(unexpectedErrors(tab)).toEqual([]);
});
