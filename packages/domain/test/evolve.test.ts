import { describe, expect, it } from 'vitest';
import { changedBeyondHeads, COUNSEL, JOINT, MEDIATORS, NOTES_GENERAL, type Command } from '../src/index.ts';
import { caucusA, caucusB, cmd, exec, openCase, pid, post, type Who, type World } from './fixtures.ts';

/** Runs a command and says whether the state changed beyond its heads (what storage writes). */
function changes(w: World, who: Who, command: Command, item?: Parameters<typeof exec>[3]): boolean {
  const before = w.state;
  exec(w, who, command, item);
  return changedBeyondHeads(before, w.state);
}

describe('changedBeyondHeads: which commands change more than stream heads', () => {
  it('messages and label changes move heads only; everything that changes the case does more', () => {
    const w = openCase();
    expect(changes(w, 'lead', cmd('start-session', {}))).toBe(true);
    for (const [who, stream] of [['partyA', JOINT], ['repA', COUNSEL], ['lead', MEDIATORS], ['co', NOTES_GENERAL]] as const)
      expect(changes(w, who, cmd('post-message', { stream, body: 'x', label: null })), `${who} in ${stream}`).toBe(false);
    expect(changes(w, 'lead', cmd('start-separate', { sideId: w.sideA, purpose: 'reality-test' }))).toBe(true);
    const item = post(w, 'partyA', caucusA(w));
    expect(changes(w, 'partyA', cmd('set-label', { messageId: item.id, label: 'shareable' }), item)).toBe(false);
    expect(changes(w, 'partyB', cmd('request-caucus', { reason: null }))).toBe(true);
    expect(changes(w, 'lead', cmd('move-mediator', { sideId: w.sideB }))).toBe(true);
    expect(changes(w, 'partyB', cmd('post-message', { stream: caucusB(w), body: 'y', label: null }))).toBe(false);
    expect(changes(w, 'partyB', cmd('signal-ready', {}))).toBe(true);
    expect(changes(w, 'lead', cmd('reconvene', { countdownSeconds: 0 }))).toBe(true);
    expect(changes(w, 'lead', cmd('remove-participant', { participantId: pid(w, 'repB') }))).toBe(true);
  });

  it('a state is unchanged against itself, and a copy with other heads only is unchanged too', () => {
    const w = openCase();
    expect(changedBeyondHeads(w.state, w.state)).toBe(false);
    expect(changedBeyondHeads(w.state, { ...w.state, heads: { ...w.state.heads, joint: 99 } })).toBe(false);
    expect(changedBeyondHeads(w.state, { ...w.state, title: 'other' })).toBe(true);
  });
});
