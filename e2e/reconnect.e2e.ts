import type { WebSocketRoute } from 'playwright-core';
import { expect, test } from 'vitest';
import { join, mediatorInSession, say, seesMessage } from './flows.ts';
import { DESKTOP, openTab, shot, unexpectedErrors, type Tab, useJourney } from './support.ts';

/**
 * Cutting the connection mid-conversation loses and repeats nothing: the party's socket
 * is cut (and kept from reconnecting for a while) while others write; then the server
 * itself is killed and restarted.
 */
const journey = useJourney();

const bodies = (tab: Tab) => tab.page.locator('.msg-body').allInnerTexts();
// A browser logs failed socket opens while the network is cut; those are expected here.
const NETWORK = [/WebSocket/i, /ERR_CONNECTION_REFUSED/, /net::/, /Failed to load resource/];

test('nothing lost or duplicated across a cut connection and a server restart', async () => {
  const { links, m } = await mediatorInSession(journey);

  const a = await openTab(journey.browser, DESKTOP);
  // Route A's live socket through the test, so the test can cut it and hold it down.
  let route: WebSocketRoute | null = null;
  let blocked = false;
  let connects = 0;
  await a.page.routeWebSocket(/\/live/, (ws) => {
    connects += 1;
    if (blocked) return void ws.close({ code: 1011, reason: 'cut by the test' });
    ws.connectToServer();
    route = ws;
  });
  await join(a, links['Ana Tenant'] ?? '');
  const b = await openTab(journey.browser, DESKTOP);
  await join(b, links['Ben Landlord'] ?? '');

  await say(m.page, 'm1: before the cut');
  await say(b.page, 'b1: before the cut');
  await seesMessage(a.page, 'b1: before the cut');

  // Cut A mid-conversation and keep it down while the others write.
  blocked = true;
  await (route as WebSocketRoute | null)?.close({ code: 1011, reason: 'cut by the test' });
  await a.page.getByText('Reconnecting…', { exact: false }).waitFor();
  await shot(a.page, '40-reconnecting');
  for (let i = 2; i <= 4; i++) {
    await say(m.page, `m${i}: while A is away`);
    await say(b.page, `b${i}: while A is away`);
  }
  expect(await bodies(a)).not.toContain('m2: while A is away');
  blocked = false;
  await a.page.locator('[data-connection="live"]').waitFor({ state: 'attached', timeout: 20_000 });
  await seesMessage(a.page, 'b4: while A is away');
  await say(m.page, 'm5: after the cut');
  await seesMessage(a.page, 'm5: after the cut');
  const afterCut = await bodies(a);
  const expected = ['m1: before the cut', 'b1: before the cut', 'm2: while A is away', 'b2: while A is away', 'm3: while A is away', 'b3: while A is away', 'm4: while A is away', 'b4: while A is away', 'm5: after the cut'];
  expect(afterCut).toEqual(expected);
  expect(connects).toBeGreaterThanOrEqual(2);

  // Now the server itself dies (kill -9) and comes back on the same store.
  await journey.server.restart();
  await a.page.getByText('Reconnecting…', { exact: false }).waitFor({ timeout: 10_000 }).catch(() => undefined);
  await m.page.locator('[data-connection="live"]').waitFor({ state: 'attached', timeout: 30_000 });
  await a.page.locator('[data-connection="live"]').waitFor({ state: 'attached', timeout: 30_000 });
  await b.page.locator('[data-connection="live"]').waitFor({ state: 'attached', timeout: 30_000 });
  await say(b.page, 'b6: after the restart');
  await seesMessage(a.page, 'b6: after the restart');
  await seesMessage(m.page, 'b6: after the restart');
  expect(await bodies(a)).toEqual([...expected, 'b6: after the restart']);
  expect(await bodies(m)).toEqual([...expected, 'b6: after the restart']);

  expect(unexpectedErrors(m, NETWORK)).toEqual([]);
  expect(unexpectedErrors(a, NETWORK)).toEqual([]);
  expect(unexpectedErrors(b, NETWORK)).toEqual([]);
});
