import type { CaseSettings, Label, Regime, Role, Side } from './types.ts';

/**
 * Domain events. `data` is metadata: it goes into the log and may be shown to the
 * stream's audience. `content` holds the words people wrote (bodies, reasons, notes,
 * e-mail addresses); storage keeps it apart from metadata so that per-case encryption
 * wraps it without touching the schema, and the audit trail only ever sees its hash.
 */
export interface EventDataMap {
  'case.opened': { title: string; reference: string; regime: Regime; agreementHash: string; settings: CaseSettings; sides: Side[] };
  /** `lead` marks the mediator who opened the case (absent from cases opened before it was recorded). */
  'participant.added': { participantId: string; role: Role; sideId: string | null; accountId: string | null; displayName: string; lead?: true };
  'participant.removed': { participantId: string };
  'participant.contact': { participantId: string };
  'agreement.accepted': { participantId: string; agreementHash: string; floors: Record<string, number> | null };
  'invitation.issued': { participantId: string; expiresAt: number };
  'invitation.revoked': { participantId: string };
  'session.started': { sessionNo: number };
  'separate.started': { sessionNo: number; sideId: string };
  'separate.purpose': { sessionNo: number; sideId: string };
  'mediator.moved': { sideId: string | null };
  'session.reconvening': { reconveneAt: number };
  'session.joint-opened': Record<string, never>;
  'session.paused': Record<string, never>;
  'session.ended': { sessionNo: number };
  'side.ready': { sideId: string };
  'message.posted': { messageId: string; authorId: string; label: Label | null };
  'message.labelled': { messageId: string; label: Label };
  'caucus.requested': { requestId: string; requesterId: string };
  'caucus.requested-public': { sideId: string };
  'caucus.answered': { requestId: string; answer: 'accepted' | 'declined' | 'deferred' };
  'case.closed': Record<string, never>;
}

export type EventType = keyof EventDataMap;

/** Content fields by event type: which text a user wrote goes with the event. */
export interface EventContentMap {
  'message.posted': { body: string };
  'caucus.requested': { reason: string };
  'caucus.answered': { reply: string };
  'separate.purpose': { purpose: string };
  'participant.contact': { email: string };
}

export type DomainEvent = {
  [K in EventType]: {
    readonly id: string;
    readonly type: K;
    readonly stream: string;
    readonly actorId: string | null;
    readonly at: number;
    readonly data: EventDataMap[K];
    readonly content: K extends keyof EventContentMap ? EventContentMap[K] | null : null;
  };
}[EventType];

export type EventOf<K extends EventType> = Extract<DomainEvent, { type: K }>;

/** An event as stored: with its position in its stream. */
export type StoredEvent = DomainEvent & { readonly position: number };
