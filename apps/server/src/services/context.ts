import type { Clock, IdGenerator } from '../platform.ts';
import type { AccountStore, CaseStore, Publisher } from './ports.ts';

/** What every use case receives: its ports, the clock and the id generator. No request objects. */
export interface Services {
  readonly cases: CaseStore;
  readonly accounts: AccountStore;
  readonly publisher: Publisher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly publicUrl: string;
  readonly invitationTtlMs: number;
}

export const DAY = 24 * 60 * 60 * 1000;

/**
 * The publisher of a process without live connections (the command-line tools): nothing to
 * deliver or close, and its commands run one at a time, so no access change can land
 * between a check and a write.
 */
export const offlinePublisher: Publisher = { publish: () => undefined, disconnect: () => undefined, accessMark: () => 0, accessLostSince: () => false };

/**
 * Rows read straight from the case store, answered only once they are on disk: SQLite's
 * batches are committed before they are flushed, and an answer must not show what a crash
 * could still take back (CaseStore.durable). Reads from the engine's state need none of
 * this: it holds settled commands only.
 */
export async function durably<T>(svc: Pick<Services, 'cases'>, read: Promise<T>): Promise<T> {
  const rows = await read;
  await svc.cases.durable?.();
  return rows;
}
