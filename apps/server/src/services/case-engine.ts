import { type CaseState, type Command, decide, DomainError, foldEvents, type DomainEvent, type ItemMeta, type StoredEvent } from '@caucus/domain';
import { sha256 } from '../platform.ts';
import type { Services } from './context.ts';
import { type CaseRecord, type CaseStore, type CommitInput, type CommitReceipt, VersionConflict } from './ports.ts';

/**
 * Runs commands against a case: decide → append (one transaction, with projections and
 * audit) → publish. A command is acknowledged only after its transaction commits.
 *
 * Commands for one case are serialised in this process, so events are published in
 * position order; the version check in the store catches writers in other processes.
 */
export interface Idempotency {
  readonly scope: string;
  readonly key: string;
  readonly request: unknown;
}

export interface RunOptions<R> {
  readonly caseId: string;
  readonly actorId: string | null;
  readonly command: Command;
  readonly accountId?: string;
  readonly idempotency?: Idempotency | null;
  /** Loads what the domain needs beyond the state (message metadata for labels). */
  readonly item?: (state: CaseState) => Promise<ItemMeta | null>;
  /** More writes for the same transaction (invitation tokens, ended sessions). */
  readonly extra?: (state: CaseState, events: readonly StoredEvent[]) => Partial<CommitInput>;
  /**
   * Re-checks the actor's access in turn with the case's other commands (and again after a
   * concurrent write elsewhere), so that a command authenticated before a revocation is not
   * carried out after it (C7).
   */
  readonly authorize?: () => Promise<void>;
  /**
   * Checked once more just before the command's writes go to the store, synchronously, in
   * the group-commit lane: an access change (a sign-out, an account disabled) that landed
   * after `authorize` refuses the command instead of letting it be stored after the change
   * was acknowledged (C7). Only for checks that need no I/O (the live socket's).
   */
  readonly stillAuthorized?: () => void;
  /** Runs after commit and before the answer: closing connections whose access shrank (C7). */
  readonly afterCommit?: (state: CaseState, events: readonly StoredEvent[]) => void;
  readonly respond: (state: CaseState, events: readonly StoredEvent[]) => R;
  /** For `open-case`: the state to start from and creation data. */
  readonly create?: { readonly initial: CaseState; readonly data: NonNullable<CommitInput['create']> | ((events: readonly StoredEvent[]) => NonNullable<CommitInput['create']>) };
}

export interface CaseEngine {
  load(caseId: string): Promise<CaseRecord | null>;
  /** The latest state this process knows, synchronously (after a `load`). */
  cached(caseId: string): CaseRecord | undefined;
  run<R>(opts: RunOptions<R>): Promise<R>;
}

/**
 * Group commit: commands of different cases that reach their commit while a transaction is
 * being written (or in the same turn of the event loop) share the next transaction, so one
 * flush to disk covers them all. Each command is still acknowledged only after the
 * transaction holding its writes has committed, and gets its own outcome.
 */
