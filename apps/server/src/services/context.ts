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
