import { expect, test } from 'vitest';
import { join, mediatorInSession, say, seesMessage } from './flows.ts';
import { DESKTOP, openTab, shot, unexpectedErrors, useJourney } from './support.ts';

/**
 * Closing a case (C11): the mediator reads what goes and what stays, confirms, and the case
 * moves to the closed list. What was written in it is gone from every screen: the party's
 * tab is left with the notice alone, and the mediator's record of the case shows who wrote
 * where and when, not what.
 */
const journey = useJourney();

// The party's last requests and socket opens after the close are refused (401): expected.
const REFUSED = [/Failed to load resource/, /401|404/, /WebSocket connection to .* failed/];

test('[C11][C7] the mediator closes the case: its content is gone from every screen, its record stays', async () => {
  const { links, m, caseId } = await mediatorInSession(journey);
  const a = await openTab(journey.browser, DESKTOP);
  await join(a, links['Ana Tenant'] ?? '');
  await say(a.page, 'a1: our real limit is 40,000');
  await seesMessage(m.page, 'a1: our real limit is 40,000');

  // Nothing happens before the mediator has read what closing does and ticked that they understand.
  await m.page.getByRole('button', { name: 'Close this case…' }).click();
  const confirm = m.page.getByRole('button', { name: 'Close the case and destroy its content' });
  expect(await confirm.isDisabled()).toBe(true);
  expect(await m.page.locator('body').innerText()).toContain('Nobody can recover it');
  await shot(m.page, '60-close-case-confirm');
  await m.page.getByRole('checkbox', { name: 'I understand that this cannot be undone' }).check();
  await confirm.click();

  // The mediator lands on the case list; the case is among the closed ones.
  await m.page.waitForURL(/\/cases$/, { timeout: 15_000 });
  await m.page.getByRole('radio', { name: /Closed/ }).check();
  await m.page.getByRole('link', { name: 'Harbour Lane lease' }).waitFor({ timeout: 10_000 });

  // The party's tab keeps nothing of the case.
  await a.page.getByText('Your access to this mediation has ended', { exact: false }).first().waitFor({ timeout: 15_000 });
  expect(await a.page.locator('body').innerText()).not.toContain('40,000');

  // The record: the message is there, from Ana, without its words; nothing can be written.
  await m.page.goto(`${journey.server.url}/cases/${caseId}`);
  await m.page.getByText('This case is closed.', { exact: false }).waitFor({ timeout: 15_000 });
  await m.page.getByText('Destroyed when the case was closed').first().waitFor({ timeout: 10_000 });
  expect(await m.page.locator('body').innerText()).not.toContain('40,000');
  expect(await m.page.getByRole('textbox').count()).toBe(0);
  await shot(m.page, '61-closed-case-record');

  expect(unexpectedErrors(m)).toEqual([]);
  expect(unexpectedErrors(a, REFUSED)).toEqual([]);
});
