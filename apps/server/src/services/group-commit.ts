import { type AuditHead, type CaseStore, type CommitInput, type CommitReceipt, VersionConflict } from './ports.ts';

/** One command's writes, waiting for a transaction. */
export interface CommitRequest {
  readonly input: CommitInput;
  /**
   * A last synchronous access check, run in the same turn as the write starts; throwing
   * refuses the command before anything of it is stored (RunOptions.stillAuthorized, C7).
   */
  readonly check?: () => void;
  /**
   * The case's audit head once every command before this one is stored, for a command that
   * was decided while the one before it was still being written (so `input.expectedAudit`
   * could not be known yet). Asked only when no earlier command of the case is in the batch.
   */
  readonly head?: () => AuditHead | undefined;
  /**
   * Called synchronously, in queue order, with the receipt (undefined from stores that keep
   * no audit trail) or the error. Commands of one
   * case settle in the order they were queued: a batch never takes a command while an
   * earlier command of its case is being written by another lane.
   */
  readonly settle: (outcome: CommitReceipt | Error | undefined) => void;
}

export type Commit = (request: CommitRequest) => void;

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * Group commit: commands that reach their commit while a transaction is being written (or
 * in the same turn of the event loop) share the next transaction, so one flush to disk
 * covers them all. Commands of one case may follow each other in a batch (each planned on
 * the one before it); every command gets its own outcome, and is acknowledged only after
 * the transaction holding its writes has committed.
 */
export function groupCommit(store: CaseStore, maxBatch = 256): Commit {
  const commitMany = store.commitMany?.bind(store);
  if (!commitMany)
    return (r) => {
      try {
        r.check?.();
      } catch (e) {
        return r.settle(asError(e));
      }
      store.commit(r.input).then(
        (receipt) => r.settle(receipt ?? undefined),
        (e: unknown) => r.settle(asError(e)),
      );
    };
  const lanes = Math.max(1, store.commitLanes ?? 1);
  let queue: CommitRequest[] = [];
  let running = 0;
  let scheduled = false;
  /** Cases with commands in a batch being written: their later commands wait for it. */
  const writing = new Map<string, number>();

  /** Up to maxBatch requests whose cases no running batch holds, in queue order. */
  const take = (): CommitRequest[] => {
    const taken: CommitRequest[] = [];
    const left: CommitRequest[] = [];
    for (const r of queue) {
      if (taken.length < maxBatch && !writing.has(r.input.caseId)) taken.push(r);
      else left.push(r);
    }
    queue = left;
    return taken;
  };

  const lane = async (): Promise<void> => {
    for (;;) {
      const taken = take();
      if (taken.length === 0) break;
      const cases = new Set(taken.map((r) => r.input.caseId));
      for (const c of cases) writing.set(c, (writing.get(c) ?? 0) + 1);
      // Last access checks, in the same turn as the write starts; a refused command takes
      // the ones decided on top of it with it (their version will not be there).
      const first = new Set<string>();
      const refused = new Set<string>();
      const batch: { r: CommitRequest; input: CommitInput }[] = [];
      for (const r of taken) {
        // Decided on top of a command refused just now: its version will not be there, so it
        // is not written at all (it would fail, and take the whole batch into one-by-one writes).
        if (refused.has(r.input.caseId)) {
          r.settle(new VersionConflict('decided on top of a command that was refused'));
          continue;
        }
        try {
          r.check?.();
        } catch (e) {
          refused.add(r.input.caseId);
          r.settle(asError(e));
          continue;
        }
        const known = first.has(r.input.caseId) || r.input.expectedAudit !== undefined;
        first.add(r.input.caseId);
        batch.push({ r, input: known ? r.input : { ...r.input, expectedAudit: r.head?.() } });
      }
      let outcomes: (CommitReceipt | Error)[];
      try {
        outcomes = batch.length > 0 ? await commitMany(batch.map((b) => b.input), batch.map((b) => b.r.check)) : [];
      } catch (e) {
        outcomes = batch.map(() => asError(e));
      }
      for (const c of cases) {
        const n = (writing.get(c) ?? 1) - 1;
        if (n === 0) writing.delete(c);
        else writing.set(c, n);
      }
      batch.forEach((b, i) => b.r.settle(outcomes[i] ?? new Error('group commit: the store gave no outcome')));
      // Requests held back for the cases this batch held may go now, in another lane too.
      if (queue.length > 0) start();
      // Let the event loop read what arrived during the write before the next batch is taken:
      // the commands it carries join that batch instead of each making one of its own.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    running -= 1;
  };

  /** Whether a lane starting now would find anything to write (not every request waits for a running batch). */
  const takeable = (): boolean => queue.some((r) => !writing.has(r.input.caseId));

  function start(): void {
    scheduled = false;
    while (running < lanes && takeable()) {
      running += 1;
      void lane();
    }
  }

  return (r) => {
    queue.push(r);
    if (running >= lanes || scheduled) return;
    scheduled = true;
    setImmediate(start);
  };
}
