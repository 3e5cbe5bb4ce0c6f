export type Regime = 'opt-in' | 'opt-out';
export type Label = 'confidential' | 'shareable';
export type Role = 'mediator' | 'party' | 'representative' | 'observer';
export type Phase = 'none' | 'joint' | 'separate' | 'reconvening' | 'paused';

export interface CaseSettings {
  /** Whether other sides learn which side asked for a separate session (default no). */
  readonly requesterVisible: boolean;
  /** Whether observers may be admitted at all (default no). */
  readonly observersAllowed: boolean;
}

export interface Side {
  readonly id: string;
  readonly name: string;
}

export interface Participant {
  readonly id: string;
  readonly role: Role;
  /** Parties and representatives belong to one side; mediators and observers to none. */
  readonly sideId: string | null;
  /** Mediators are accounts; everybody else joins through a personal invitation. */
  readonly accountId: string | null;
  readonly displayName: string;
  readonly acceptedAt: number | null;
  readonly acceptedHash: string | null;
  /**
   * For observers: the head of each shared stream when they were admitted. They observe
   * only what comes after (C6).
   */
  readonly floors: Readonly<Record<string, number>> | null;
  readonly removed: boolean;
  /**
   * The mediator who opened the case: the one who may close it, and whom nobody removes.
   * Absent from participants of cases opened before it was recorded (there any mediator may).
   */
  readonly lead?: true;
}

/**
 * Time the mediator spent in each side's room, kept as running totals so that the state
 * stays the same size however often the mediator moves (it is stored with every command).
 */
export interface TimeWithSides {
  /** Milliseconds of finished visits, per side, over every session. */
  readonly total: Readonly<Record<string, number>>;
  /** Milliseconds of finished visits, per side, that began in the current session. */
  readonly thisSession: Readonly<Record<string, number>>;
  /** The visit in progress, if the mediator is in a side's room. */
  readonly open: { readonly sideId: string; readonly from: number; readonly sessionNo: number } | null;
}

export interface SessionState {
  readonly phase: Phase;
  /** Counts live sessions, starting at 1 with the first one. */
  readonly sessionNo: number;
  /** Which side's room the mediator is in during separate sessions, else null. */
  readonly mediatorRoom: string | null;
  /** When the phase or the mediator's room last changed. */
  readonly since: number;
  /** End of the reconvene countdown; the joint room stays closed until then. */
  readonly reconveneAt: number | null;
  readonly ready: readonly string[];
  readonly time: TimeWithSides;
}

export type RequestStatus = 'pending' | 'accepted' | 'declined' | 'deferred';

export interface CaucusRequest {
  readonly id: string;
  readonly sideId: string;
  readonly requesterId: string;
  readonly status: RequestStatus;
  readonly at: number;
}

export interface CaseState {
  readonly id: string;
  readonly title: string;
  readonly reference: string;
  readonly regime: Regime;
  readonly agreementHash: string;
  readonly settings: CaseSettings;
  readonly status: 'open' | 'closed';
  readonly createdAt: number;
  readonly sides: readonly Side[];
  readonly participants: Readonly<Record<string, Participant>>;
  readonly session: SessionState;
  /** Last position of every stream that has events. Positions are per stream (C8). */
  readonly heads: Readonly<Record<string, number>>;
  readonly requests: Readonly<Record<string, CaucusRequest>>;
}

/** Who is asking: an accepted case participant, resolved by the server from the session. */
export interface Actor {
  readonly participantId: string;
}

/** Metadata of a message needed to decide on label changes (loaded by the service). */
export interface ItemMeta {
  readonly id: string;
  readonly stream: string;
  readonly authorId: string;
  readonly label: Label | null;
  readonly conveyed: boolean;
}

export const defaultLabel = (regime: Regime): Label => (regime === 'opt-in' ? 'confidential' : 'shareable');
