import { expect, test } from 'vitest';
import { createCase, login, mediatorAccount, say, seesMessage, statusText } from './flows.ts';
import { axe, DESKTOP, noHorizontalScroll, openTab, PHONE, shot, unexpectedErrors, useJourney } from './support.ts';

/** A party on a 390×844 phone: join, joint room, waiting while the mediator is with the other side. */
const journey = useJourney();

test('a party on a phone joins, talks, and always knows who reads and where the mediator is', async () => {
  const { email, cookie } = await mediatorAccount(journey.server);
  const { caseId, links } = await createCase(journey.server, cookie);
  const m = await openTab(journey.browser, DESKTOP);
  await login(m.page, journey.server, email);
  await m.page.goto(`${journey.server.url}/cases/${caseId}`);

  const phone = await openTab(journey.browser, PHONE, { mobile: true });
  const p = phone.page;
  await p.goto(links['Ana Tenant'] ?? '');
  await p.getByRole('heading', { name: 'Welcome, Ana Tenant' }).waitFor();
  await noHorizontalScroll(p, 'phone join');
  await shot(p, '20-phone-join');
  await axe(p, 'phone-join');
  await p.getByRole('checkbox', { name: /I have read the agreement/ }).check();
  await p.getByRole('button', { name: 'Accept and enter' }).click();
  await p.locator('[data-connection="live"]').waitFor({ state: 'attached' });
  expect(await statusText(p)).toContain('There is no live session right now');

  await m.page.getByRole('button', { name: 'Start the session' }).click();
  await expect.poll(() => statusText(p)).toContain('Everyone in the mediation can read this');
  await say(m.page, 'Good morning. Take your time.');
  await seesMessage(p, 'Good morning. Take your time.');
  await say(p, 'Thank you. I am on my phone.');
  await seesMessage(m.page, 'I am on my phone.');
  await noHorizontalScroll(p, 'phone joint');
  await shot(p, '21-phone-joint');
  await axe(p, 'phone-joint');

  // The mediator starts separate sessions with the other side first.
  await m.page.getByRole('button', { name: 'Start separate sessions' }).click();
  await m.page.getByRole('radio', { name: 'Landlord' }).check();
  await m.page.getByLabel(/Purpose/).fill('reality-testing');
  await m.page.getByRole('button', { name: 'Go to Landlord' }).click();
  await expect.poll(() => statusText(p)).toMatch(/The mediator is with the other side since/);
  await p.getByRole('heading', { name: 'Your private room', level: 1 }).waitFor();
  // The joint room is closed for parties meanwhile, and says so.
  await p.getByRole('button', { name: 'Joint room' }).click();
  await p.getByText('The joint room is closed while the mediator meets each side.').waitFor();
  await p.getByRole('button', { name: 'Your private room' }).click();
  await say(p, 'I will wait here.');
  await noHorizontalScroll(p, 'phone waiting');
  await shot(p, '22-phone-waiting');
  await axe(p, 'phone-waiting');

  // The mediator's console also holds together on a phone.
  const mPhone = await openTab(journey.browser, PHONE, { mobile: true });
  await login(mPhone.page, journey.server, email);
  await mPhone.page.goto(`${journey.server.url}/cases/${caseId}`);
  await mPhone.page.getByRole('heading', { name: 'Landlord — private room', level: 1 }).waitFor();
  await noHorizontalScroll(mPhone.page, 'phone console');
  await shot(mPhone.page, '23-phone-console');
  await axe(mPhone.page, 'phone-console');

  // Ben has not joined yet: the mediator issues him a new link, then revokes it.
  const ben = m.page.locator('.person', { hasText: 'Ben Landlord' });
  await ben.getByRole('button', { name: /New link/ }).click();
  await expect.poll(() => ben.locator('.link-text').innerText()).toMatch(/\/join#token=/);
  await ben.getByRole('button', { name: /Copy link/ }).waitFor();
  m.page.once('dialog', (d) => void d.accept());
  await ben.getByRole('button', { name: /Revoke/ }).click();
  await expect.poll(() => ben.innerText()).toContain('Revoked');
  await shot(m.page, '24-console-links');

  for (const tab of [m, phone, mPhone]) expect(unexpectedErrors(tab)).toEqual([]);
});
