import type { CaseState, ItemMeta, StoredEvent } from '@caucus/domain';
import type { CaseRecord, CaseStore, CommitInput, Publisher } from '../../src/services/ports.ts';
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
    this.commits += 1;
    this.records.set(input.caseId, { state: input.state, version: (current?.version ?? 0) + 1 });
    for (const e of input.events) this.events.push({ ...e, caseId: input.caseId });
    if (input.idempotency) this.idem.set(`${input.idempotency.scope}|${input.idempotency.key}`, input.idempotency);
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
}
