import { describe, expect, it } from 'vitest';
import { openCase } from '../../../../packages/domain/test/fixtures.ts';
import { Hub, type LiveSocket } from '../../src/live/hub.ts';

/** A socket that records what the hub does to it, in order. */
function recordingSocket(log: string[]): LiveSocket {
  let corked = 0;
  return {
    bufferedAmount: 0,
    send: (data) => log.push(`${corked > 0 ? 'held' : 'sent'} ${(JSON.parse(data) as { t: string }).t}`),
    close: (code) => log.push(`close ${code} while ${corked > 0 ? 'corked' : 'uncorked'}`),
    cork: () => void (corked += 1),
    uncork: () => {
      if (corked > 0) corked -= 1;
      log.push(`uncork → ${corked}`);
    },
  };
}

describe('hub: corked writes', () => {
  it("a connection's frames of one turn are held together and released when the turn ends", async () => {
    const w = openCase();
    const log: string[] = [];
    const hub = new Hub({ clock: { now: () => w.now } });
    const partyA = w.ids.partyA ?? '';
    const c = hub.attach({ socket: recordingSocket(log), caseId: w.state.id, participantId: partyA, accountId: null, sessionHash: 'h' }, w.state);
    hub.send(c, { t: 'pong' });
    expect(log.filter((l) => l.startsWith('sent'))).toEqual([]);
    expect(log.filter((l) => l.startsWith('held'))[0]).toBe('held hello');
    expect(log.at(-1)).toBe('held pong');
    await new Promise((r) => setImmediate(r));
    expect(log.at(-1)).toBe('uncork → 0');
  });

  it('[C7] closing a connection releases what is held first, so the close is on the wire at once', () => {
    const w = openCase();
    const log: string[] = [];
    const hub = new Hub({ clock: { now: () => w.now } });
    const c = hub.attach({ socket: recordingSocket(log), caseId: w.state.id, participantId: w.ids.partyA ?? '', accountId: null, sessionHash: 'h' }, w.state);
    hub.send(c, { t: 'pong' });
    hub.disconnect({ caseId: w.state.id, participantIds: [w.ids.partyA ?? ''] });
    // Synchronously, before anything else runs (such as the answer to whoever revoked).
    expect(log.slice(-2)).toEqual(['uncork → 0', 'close 4000 while uncorked']);
  });
});
