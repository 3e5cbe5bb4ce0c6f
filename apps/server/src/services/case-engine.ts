import { type CaseState, changedBeyondHeads, type Command, decide, DomainError, foldEvents, type DomainEvent, type ItemMeta, type StoredEvent } from '@caucus/domain';
import { sha256 } from '../platform.ts';
import type { Services } from './context.ts';
import { groupCommit } from './group-commit.ts';
import { type CaseRecord, type CommitInput, VersionConflict } from './ports.ts';

/**
 * Runs commands against a case: decide → append (one transaction, with projections and
 * audit) → publish. A command is acknowledged only after its transaction commits.
 *
 * Commands of one case are decided one after another in this process, each on the state
 * the one before it produced, without waiting for that one to be stored: their writes go
 * to the group commit in order, are stored in order (in one batch or in batches one after
 * the other), and are published and acknowledged in order. Should one fail, those decided
 * on top of it fail too (their version is not there) and are decided again on what the
 * store holds. The version check in the store also catches writers in other processes.
 */
export interface Idempotency {
  readonly scope: string;
  readonly key: string;
  readonly request: unknown;
  /**
   * The sender says it sent this key before (a live client sending again, after a reconnect,
   * what it had not seen answered): its record is read before it is decided, so that the
   * retry is answered from it instead of failing the batch its commit would share. Only the
   * order of the work depends on it: a retry without it is still answered once.
   */
  readonly again?: boolean;
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
   * A synchronous access check (no I/O): run once more right before the command is decided
   * (after every wait in its turn), and again just before its writes go to the store, in the
   * group-commit lane. An access change (a sign-out, an account disabled) that landed after
   * `authorize` refuses the command instead of letting it be stored after the change was
   * acknowledged (C7).
   */
  readonly stillAuthorized?: () => void;
  /** Runs after commit and before the answer: closing connections whose access shrank (C7). */
  readonly afterCommit?: (state: CaseState, events: readonly StoredEvent[]) => void;
  readonly respond: (state: CaseState, events: readonly StoredEvent[]) => R;
  /**
   * Called once the command is stored, synchronously, right after its events are published
   * and before the next command of the case is: answers sent from here (the live socket's
   * ack) keep their place among the case's frames, whatever else was in the same batch (C8).
   * Not called for a retried command answered from its record.
   */
  readonly onCommitted?: (response: R, state: CaseState) => void;
  /**
   * For `open-case`: the state to start from, creation data, and the case a stored answer
   * names (a retry opens no case of its own: it is answered with the one its first try opened).
   */
  readonly create?: {
    readonly initial: CaseState;
    readonly data: NonNullable<CommitInput['create']> | ((events: readonly StoredEvent[]) => NonNullable<CommitInput['create']>);
    /** The case a stored answer names; null for an answer of another kind of command. */
    readonly caseOf: (response: NoInfer<R>) => string | null;
  };
}

export interface CaseEngine {
  load(caseId: string): Promise<CaseRecord | null>;
  /** The latest state this process knows, synchronously (after a `load`). */
  cached(caseId: string): CaseRecord | undefined;
  run<R>(opts: RunOptions<R>): Promise<R>;
}

/**
 * The command was decided on top of one that was then refused or failed to be stored, so
 * its version will never be there. It is decided again, and this does not count against
 * its tries: how often that happens depends on what others in the case do (C8).
 */
class Superseded extends VersionConflict {}

/** How long a sender's commands have their record read first after one of its retries, and for how many senders at most. */
const RETRYING_MS = 60_000;
const MAX_RETRYING = 10_000;

/** A case with commands decided but not yet stored: where the next one is decided. */
interface Tail {
  /** The record after the last decided command (its audit head unknown until it is stored). */
  rec: CaseRecord;
  /** Commands decided and queued, not yet settled. */
  inFlight: number;
  /** Waiting for inFlight to reach 0. */
  idle: (() => void)[];
  /** The lowest version of this tail that was not stored: every command above it was decided on top of it. */
  failedFrom: number;
  /** Messages in flight decided before their record was read (one may be a retry its commit refuses). */
  optimistic: number;
}

type Step<R> = { readonly done: R } | { readonly committed: Promise<R> };

