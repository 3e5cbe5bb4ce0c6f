import { expect, test } from 'vitest';
import { anotherMediator, createCase, login, mediatorAccount, say, seesMessage, waitLive } from './flows.ts';
import { DESKTOP, openTab, shot, unexpectedErrors, useJourney } from './support.ts';

/**
 * Someone who is in a case but has not accepted its agreement yet is taken to the
 * agreement, not told their access has ended: a party who closed the tab before accepting
 * and comes back from the start page, and a co-mediator opening a case they were added to.
 */
const journey = useJourney();

// The room's first socket is refused until the agreement is accepted: expected here.
const REFUSED = [/WebSocket connection to .* failed/, /Failed to load resource/];

test('a party back from the start page, and a co-mediator, are taken to the agreement first', async () => {
  const { email, cookie, adminCookie } = await mediatorAccount(journey.server);
  const cora = await anotherMediator(journey.server, adminCookie, 'cora@example.org', 'Cora Comediator');
  const { caseId, links } = await createCase(journey.server, cookie, 'Harbour Lane lease', [cora.id]);

  // Ana opens her link, reads, and closes the tab without accepting.
  const a = await openTab(journey.browser, DESKTOP);
  await a.page.goto(links['Ana Tenant'] ?? '');
  await a.page.getByRole('checkbox', { name: /I have read the agreement/ }).waitFor();
  const again = await a.page.context().newPage();
  await a.page.close();
  // Later, from the start page of the same browser.
  await again.goto(journey.server.url);
  await again.getByRole('link', { name: 'Harbour Lane lease' }).click();
  await again.getByRole('checkbox', { name: /I have read the agreement/ }).check();
  expect(await again.getByText('Your access to this mediation has ended').count()).toBe(0);
  await again.getByRole('button', { name: 'Accept and enter' }).click();
  await waitLive(again);

  // Cora, co-mediator, signs in and opens the case from her list.
  const c = await openTab(journey.browser, DESKTOP);
  await login(c.page, journey.server, cora.email);
  await c.page.getByRole('link', { name: /Harbour Lane lease/ }).first().click();
  await c.page.getByRole('checkbox', { name: /I have read the agreement/ }).check();
  await shot(c.page, '60-comediator-agreement');
  await c.page.getByRole('button', { name: 'Accept and enter' }).click();
  await c.page.waitForURL(new RegExp(`/cases/${caseId}$`));
  await waitLive(c.page);
  await c.page.getByRole('button', { name: 'Start the session' }).click();
  await say(c.page, 'c1: the co-mediator opens the session');
  await seesMessage(again, 'c1: the co-mediator opens the session');
  await shot(c.page, '61-comediator-console');

  // The lead mediator sees her co-mediator's message too.
  const m = await openTab(journey.browser, DESKTOP);
  await login(m.page, journey.server, email);
  await m.page.goto(`${journey.server.url}/cases/${caseId}`);
  await seesMessage(m.page, 'c1: the co-mediator opens the session');

  expect(unexpectedErrors(c, REFUSED)).toEqual([]);
  expect(unexpectedErrors(m)).toEqual([]);
});
