import { describe, expect, it } from 'vitest';
import { mediatorMe, partyA, viewFor } from '../live/fixtures.ts';
import { audienceSentence, suggestedRoom } from './console-rooms.ts';
import { partyDefaultRoom, partyStatus } from './party-status.ts';

const MIN = 60_000;

describe('party status banner: who reads what I write, where is the mediator', () => {
  it('joint: everyone reads it, the mediator is here', () => {
    const s = partyStatus(viewFor(partyA), 'joint', 10_000);
    expect(s.audience).toMatch(/^Everyone in the mediation can read this: you, Mia,? and Ben$/);
    expect(s.where).toBe('The mediator is here, in the joint room.');
  });

  it('own room with the mediator there', () => {
    const v = viewFor(partyA, { phase: 'separate', mediatorRoom: 'sideAAAAA' });
    const s = partyStatus(v, 'caucus:sideAAAAA', 10_000);
    expect(s.audience).toBe('Only you, your side and the mediator: you and Mia');
    const two = { ...v, participants: [...v.participants, { id: 'mediator2', role: 'mediator' as const, sideId: null, displayName: 'Max', accepted: true, removed: false, lead: false }] };
    expect(partyStatus(two, 'caucus:sideAAAAA', 10_000).audience).toMatch(/^Only you, your side and the mediators: you, Mia,? and Max$/);
    expect(s.where).toMatch(/^The mediator is with you, in your private room, since /);
    expect(partyDefaultRoom(v, 10_000)).toBe('caucus:sideAAAAA');
  });

  it('waiting while the mediator is with the other side: since when, how long, and what you can do', () => {
    const v = viewFor(partyA, { phase: 'separate', mediatorRoom: 'sideBBBBB', since: 0 });
    const s = partyStatus(v, 'caucus:sideAAAAA', 12 * MIN);
    expect(s.tone).toBe('waiting');
    expect(s.where).toMatch(/^The mediator is with the other side since .+ — 12 min\. You can leave the mediator a message here\.$/);
  });

  it('reconvening shows a countdown, then the joint room once it has run out', () => {
    const v = viewFor(partyA, { phase: 'reconvening', reconveneAt: 100_000 });
    expect(partyStatus(v, 'caucus:sideAAAAA', 100_000 - 95_000).where).toBe('Everyone returns to the joint room in 1:35.');
    expect(partyDefaultRoom(v, 100_000)).toBe('joint');
    expect(partyStatus(v, 'joint', 100_000).audience).toMatch(/^Everyone in the mediation can read this: /);
  });

  it("mediator console: the audience banner names exactly who reads a side's room", () => {
    const v = viewFor(mediatorMe, { phase: 'separate', mediatorRoom: 'sideBBBBB' });
    expect(audienceSentence(v, 'caucus:sideBBBBB')).toBe('Private room of Landlord. Only Ben and the mediators (you) can read this.');
    expect(audienceSentence(v, 'joint')).toMatch(/^Everyone in the mediation can read this: you, Ana,? and Ben\.$/);
    expect(suggestedRoom(v, 0)).toBe('caucus:sideBBBBB');
  });

  it('[C6] the joint room names an invited party (who will read it once joined), not an observer before admission', () => {
    const v = viewFor(partyA);
    const more = {
      ...v,
      participants: [
        ...v.participants,
        { id: 'observer1', role: 'observer' as const, sideId: null, displayName: 'Olga', accepted: false, removed: false, lead: false },
        { id: 'partyCCCC', role: 'party' as const, sideId: 'sideBBBBB', displayName: 'Cleo', accepted: false, removed: false, lead: false },
      ],
    };
    const joint = partyStatus(more, 'joint', 10_000).audience;
    expect(joint).toContain('Cleo');
    expect(joint).not.toContain('Olga');
    const admitted = { ...more, participants: more.participants.map((p) => (p.id === 'observer1' ? { ...p, accepted: true } : p)) };
    expect(partyStatus(admitted, 'joint', 10_000).audience).toContain('Olga');
  });

  it("mediator console: a side whose members were all removed is said to have nobody in it", () => {
    const v = viewFor(mediatorMe, { phase: 'separate', mediatorRoom: 'sideBBBBB' });
    const removed = { ...v, participants: v.participants.map((p) => (p.sideId === 'sideBBBBB' ? { ...p, removed: true } : p)) };
    expect(audienceSentence(removed, 'caucus:sideBBBBB')).toBe('Private room of Landlord. Nobody of that side is in the case now: only the mediators (you) can read this.');
  });
});
