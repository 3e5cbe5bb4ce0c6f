import type { CaseState, ItemMeta, StoredEvent } from '@caucus/domain';
import type { CaseRecord, CaseStore, CommitInput, CommitReceipt, Publisher } from '../../src/services/ports.ts';
import { VersionConflict } from '../../src/services/ports.ts';

/** An in-memory CaseStore: just enough for use-case tests, with the same version rule. */
export class MemoryCaseStore implements CaseStore {
  readonly records = new Map<string, CaseRecord>();
  readonly events: (StoredEvent & { caseId: string })[] = [];
  readonly idem = new Map<string, { requestHash: string; response: string }>();
  commits = 0;
  /** Makes the next commit fail as if another process had written first. */
  raceOnce = false;

  load(caseId: string) {
    return Promise.resolve(this.records.get(caseId) ?? null);
  }
  commit(input: CommitInput) {
    const current = this.records.get(input.caseId);
    if (this.raceOnce) {
      this.raceOnce = false;
      if (current) this.records.set(input.caseId, { ...current, version: current.version + 1 });
      return Promise.reject(new VersionConflict('simulated race'));
    }
    if ((current?.version ?? null) !== input.expectedVersion) return Promise.reject(new VersionConflict('stale'));
    // As the real stores do (their key is unique): a second record under a key refuses the whole commit.
    if (input.idempotency && this.idem.has(`${input.idempotency.scope}|${input.idempotency.key}`)) return Promise.reject(new VersionConflict('idempotency key taken'));
    this.commits += 1;
    this.records.set(input.caseId, { state: input.state, version: (current?.version ?? 0) + 1 });
    for (const e of input.events) this.events.push({ ...e, caseId: input.caseId });
    if (input.idempotency) this.idem.set(`${input.idempotency.scope}|${input.idempotency.key}`, input.idempotency);
    return Promise.resolve();
  }
  destroyContent(caseId: string) {
    for (const [i, e] of this.events.entries()) if (e.caseId === caseId) this.events[i] = { ...e, content: null };
    return Promise.resolve();
  }
  readStream(caseId: string, stream: string, after: number, limit: number) {
    return Promise.resolve(this.events.filter((e) => e.caseId === caseId && e.stream === stream && e.position > after).slice(0, limit));
  }
  item(): Promise<ItemMeta | null> {
    return Promise.resolve(null);
  }
  agreement() {
    return Promise.resolve(null);
  }
  audit() {
    return Promise.resolve({ entries: [], head: { seq: 0, hash: '' } });
  }
  findIdempotent(scope: string, key: string) {
    return Promise.resolve(this.idem.get(`${scope}|${key}`) ?? null);
  }
  invitationByToken() {
    return Promise.resolve(null);
  }
  invitationsOf() {
    return Promise.resolve([]);
  }
  markRedeemed() {
    return Promise.resolve(false);
  }
  casesOfAccount() {
    return Promise.resolve([]);
  }
  allCases() {
    return Promise.resolve([]);
  }
}

/** Records what would be pushed live. */
export class RecordingPublisher implements Publisher {
  readonly published: { caseId: string; state: CaseState; events: readonly StoredEvent[] }[] = [];
  readonly disconnected: unknown[] = [];
  publish(caseId: string, state: CaseState, events: readonly StoredEvent[]): void {
    this.published.push({ caseId, state, events });
  }
  disconnect(match: unknown): void {
    this.disconnected.push(match);
  }
  accessMark(): number {
    return this.disconnected.length;
  }
  /** Any disconnect since the mark counts (the fake does not match who it concerns). */
  accessLostSince(mark: number): boolean {
    return this.disconnected.length > mark;
  }
}

/**
 * A MemoryCaseStore that groups commits like the SQL stores (commitMany, inputs applied in
 * order with the same version rule) and holds each batch until `release()` is called, so
 * tests can see what is decided while a batch is being written.
 */
export class GatedCaseStore extends MemoryCaseStore {
  readonly batches: CommitInput[][] = [];
  private gates: (() => void)[] = [];
  /** Makes the batch that holds an input with this message body fail as a whole (a disk error). */
  failBody: string | null = null;

  async commitMany(inputs: readonly CommitInput[], checks?: readonly ((() => void) | undefined)[]): Promise<(CommitReceipt | Error)[]> {
    this.batches.push([...inputs]);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    // As the real stores do: each sender's access checked again in the turn the batch is written.
    const refused = inputs.map((_, i) => {
      try {
        checks?.[i]?.();
        return null;
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    });
    if (refused.some((r) => r !== null)) {
      const out: (CommitReceipt | Error)[] = [];
      const dropped = new Set<string>();
      for (const [i, input] of inputs.entries()) {
        const r = refused[i] ?? (dropped.has(input.caseId) ? new VersionConflict('decided on top of a command that was refused') : null);
        if (r) {
          dropped.add(input.caseId);
          out.push(r);
        } else out.push(await this.commit(input).then(() => ({ audit: { seq: this.events.length, hash: `head-${this.events.length}` } }), (e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
      }
      return out;
    }
    const bodies = inputs.flatMap((i) => i.events.map((e) => (e.content as { body?: string } | null)?.body));
    if (this.failBody !== null && bodies.includes(this.failBody)) return inputs.map(() => new Error('disk full'));
    const out: (CommitReceipt | Error)[] = [];
    for (const i of inputs)
      out.push(
        await this.commit(i).then(
          () => ({ audit: { seq: this.events.length, hash: `head-${this.events.length}` } }),
          (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
        ),
      );
    return out;
  }

  /** How many batches are waiting to be let through. */
  get held(): number {
    return this.gates.length;
  }

  /** Lets the oldest held batch be written; resolves once a batch was waiting. */
  async release(): Promise<void> {
    while (this.gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    this.gates.shift()?.();
    await new Promise((r) => setTimeout(r, 1));
  }
}
