import { JOINT, type StoredEvent } from '@caucus/domain';
import { describe, expect, it } from 'vitest';
import { exec, cmd, openCase, post } from '../../../../packages/domain/test/fixtures.ts';
import { Hub, type LiveSocket } from '../../src/live/hub.ts';

const frames = (log: string[]): { t: string; event?: { position: number } }[] => log.map((d) => JSON.parse(d) as { t: string; event?: { position: number } });

describe('hub: resume', () => {
  it('serves the log up to the published head only; what is stored past it comes live once published', async () => {
    const w = openCase();
    exec(w, 'lead', cmd('start-session', {}));
    for (let i = 0; i < 3; i++) post(w, 'partyA', JOINT);
    const published = w.state;
    const log: string[] = [];
    const socket: LiveSocket = { bufferedAmount: 0, send: (d) => log.push(d), close: () => undefined };
    const hub = new Hub({ clock: { now: () => w.now } });
    const c = hub.attach({ socket, caseId: w.state.id, participantId: w.ids.partyB ?? '', accountId: null, sessionHash: 'h' }, published);
    // The store already holds a fourth message (committed, its flush to disk under way):
    const stored = (n: number): StoredEvent => ({ id: `e${n}`, stream: JOINT, position: n, type: 'message.posted', actorId: w.ids.partyA ?? '', at: w.now, data: { messageId: `m${n}`, authorId: w.ids.partyA ?? '', label: null }, content: { body: `m${n}` } });
    await hub.resume(c, { [JOINT]: 0 }, (stream, after) => Promise.resolve(stream === JOINT ? [1, 2, 3, 4].filter((n) => n > after).map(stored) : []));
    const joint = () => frames(log).filter((f) => f.t === 'event' && (f as { event: { stream?: string } }).event.stream === JOINT).map((f) => f.event?.position);
    expect(joint()).toEqual([1, 2, 3]);
    expect(frames(log).at(-1)).toMatchObject({ t: 'caught-up', heads: { [JOINT]: 3 } });
    // Once it is on disk and published, it comes live, once.
    post(w, 'partyA', JOINT);
    hub.publish(w.state.id, w.state, [stored(4)]);
    expect(joint()).toEqual([1, 2, 3, 4]);
  });
});
