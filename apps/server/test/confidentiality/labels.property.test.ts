import type { EventView } from '@caucus/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scenario, testServer, type Browser } from '../harness.ts';

/**
 * C4 as a property, on the real server: whatever sequence of posts and label changes
 * random actors send, a caucus item starts with the label they chose or the regime's
 * default, and only the author's side (the mediators, for their own items) ever changes
 * it; another side cannot even tell the item exists (C9).
 */
type Who = 'M' | 'A1' | 'A2' | 'B1' | 'B2';
type Step = { k: 'post'; by: Who; side: 0 | 1; label: 'confidential' | 'shareable' | null } | { k: 'label'; by: Who; msg: number; label: 'confidential' | 'shareable' };

const who = fc.constantFrom<Who>('M', 'A1', 'A2', 'B1', 'B2');
const lbl = fc.constantFrom('confidential' as const, 'shareable' as const);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('post' as const), by: who, side: fc.constantFrom(0 as const, 1 as const), label: fc.option(lbl, { nil: null }) }),
  fc.record({ k: fc.constant('label' as const), by: who, msg: fc.nat(20), label: lbl }),
);

describe('labels', () => {
  for (const regime of ['opt-in', 'opt-out'] as const) {
    it(`[C4][C9] random posts and relabels by random actors keep the label rules (${regime})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 16 }), async (steps) => {
          const server = await testServer();
          try {
            const s = await scenario(server, { regime });
            const actors: Record<Who, { b: Browser; side: number | null }> = {
              M: { b: s.mediator, side: null },
              A1: { b: s.members[0]![0]!.browser, side: 0 },
              A2: { b: s.members[0]![1]!.browser, side: 0 },
              B1: { b: s.members[1]![0]!.browser, side: 1 },
              B2: { b: s.members[1]![1]!.browser, side: 1 },
            };
            const base = `/api/v1/cases/${s.caseId}`;
            const posted: { id: string; author: Who; side: number; asked: string | null }[] = [];
            for (const st of steps) {
              const actor = actors[st.by];
              if (st.k === 'post') {
                if (actor.side !== null && actor.side !== st.side) continue; // not their room: covered by the audience tests
                const room = `caucus:${s.sides[st.side]!.id}`;
                const r = await actor.b.post<{ created: { id: string }[] }>(`${base}/rooms/${room}/messages`, { body: 'item', label: st.label });
                expect(r.status).toBe(200);
                posted.push({ id: r.body.created[0]!.id, author: st.by, side: st.side, asked: st.label });
              } else {
                const item = posted[st.msg % Math.max(1, posted.length)];
                if (!item) continue;
                const r = await actor.b.post(`${base}/messages/${item.id}/label`, { label: st.label });
                const authorIsMediator = item.author === 'M';
                const sameSide = authorIsMediator ? st.by === 'M' : actor.side === item.side;
                if (sameSide) expect(r.status).toBe(200);
                else if (actor.side !== null && actor.side !== item.side) {
                  // Another side cannot tell the item from one that does not exist (C9).
                  expect(r.status).toBe(404);
                } else expect(r.status).toBe(403);
              }
            }
            // The log: defaults by regime, and every change made by the author's side.
            const log: EventView[] = [];
            for (const side of s.sides) {
              const r = await s.mediator.get<{ events: EventView[] }>(`${base}/streams/caucus:${side.id}/events?limit=500`);
              log.push(...r.body.events);
            }
            const sideOf = (pid: string | null) => {
              for (const [i, members] of s.members.entries()) if (members.some((m) => m.participantId === pid)) return i;
              return null;
            };
            const authorOf = new Map<string, string | null>();
            const current = new Map<string, unknown>();
            for (const e of log) {
              if (e.type === 'message.posted') {
                const p = posted.find((x) => x.id === e.data.messageId);
                expect(e.data.label).toBe(p?.asked ?? (regime === 'opt-in' ? 'confidential' : 'shareable'));
                authorOf.set(String(e.data.messageId), String(e.data.authorId));
                current.set(String(e.data.messageId), e.data.label);
              }
              if (e.type === 'message.labelled') {
                const author = authorOf.get(String(e.data.messageId)) ?? null;
                const authorSide = sideOf(author);
                if (authorSide === null) expect(sideOf(e.actorId)).toBeNull();
                else expect(sideOf(e.actorId)).toBe(authorSide);
                current.set(String(e.data.messageId), e.data.label);
              }
            }
            // The projection agrees with the log.
            const items = await server.db.kysely.selectFrom('items').select(['message_id', 'label']).where('case_id', '=', s.caseId).execute();
            for (const it of items) expect(it.label).toBe(current.get(it.message_id));
          } finally {
            await server.stop();
          }
        }),
        { numRuns: Number(process.env.CAUCUS_FC_RUNS ?? 6) },
      );
    }, 120_000);
  }
});