export function caseEngine(svc: Pick<Services, 'cases' | 'publisher' | 'clock' | 'ids'>): CaseEngine {
  /** The latest committed record of each case: what every read sees. */
  const cache = new Map<string, CaseRecord>();
  const tails = new Map<string, Tail>();
  const queues = new Map<string, Promise<unknown>>();
  /** Runs in progress by idempotency key: a retry that comes while the first is still running waits for it. */
  const running = new Map<string, Promise<unknown>>();
  const commit = groupCommit(svc.cases);
  /**
   * Senders (idempotency scopes) with a retry answered from its record lately: their commands
   * have the record read first for a while. A client resends all it had not seen answered
   * when it reconnects, so only its first retry is found at its commit; and a member who
   * replays used ids cannot make batch after batch fail, nor keep others' commands being
   * decided again (C8). Oldest first; bounded.
   */
  const retrying = new Map<string, number>();
  const markRetrying = (scope: string): void => {
    retrying.delete(scope);
    retrying.set(scope, svc.clock.now() + RETRYING_MS);
    for (const [old] of retrying) {
      if (retrying.size <= MAX_RETRYING) break;
      retrying.delete(old);
    }
  };
  /**
   * Whether a command is decided before its record is read: a message (the commands sent most
   * by far) by a sender with no retry lately. A message decided on top of one that its commit
   * then refuses could only differ in heads and messages, which no refusal or no-op depends
   * on (a label waits for the messages before it to be stored); any other command that later
   * turns out to be a retry could have made a command decided on top of it be refused, or be
   * answered as changing nothing, on a state that is never stored.
   */
  const optimistic = (o: { readonly create?: object; readonly command: Command; readonly idempotency?: Idempotency | null }): boolean => {
    if (o.create || o.command.type !== 'post-message' || !o.idempotency || o.idempotency.again) return false;
    const until = retrying.get(o.idempotency.scope);
    if (until === undefined) return true;
    if (until > svc.clock.now()) return false;
    retrying.delete(o.idempotency.scope);
    return true;
  };

  async function load(caseId: string): Promise<CaseRecord | null> {
    const hit = cache.get(caseId);
    if (hit) return hit;
    // Commands of the case being written (a creation, or after a failure): what the store
    // holds may not be on disk yet, so read it once they have settled.
    const wait = idle(tails.get(caseId));
    if (wait) {
      await wait;
      const now = cache.get(caseId);
      if (now) return now;
    }
    const rec = await svc.cases.load(caseId);
    if (rec && !tails.has(caseId)) cache.set(caseId, rec);
    return rec;
  }

  /** One section at a time per case: deciding (not storing) is what is serialised. */
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

  function idle(t: Tail | undefined): Promise<void> | null {
    return t && t.inFlight > 0 ? new Promise<void>((resolve) => t.idle.push(resolve)) : null;
  }

  /** A command that failed to be stored takes the commands decided on top of it down with it: decide afresh from the store. */
  function forget(caseId: string): void {
    cache.delete(caseId);
    const t = tails.get(caseId);
    if (t) t.rec = { ...t.rec, version: -1 }; // nothing more is decided on it: see `decideOn`
  }

  /** The record to decide the next command on: the tail while commands are in flight, else the committed record. */
  async function decideOn(caseId: string): Promise<CaseRecord | null> {
    const t = tails.get(caseId);
    if (t && t.rec.version >= 0) return t.rec;
    // A failure was settled while others were in flight: wait until they are all settled (they fail too).
    const wait = idle(t);
    if (wait) await wait;
    return load(caseId);
  }

  /**
   * Decides one command (in turn with the case's others) and queues its writes. Returns at
   * once with the answer of a retried command, or with the promise of this one's commit:
   * the next command of the case is decided on this one's state while it is being written.
   *
   * Retries: a command's idempotency record is stored in the same transaction as its writes,
   * and the store refuses a second record under the same key (a VersionConflict, nothing of
   * it written). So a message is decided without reading the store for its key first
   * (`optimistic`): a retry decided that way fails at its commit, and is then decided again
   * with the record read first (`lookFirst`), which answers it. The record is read before
   * deciding for every other command, a second try, a request with no digest (a closed
   * case's, whose record the commit would not carry), and a sender with a retry lately; and
   * before a message that would be refused or change nothing is answered, so that a retry
   * gets its first answer whatever the case's state is now.
   */
  async function decideStep<R>(
    o: RunOptions<R>,
    /** Undefined for a creation: its digest is made once no record answers it (below). */
    requestHash: string | null | undefined,
    lookFirst: boolean,
    digestWith: (caseId: string, creating?: boolean) => Promise<string | null> | string | null,
  ): Promise<Step<R>> {
    await o.authorize?.();
    const idem = o.idempotency ?? null;
    /** The answer stored for this key, if there is one (and refusals its record calls for). */
    const answered = async (): Promise<Step<R> | null> => {
      if (!idem) return null;
      const now = svc.cases.findIdempotentNow?.(idem.scope, idem.key); // null: none; undefined: ask the store
      const seen = now === undefined ? await svc.cases.findIdempotent(idem.scope, idem.key) : now;
      if (!seen) return null;
      markRetrying(idem.scope);
      const first = JSON.parse(seen.response) as R;
      // A creation's retry comes with a case id of its own: its digest is checked with the key
      // of the case its first try opened (the text names no case id). A key first used by
      // another kind of command names no case: a different request.
      const opened = o.create ? o.create.caseOf(first) : null;
      if (o.create && !opened) throw new DomainError('conflict', 'This Idempotency-Key was already used for a different request.');
      const expected = opened ? await digestWith(opened) : (requestHash ?? null);
      // The read may have waited: the sender's access is checked again before it is answered (C7).
      o.stillAuthorized?.();
      // The case's key is gone with its content (C11): a retry cannot be told from another request.
      if (expected === null) throw new DomainError('conflict', 'This case is closed.');
      if (seen.requestHash !== expected) throw new DomainError('conflict', 'This Idempotency-Key was already used for a different request.');
      return { done: first }; // a retried command returns its first result
    };
    const looked = lookFirst || requestHash === null || !optimistic(o);
    if (idem && looked) {
      const done = await answered();
      if (done) return done;
    }
    // A creation's own digest, keyed with the new case's key (put on disk for it here): not
    // made for a retry, which opens no case.
    const ownHash = requestHash !== undefined ? requestHash : idem ? await digestWith(o.caseId, true) : null;
    /** Before a refusal or a no-op is answered: a retry's first answer, if it has one. */
    const orAnswered = async (fallback: () => Step<R>): Promise<Step<R>> => (idem && !looked ? ((await answered()) ?? fallback()) : fallback());
    let rec: CaseRecord | null;
    let state: CaseState;
    let item: ItemMeta | null | undefined;
    try {
      // What the item loader reads must be stored: let the commands before this one land first.
      // So must the messages a command other than a message is decided on, if one of them was
      // decided before its record was read: a retry among them, refused at its commit, would
      // leave this command decided on a state never stored, and what is decided on top of it
      // (refusals, answered at once, among them) would depend on that retry (C8).
      const t0 = tails.get(o.caseId);
      if (o.item || (o.command.type !== 'post-message' && (t0?.optimistic ?? 0) > 0)) {
        const wait = idle(t0);
        if (wait) await wait;
      }
      rec = o.create ? null : await decideOn(o.caseId);
      if (!o.create && !rec) throw new DomainError('not_found', 'No such case.');
      state = rec?.state ?? (o.create as NonNullable<RunOptions<R>['create']>).initial;
      item = o.item ? await o.item(state) : undefined;
    } catch (e) {
      return orAnswered(() => {
        throw e;
      });
    }
    // The last wait is over: the sender's access is checked again before anything is decided,
    // so that a command refused later, in the lane, is rare (it takes others down with it).
    // Its refusal stands whatever the record says: access lost is access lost (C7).
    o.stillAuthorized?.();
    const now = svc.clock.now();
    let decided: DomainEvent[];
    try {
      decided = decide(state, o.command, { now, newId: (scope) => svc.ids.next(scope), actorId: o.actorId, accountId: o.accountId, item });
    } catch (e) {
      return orAnswered(() => {
        throw e;
      });
    }
    const heads: Record<string, number> = { ...state.heads };
    const stored: StoredEvent[] = decided.map((e: DomainEvent) => {
      const position = (heads[e.stream] ?? 0) + 1;
      heads[e.stream] = position;
      return { ...e, position };
    });
    const next = foldEvents(state, decided);
    const response = o.respond(next, stored);
    if (stored.length === 0 && !o.create) return orAnswered(() => ({ done: response }));
    const extra = o.extra?.(next, stored) ?? {};
    const create = o.create ? (typeof o.create.data === 'function' ? o.create.data(stored) : o.create.data) : undefined;
    const version = rec ? rec.version + 1 : 1;
    const input: CommitInput = {
      caseId: o.caseId,
      expectedVersion: rec ? rec.version : null,
      expectedAudit: rec?.audit, // undefined while the command before is being written: the lane asks `head`
      state: next,
      stateChanged: rec ? changedBeyondHeads(rec.state, next) : true,
      events: stored,
      now,
      create,
      ...extra,
      idempotency: o.idempotency && ownHash ? { scope: o.idempotency.scope, key: o.idempotency.key, requestHash: ownHash, response: JSON.stringify(response) } : undefined,
    };
    let t = tails.get(o.caseId);
    if (!t) tails.set(o.caseId, (t = { rec: { state: next, version }, inFlight: 0, idle: [], failedFrom: Infinity, optimistic: 0 }));
    else t.rec = { state: next, version };
    t.inFlight += 1;
    const tail = t;
    const unread = idem !== null && !looked;
    if (unread) tail.optimistic += 1;
    const committed = new Promise<R>((resolve, reject) => {
      commit({
        input,
        // Also refused, without a write, once a command before it in the tail was not stored:
        // its version will not be there, and it would fail (and with it its whole batch).
        check: () => {
          if (version > tail.failedFrom) throw new Superseded('decided on top of a command that was not stored');
          o.stillAuthorized?.();
        },
        head: () => cache.get(o.caseId)?.audit,
        settle: (outcome) => {
          tail.inFlight -= 1;
          if (unread) tail.optimistic -= 1;
          // A failure after an earlier one of this run of writes is its consequence. (A command
          // refused in the lane settles before those taken ahead of it are written: versions, not
          // the order of settling, say which failure came first.)
          const superseded = outcome instanceof Error && version > tail.failedFrom;
          if (outcome instanceof Error) {
            tail.failedFrom = Math.min(tail.failedFrom, version);
            forget(o.caseId);
          }
          else {
            const rec = { state: next, version, audit: outcome?.audit };
            cache.set(o.caseId, rec);
            if (tail.rec.version === version) tail.rec = rec; // the last one decided: its head is known now
          }
          if (tail.inFlight === 0) {
            if (tails.get(o.caseId) === tail) tails.delete(o.caseId);
            for (const wake of tail.idle.splice(0)) wake();
          }
          if (outcome instanceof Error) return reject(superseded ? new Superseded('decided on top of a command that was not stored') : outcome);
          try {
            o.afterCommit?.(next, stored);
            svc.publisher.publish(o.caseId, next, stored);
            o.onCommitted?.(response, next);
            resolve(response);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e))); // stored all the same: a retry with its key gets the answer
          }
        },
      });
    });
    // A command that shrinks someone's access closes their connections after its commit
    // (afterCommit, C7): nothing of the case is decided before that, so that a command of
    // theirs queued behind it finds them gone instead of being stored after the revocation.
    if (o.afterCommit) await committed.catch(() => undefined);
    return { committed };
  }

  return {
    load,
    cached: (caseId) => cache.get(caseId),
    run<R>(o: RunOptions<R>): Promise<R> {
      const idem = o.idempotency ?? null;
      const key = idem ? `${idem.scope}\u0000${idem.key}` : null;
      const earlier = key ? running.get(key) : undefined;
      const result = (async () => {
        // The request holds what people wrote: its digest is keyed with the case's key (C11).
        // A creation's text names no case id: each try of it is given a new one.
        const text = idem ? JSON.stringify(o.create ? [o.command.type, idem.request] : [o.caseId, o.command.type, idem.request]) : null;
        // Synchronous where the store keeps no keys: a command waits no turn it need not wait.
        const digestWith = (caseId: string, creating = false): Promise<string | null> | string | null =>
          text === null ? null : svc.cases.requestDigest ? svc.cases.requestDigest(caseId, text, creating) : sha256(text);
        const digest = o.create ? undefined : digestWith(o.caseId);
        const requestHash = digest instanceof Promise ? await digest : digest;
        if (earlier) await earlier.catch(() => undefined); // then its record is stored, or it failed
        for (let tries = 0, superseded = 0; ; ) {
          const step = await serial(o.caseId, () => decideStep(o, requestHash, !!earlier || tries + superseded > 0, digestWith));
          if ('done' in step) return step.done;
          try {
            return await step.committed;
          } catch (e) {
            // Decided on top of a command that was not stored: again, as often as that happens
            // (the bound only stops a runaway loop).
            if (e instanceof Superseded && ++superseded < 1000) continue;
            // Another process wrote: decide again on fresh state (the access check is redone:
            // that write may have been a revocation).
            if (!(e instanceof VersionConflict) || ++tries > 4) throw e;
          }
        }
      })();
      if (key) {
        running.set(key, result);
        void result.then(
          () => running.get(key) === result && running.delete(key),
          () => running.get(key) === result && running.delete(key),
        );
      }
      return result;
    },
  };
}
