import { mayObserve, notFound, positionOffset } from '@caucus/domain';
import type { EventView } from '@caucus/protocol';
import type { Principal } from './access.ts';
import { confirmAccess, memberOf } from './access.ts';
import type { CaseEngine } from './case-engine.ts';
import { eventView, mayObserveEvent } from './case-view.ts';
import type { Services } from './context.ts';

/** Paginated reading of one stream, from a position on. The log, not the socket, is the truth. */
export async function readStream(
  svc: Services,
  engine: CaseEngine,
  principal: Principal | null,
  q: { caseId: string; stream: string; after: number; limit: number },
): Promise<{ events: EventView[]; head: number }> {
  const rec = await engine.load(q.caseId);
  if (!rec) throw notFound('No such case.');
  const me = memberOf(rec.state, principal);
  if (!mayObserve(rec.state, me.id, { stream: q.stream })) throw notFound('No such room.'); // C9
  // Positions are in the viewer's numbering (C6: observers count from their admission).
  const offset = positionOffset(rec.state, me.id, q.stream);
  const events = await svc.cases.readStream(q.caseId, q.stream, q.after + offset, q.limit);
  // C7: read first, then confirm the session: what was read predates any revocation that
  // this check does not see.
  await confirmAccess(svc, engine, principal, q.caseId);
  // Only what the engine knows to be stored: rows past its head may be written and not yet
  // on disk (the commit writer flushes after the COMMIT), or on disk and not yet published.
  const head = rec.state.heads[q.stream] ?? 0;
  return {
    events: events.filter((e) => e.position <= head && mayObserveEvent(rec.state, me.id, e)).map((e) => eventView(rec.state, me.id, e)),
    head: head - offset,
  };
}