function groupCommit(store: CaseStore, maxBatch = 256): (input: CommitInput, check?: () => void) => Promise<CommitReceipt | void> {
  const commitMany = store.commitMany?.bind(store);
  if (!commitMany)
    return (input, check) => {
      check?.();
      return store.commit(input);
    };
  const lanes = Math.max(1, store.commitLanes ?? 1);
  let queue: { input: CommitInput; check?: () => void; resolve: (r: CommitReceipt) => void; reject: (e: Error) => void }[] = [];
  let running = 0;
  let scheduled = false;
  // A lane writes one batch at a time until the queue is empty. A case has at most one
  // commit in flight (its commands run in turn), so lanes never hold the same case.
  const lane = async (): Promise<void> => {
    while (queue.length > 0) {
      const taken = queue.slice(0, maxBatch);
      queue = queue.slice(taken.length);
      // Last access checks, in the same turn as the write starts (see RunOptions.stillAuthorized).
      const batch = taken.filter((b) => {
        try {
          b.check?.();
          return true;
        } catch (e) {
          b.reject(e instanceof Error ? e : new Error(String(e)));
          return false;
        }
      });
      if (batch.length === 0) continue;
      try {
        const outcomes = await commitMany(batch.map((b) => b.input));
        batch.forEach((b, i) => {
          const o = outcomes[i];
          if (o instanceof Error) b.reject(o);
          else if (o) b.resolve(o);
          else b.reject(new Error('group commit: the store gave no outcome'));
        });
      } catch (e) {
        for (const b of batch) b.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    running -= 1;
  };
  const start = (): void => {
    scheduled = false;
    while (running < lanes && queue.length > 0) {
      running += 1;
      void lane();
    }
  };
  return (input, check) =>
    new Promise<CommitReceipt>((resolve, reject) => {
      queue.push({ input, check, resolve, reject });
      if (running >= lanes || scheduled) return;
      scheduled = true;
      setImmediate(start);
    });
}

export function caseEngine(svc: Pick<Services, 'cases' | 'publisher' | 'clock' | 'ids'>): CaseEngine {
  const cache = new Map<string, CaseRecord>();
  const queues = new Map<string, Promise<unknown>>();
  const commit = groupCommit(svc.cases);

  async function load(caseId: string): Promise<CaseRecord | null> {
    const hit = cache.get(caseId);
    if (hit) return hit;
    const rec = await svc.cases.load(caseId);
    if (rec) cache.set(caseId, rec);
    return rec;
  }

  function serial<T>(caseId: string, work: () => Promise<T>): Promise<T> {
    const prev = queues.get(caseId) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    queues.set(caseId, tail);
    void tail.then(() => {
      if (queues.get(caseId) === tail) queues.delete(caseId);
    });
    return next;
  }

  async function attempt<R>(o: RunOptions<R>, requestHash: string | null): Promise<R> {
    const rec = o.create ? null : await load(o.caseId);
    if (!o.create && !rec) throw new DomainError('not_found', 'No such case.');
    const state = rec?.state ?? (o.create as NonNullable<RunOptions<R>['create']>).initial;
    const item = o.item ? await o.item(state) : undefined;
    const now = svc.clock.now();
    const events = decide(state, o.command, { now, newId: (scope) => svc.ids.next(scope), actorId: o.actorId, accountId: o.accountId, item });
    const heads: Record<string, number> = { ...state.heads };
    const stored: StoredEvent[] = events.map((e: DomainEvent) => {
      const position = (heads[e.stream] ?? 0) + 1;
      heads[e.stream] = position;
      return { ...e, position };
    });
    const next = foldEvents(state, events);
    const response = o.respond(next, stored);
    if (stored.length > 0 || o.create) {
      const extra = o.extra?.(next, stored) ?? {};
      const create = o.create ? (typeof o.create.data === 'function' ? o.create.data(stored) : o.create.data) : undefined;
      const receipt = await commit({
        caseId: o.caseId,
        expectedVersion: rec ? rec.version : null,
        expectedAudit: rec?.audit, // the store seals the next entries on it without reading it
        state: next,
        events: stored,
        now,
        create,
        ...extra,
        idempotency: o.idempotency && requestHash ? { scope: o.idempotency.scope, key: o.idempotency.key, requestHash, response: JSON.stringify(response) } : undefined,
      }, o.stillAuthorized);
      cache.set(o.caseId, { state: next, version: rec ? rec.version + 1 : 1, audit: receipt ? receipt.audit : undefined });
      o.afterCommit?.(next, stored);
      svc.publisher.publish(o.caseId, next, stored);
    }
    return response;
  }

  return {
    load,
    cached: (caseId) => cache.get(caseId),
    run<R>(o: RunOptions<R>): Promise<R> {
      return serial(o.caseId, async () => {
        await o.authorize?.();
        const idem = o.idempotency ?? null;
        const requestHash = idem ? sha256(JSON.stringify([o.caseId, o.command.type, idem.request])) : null;
        for (let tries = 0; ; tries++) {
          // Looked up on every try: after a lost race, the winner may have been this very command
          // retried through another process, whose answer is then the one to give.
          if (idem) {
            const seen = await svc.cases.findIdempotent(idem.scope, idem.key);
            if (seen) {
              if (seen.requestHash !== requestHash) throw new DomainError('conflict', 'This Idempotency-Key was already used for a different request.');
              return JSON.parse(seen.response) as R; // a retried command returns its first result
            }
          }
          try {
            return await attempt(o, requestHash);
          } catch (e) {
            if (!(e instanceof VersionConflict) || tries >= 4) throw e;
            cache.delete(o.caseId); // another process wrote: decide again on fresh state
            await o.authorize?.(); // ...and that write may have been a revocation
          }
        }
      });
    },
  };
}
